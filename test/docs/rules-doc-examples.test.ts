import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/validate-config';
import { loadRegistry } from '../../src/plugins/load-registry';
import { checkRulesAgainstRegistry } from '../../src/rules/check-rules-against-registry';
import { readRuleTests } from '../../src/app/read-rule-tests';

const ROOT = join(__dirname, '..', '..');

test('every rules.yaml example in docs/rules.md loads without problems against the shipped plugins', () => {
  const blocks = [...readFileSync(join(ROOT, 'docs', 'rules.md'), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map(
    (m) => m[1] as string,
  );
  // Rule snippets (indented list items) are checked together, under the notifiers they name.
  // Rule tests files (the walkthrough) are checked as what they are.
  for (const b of blocks.filter((x) => x.startsWith('tests:')))
    expect(readRuleTests(b, 'docs/rules.md').errors).toEqual([]);
  const snippets = blocks.filter((b) => b.startsWith('  - name:'));
  const files = [
    ...blocks.filter((b) => !b.startsWith('  - name:') && !b.startsWith('tests:')),
    `notify: {slack: {webhook_url_file: /run/secrets/slack}}\nrules:\n${snippets.join('')}`,
  ];
  expect(snippets.length).toBeGreaterThanOrEqual(3);
  const registry = loadRegistry(join(ROOT, 'plugins'));
  for (const text of files) {
    const out = validateConfig(text, 'docs/rules.md');
    expect({ text, errors: out.errors, warnings: out.warnings }).toEqual({ text, errors: [], warnings: [] });
    expect(checkRulesAgainstRegistry(out.value!, registry)).toEqual([]);
  }
});
