import { packBatches } from '../../../src/transports/ssm-pack-batches';

const item = (n: number, bytes = 100) => ({ instanceId: `i-${n.toString(16).padStart(17, '0')}`, bytes });
const limits = { fixedBytes: 1000, maxBytes: 10_000, maxInstances: 50 };

test('120 small runs make 3 commands of 50, 50 and 20, in arrival order', () => {
  const items = Array.from({ length: 120 }, (_, i) => item(i, 10));
  const { batches, tooLarge } = packBatches(items, limits);
  expect(batches.map((b) => b.length)).toEqual([50, 50, 20]);
  expect(batches.flat()).toEqual(items);
  expect(tooLarge).toEqual([]);
});

test('the byte budget splits commands before the id count does', () => {
  const { batches } = packBatches(
    Array.from({ length: 10 }, (_, i) => item(i, 2500)),
    limits,
  );
  expect(batches.map((b) => b.length)).toEqual([3, 3, 3, 1]); // 1000 + 3 × 2500 ≤ 10 000 < 1000 + 4 × 2500
});

test('one instance never appears twice in a command (DuplicateInstanceId)', () => {
  const { batches } = packBatches([item(1), item(2), item(1), item(1)], limits);
  expect(batches.map((b) => b.map((x) => x.instanceId))).toEqual([
    [item(1).instanceId, item(2).instanceId],
    [item(1).instanceId],
    [item(1).instanceId],
  ]);
});

test('a run that cannot fit even alone comes back in tooLarge; smaller ones still fill the gaps', () => {
  const big = item(9, 9001);
  const { batches, tooLarge } = packBatches([item(1, 5000), big, item(2, 4000), item(3, 3000)], limits);
  expect(tooLarge).toEqual([big]);
  expect(batches.map((b) => b.map((x) => x.bytes))).toEqual([[5000, 4000], [3000]]);
});
