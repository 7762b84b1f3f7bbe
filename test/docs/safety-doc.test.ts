import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/validate-config';

const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'safety.md'), 'utf8');

test('every rules.yaml example in docs/safety.md loads without problems (rule keys inside a rule)', () => {
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  expect(blocks.length).toBeGreaterThanOrEqual(6);
  for (const block of blocks) {
    // A block of indented rule keys is checked inside a rule, one alternative (`# or`) at a time.
    const texts = block.startsWith('    ')
      ? block
          .split(/^\s*# or\n/m)
          .map((keys) => `rules:\n  - name: r\n    matchers: ['alertname="X"']\n    steps: [{action: noop}]\n${keys}`)
      : [block];
    for (const text of texts)
      expect({ text, errors: validateConfig(text, 'docs/safety.md').errors }).toEqual({ text, errors: [] });
  }
});

test('every reason prefix the code can produce is documented', () => {
  for (const prefix of ['paused', 'breaker_open', 'cooldown', 'budget', 'blast_radius', 'node_busy', 'resolved'])
    expect(doc).toContain(`\`${prefix}: …\``);
});
