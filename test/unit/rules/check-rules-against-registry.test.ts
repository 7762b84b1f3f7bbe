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
        code: 'UNKNOWN_ACTION',
        message: expect.stringMatching(
          /^unknown action "restart-dokcer" \(plugins in .*plugins: disk-usage, gather-logs, noop, restart-docker, restart-nomad\)$/,
        ),
      },
    ]);
  });

  test("literal params are checked against the plugin's schema, each problem on its own line", () => {
    const problems = check(
      rule(
        '      - action: gather-logs\n        params:\n          since: yesterday\n          unitz: [docker]\n' +
          '      - action: restart-docker\n        params: {wait_seconds: 0}\n',
      ),
    );
    expect(problems).toEqual([
      {
        file: 'r.yaml',
        line: 9,
        path: 'rules[0].steps[0].params',
        code: 'INVALID_PARAMS',
        message: 'gather-logs params: must NOT have additional properties (unknown param "unitz")',
      },
      {
        file: 'r.yaml',
        line: 8,
        path: 'rules[0].steps[0].params.since',
        code: 'INVALID_PARAMS',
        message: expect.stringMatching(/^gather-logs params: must match pattern/),
      },
      {
        file: 'r.yaml',
        line: 11,
        path: 'rules[0].steps[1].params.wait_seconds',
        code: 'INVALID_PARAMS',
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
        code: 'INVALID_PARAMS',
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

  test('without a line map (a config built in code), lines are null', () => {
    const config = { ...validateConfig(rule('      - action: nope\n'), 'r.yaml').value! };
    delete config.lines;
    expect(checkRulesAgainstRegistry(config, registry)[0]!.line).toBeNull();
  });
});

describe('as a check of validateConfig: one pass over what parsed', () => {
  // Plugins: echo loads; bad-version.sh and wrong-name.sh exist but do not (test/fixtures/broken-plugins).
  const broken = loadRegistry(join(__dirname, '..', '..', 'fixtures', 'broken-plugins'));
  const text = [
    'rules:', //                                                   1
    '  - name: r1', //                                             2
    `    matchers: ['a="b"', 'b=~"(x)\\\\1"']`, //                 3 regex refused (semantic)
    '    steps:', //                                               4
    '      - action: restart-dokcer', //                           5 UNKNOWN_ACTION
    '      - action: echo', //                                     6
    '        params: {message: 5}', //                             7 INVALID_PARAMS
    '    cooldown: 30 minutes', //                                 8 schema
    '  - name: r1', //                                             9 duplicate rule
    `    matchers: ['a="b"']`, //                                  10
    '    on: sometimes', //                                        11 schema
    '    steps:', //                                               12
    '      - action: bad-version', //                              13 PLUGIN_BROKEN
    '      - action: wrong-name', //                               14 PLUGIN_BROKEN
    '      - {action: echo, params: {colour: red}, retry: 2}', //  15 schema (retry) and INVALID_PARAMS (colour)
    '',
  ].join('\n');

  test('schema, semantic and registry problems, each with its line and, from the registry, its code', () => {
    const out = validateConfig(text, 'rules.yaml', [(parsed) => checkRulesAgainstRegistry(parsed, broken)]);
    expect(out.value).toBeUndefined();
    expect(out.errors.map((e) => [e.line, e.path, e.code ?? null, e.message])).toEqual([
      [3, 'rules[0].matchers[1]', null, expect.stringMatching(/^invalid matcher .*backreferences/)],
      [5, 'rules[0].steps[0].action', 'UNKNOWN_ACTION', expect.stringMatching(/^unknown action "restart-dokcer" \(/)],
      [7, 'rules[0].steps[1].params.message', 'INVALID_PARAMS', 'echo params: must be string'],
      [8, 'rules[0].cooldown', null, 'must match pattern "^(\\d+(ms|s|m|h|d))+$"'],
      [9, 'rules[1].name', null, 'duplicate rule "r1" (first at rules[0])'],
      [11, 'rules[1].on', null, 'must be equal to one of the allowed values (firing, resolved)'],
      [
        13,
        'rules[1].steps[0].action',
        'PLUGIN_BROKEN',
        `plugin "bad-version" cannot be loaded: ${join(broken.dir, 'bad-version.sh')}:4: ` +
          'version "one" is not semver (e.g. 1.0.0)',
      ],
      [
        14,
        'rules[1].steps[1].action',
        'PLUGIN_BROKEN',
        `plugin "wrong-name" cannot be loaded: ${join(broken.dir, 'wrong-name.sh')}:3: ` +
          'name "other" must equal the file stem "wrong-name"',
      ],
      [15, 'rules[1].steps[2]', null, 'must NOT have additional properties (unknown key "retry")'],
      [
        15,
        'rules[1].steps[2].params',
        'INVALID_PARAMS',
        'echo params: must NOT have additional properties (unknown param "colour")',
      ],
    ]);
  });

  test('a clean file gives its config, and the check ran on it', () => {
    const ok = 'rules:\n  - name: r\n    matchers: [\'a="b"\']\n    steps: [{action: echo}]\n';
    let checked = 0;
    const out = validateConfig(ok, 'rules.yaml', [
      (parsed) => {
        checked += parsed.rules.length;
        return checkRulesAgainstRegistry(parsed, broken);
      },
    ]);
    expect([out.errors, checked, out.value?.rules.map((r) => r.name)]).toEqual([[], 1, ['r']]);
  });
});

test('on_failure steps, the rule own and under defaults, are checked like steps', () => {
  const yaml =
    'defaults:\n  on_failure: [{action: gather-logz}]\n' +
    `${rule('      - action: noop\n')}    on_failure:\n      - {action: gather-logs, params: {since: 5}}\n`;
  expect(check(yaml).map((p) => [p.path, p.code])).toEqual([
    ['rules[0].on_failure[0].params.since', 'INVALID_PARAMS'],
    ['defaults.on_failure[0].action', 'UNKNOWN_ACTION'],
  ]);
});
