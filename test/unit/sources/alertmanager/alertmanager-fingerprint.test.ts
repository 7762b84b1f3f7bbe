import { alertmanagerFingerprint } from '../../../../src/sources/alertmanager/alertmanager-fingerprint';
import { fixtureJson } from '../../../helpers/fixtures';

/** prometheus/common labelSetToFingerprint transcribed with BigInt: slow, but obviously right. */
function reference(labels: Record<string, string>): string {
  const prime = 1099511628211n;
  const mask = (1n << 64n) - 1n;
  let h = 14695981039346656037n;
  const add = (bytes: Iterable<number>) => {
    for (const b of bytes) h = ((h ^ BigInt(b)) * prime) & mask;
  };
  const names = Object.keys(labels).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const n of names) {
    add(Buffer.from(n));
    add([0xff]);
    add(Buffer.from(labels[n]!));
    add([0xff]);
  }
  return h.toString(16).padStart(16, '0');
}

test('equals the fingerprint a real Alertmanager 0.25 sent for every captured alert', () => {
  const files = [
    'alertmanager/captured-am0.25-webhook-firing-1alert.json',
    'alertmanager/captured-am0.25-webhook-resolved-1alert.json',
    'alertmanager/captured-am0.25-webhook-firing-2instances.json',
  ];
  const alerts = files.flatMap(
    (f) => fixtureJson(f).alerts as { labels: Record<string, string>; fingerprint: string }[],
  );
  expect(alerts).toHaveLength(4);
  for (const a of alerts) expect(alertmanagerFingerprint(a.labels)).toBe(a.fingerprint);
});

test('does not depend on the order of the labels in the object', () => {
  expect(alertmanagerFingerprint({ b: '2', a: '1' })).toBe(alertmanagerFingerprint({ a: '1', b: '2' }));
});

test('name/value boundaries matter: {a: "bc"} and {ab: "c"} differ', () => {
  expect(alertmanagerFingerprint({ a: 'bc' })).not.toBe(alertmanagerFingerprint({ ab: 'c' }));
});

test('the empty label set is the FNV-1a offset basis, as in Go', () => {
  expect(alertmanagerFingerprint({})).toBe('cbf29ce484222325');
});

test('agrees with the BigInt reference on non-ASCII and astral names, where UTF-16 and UTF-8 order differ', () => {
  // U+FF21 sorts after U+1F600 in UTF-16 code units but before it in UTF-8 bytes (Go's order).
  const labels = { '\uff21': 'fullwidth', '\u{1f600}': 'grin', é: 'ü', z: '' };
  expect(alertmanagerFingerprint(labels)).toBe(reference(labels));
  const utf16Order = Object.keys(labels).sort();
  expect(utf16Order.indexOf('\u{1f600}')).toBeLessThan(utf16Order.indexOf('\uff21'));
});

test('agrees with the BigInt reference on 500 pseudo-random label sets', () => {
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const text = () =>
    Array.from({ length: rand() % 20 }, () =>
      String.fromCodePoint(rand() % 3 === 0 ? 0x80 + (rand() % 0x2000) : 0x20 + (rand() % 95)),
    ).join('');
  for (let i = 0; i < 500; i++) {
    const labels: Record<string, string> = {};
    for (let j = rand() % 8; j > 0; j--) labels[`k${text()}`] = text();
    expect(alertmanagerFingerprint(labels)).toBe(reference(labels));
  }
});
