import { timeOrderedId } from '../../../src/util/time-ordered-id';

test('ids are UUID-shaped (version 7 layout), unique, and sort by creation time', () => {
  const t = Date.UTC(2026, 10, 24, 7, 0, 0);
  const ids = [timeOrderedId(t), timeOrderedId(t + 1), timeOrderedId(t + 1000), timeOrderedId(t + 86_400_000)];
  for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect([...ids].sort()).toEqual(ids);
  expect(new Set(Array.from({ length: 1000 }, () => timeOrderedId(t))).size).toBe(1000);
  expect(ids[0]!.replace(/-/g, '').slice(0, 12)).toBe(t.toString(16).padStart(12, '0'));
});
