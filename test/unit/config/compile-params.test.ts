import { compileParams, renderParams } from '../../../src/config/compile-params';
import type { TemplateAlert } from '../../../src/config/render-template';

const alert: TemplateAlert = {
  status: 'firing',
  fingerprint: 'f1',
  startsAt: 't0',
  labels: { mountpoint: '/var', unit: 'docker', n: '5' },
  annotations: {},
};

describe('compileParams / renderParams', () => {
  test('every string in nested objects and arrays is rendered; other values are kept as they are', () => {
    const { compiled, errors } = compileParams({
      paths: ['{{ labels.mountpoint }}', '/'],
      nested: { unit: '{{ labels.unit | upper }}.service', list: [{ deep: '{{ alert.fingerprint }}' }] },
      warn_percent: 90,
      follow: true,
      none: null,
    });
    expect(errors).toEqual([]);
    expect(renderParams(compiled, alert)).toEqual({
      paths: ['/var', '/'],
      nested: { unit: 'DOCKER.service', list: [{ deep: 'f1' }] },
      warn_percent: 90,
      follow: true,
      none: null,
    });
  });

  test('a string that is exactly one expression stays a string (no coercion)', () => {
    const { compiled } = compileParams({ wait_seconds: '{{ labels.n }}' });
    expect(renderParams(compiled, alert)).toEqual({ wait_seconds: '5' });
  });

  test('template errors carry their path inside params and their column', () => {
    const { errors } = compileParams({ a: ['ok', '{{ labels.x | nope }}'], b: { c: '{{ constructor }}' } });
    expect(errors).toEqual([
      { path: ['a', 1], column: 15, reason: expect.stringMatching(/unknown filter "nope"/) },
      { path: ['b', 'c'], column: 4, reason: expect.stringMatching(/"constructor" is refused/) },
    ]);
  });

  test('each render returns fresh objects, so filling defaults in one run cannot change the rule', () => {
    const { compiled } = compileParams({ units: ['docker'] });
    const first = renderParams(compiled, alert) as { units: string[]; since?: string };
    first.since = '30m';
    first.units.push('containerd');
    expect(renderParams(compiled, alert)).toEqual({ units: ['docker'] });
  });

  test('a __proto__ key stays a plain data key', () => {
    const params = JSON.parse('{"__proto__": {"polluted": "{{ labels.unit }}"}}') as Record<string, unknown>;
    const out = renderParams(compileParams(params).compiled, alert) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
