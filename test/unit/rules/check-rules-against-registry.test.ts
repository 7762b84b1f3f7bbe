import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../../src/config/validate-config';
import { loadRegistry } from '../../../src/plugins/load-registry';
import { checkRulesAgainstRegistry } from '../../../src/rules/check-rules-against-registry';

const registry = loadRegistry(join(__dirname, '..', '..', '..', 'plugins'));

function check(yaml: string) {
  const out = validateConfig(yaml, 'r.yaml');
  if (!out.value) throw new Error(JSON.stringify(out.errors));
  return checkRulesAgainstRegistry(out.value, registry);
}

const rule = (steps: string) => `notify: {}\nrules:\n  - name: r\n    matchers: ['a="b"']\n    steps:\n${steps}`;

describe('checkRulesAgainstRegistry', () => {
  test('the shipped rules.yaml passes with the shipped plugins', () => {
    const out = validateConfig(readFileSync(join(__dirname, '..', '..', '..', 'rules.yaml'), 'utf8'), 'rules.yaml');
    expect(checkRulesAgainstRegistry(out.value!, registry)).toEqual([]);
  });

  test('an unknown action names the file, line, path and the known plugins', () => {
    expect(check(rule('      - action: noop\n      - action: restart-dokcer\n'))).toEqual([
      {
        file: 'r.yaml',
        line: 7,
        path: 'rules[0].steps[1].action',
        message: expect.stringMatching(
          /^unknown action "restart-dokcer" \(plugins in .*plugins: disk-usage, gather-logs, noop, restart-docker, restart-nomad\)$/,
        ),
      },
    ]);
  });

  test("literal params are checked against the plugin's schema, each problem on its own line", () => {
    const problems = check(
      rule(
        '      - action: gather-logs\n        params:\n          since: yesterday\n          unitz: [docker]\n      - action: restart-docker\n        params: {wait_seconds: 0}\n',
      ),
    );
    expect(problems).toEqual([
      {
        file: 'r.yaml',
        line: 9,
        path: 'rules[0].steps[0].params',
        message: 'gather-logs params: must NOT have additional properties (unknown param "unitz")',
      },
      {
        file: 'r.yaml',
        line: 8,
        path: 'rules[0].steps[0].params.since',
        message: expect.stringMatching(/^gather-logs params: must match pattern/),
      },
      {
        file: 'r.yaml',
        line: 11,
        path: 'rules[0].steps[1].params.wait_seconds',
        message: 'restart-docker params: must be >= 1',
      },
    ]);
  });

  test('a templated string is checked for its type only: it always renders a string', () => {
    const ok = check(
      rule(
        "      - action: gather-logs\n        params: {since: '{{ labels.window }}', units: ['{{ labels.unit }}']}\n",
      ),
    );
    expect(ok).toEqual([]);
    const bad = check(rule("      - action: restart-docker\n        params: {wait_seconds: '{{ labels.wait }}'}\n"));
    expect(bad).toEqual([
      {
        file: 'r.yaml',
        line: 7,
        path: 'rules[0].steps[0].params.wait_seconds',
        message: 'restart-docker params: must be integer (a template always renders a string)',
      },
    ]);
  });

  test('checking does not fill plugin defaults into the config', () => {
    const out = validateConfig(rule('      - action: restart-docker\n'), 'r.yaml');
    checkRulesAgainstRegistry(out.value!, registry);
    expect(out.value!.rules[0]!.steps[0]!.params).toBeUndefined();
    const withParams = validateConfig(
      rule('      - action: gather-logs\n        params: {units: [docker]}\n'),
      'r.yaml',
    );
    checkRulesAgainstRegistry(withParams.value!, registry);
    expect(withParams.value!.rules[0]!.steps[0]!.params).toEqual({ units: ['docker'] });
  });

  test('a mutating action in an on: resolved rule is allowed', () => {
    expect(
      check(
        `rules:\n  - name: r\n    on: resolved\n    matchers: ['a="b"']\n    steps:\n      - action: restart-docker\n`,
      ),
    ).toEqual([]);
  });

  test('without a line map (a config built in code), lines are null and an explicit lineOf wins', () => {
    const config = { ...validateConfig(rule('      - action: nope\n'), 'r.yaml').value! };
    delete config.lines;
    expect(checkRulesAgainstRegistry(config, registry)[0]!.line).toBeNull();
    expect(checkRulesAgainstRegistry(config, registry, () => 42)[0]!.line).toBe(42);
  });
});
