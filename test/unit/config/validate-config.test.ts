import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../../src/config/validate-config';

test('the shipped rules.yaml is valid, without warnings, with its sample rules and notifier', () => {
  const out = validateConfig(readFileSync(join(__dirname, '..', '..', '..', 'rules.yaml'), 'utf8'), 'rules.yaml');
  expect(out.errors).toEqual([]);
  expect(out.warnings).toEqual([]);
  expect(out.value!.nodes.map((n) => n.name)).toEqual(expect.arrayContaining(['localhost', 'web-1']));
  expect(out.value!.nodes.find((n) => n.name === 'web-1')!.address).toBe('10.0.1.23');
  expect(out.value!.rules.map((r) => r.name)).toEqual(['docker-daemon-down', 'filesystem-almost-full']);
  expect(out.value!.notify).toEqual({ pagerduty: { from: 'rune-bot@example.com' } });
});

test('a typo is an error with file, the line of the unknown key, and path', () => {
  const text = 'defaults:\n  transport: ssh\nnodes:\n  - name: web-1\n    adress: 10.0.0.1\n';
  const out = validateConfig(text, 'r.yaml');
  expect(out.value).toBeUndefined();
  expect(out.errors).toEqual([
    {
      file: 'r.yaml',
      line: 5,
      path: 'nodes[0]',
      message: 'must NOT have additional properties (unknown key "adress")',
    },
  ]);
});

test('a wrong type points at its line', () => {
  const out = validateConfig('nodes:\n  - name: web-1\n    port: "22"\n', 'r.yaml');
  expect(out.errors[0]).toMatchObject({ line: 3, path: 'nodes[0].port', message: 'must be integer' });
});

test('broken YAML is reported with its line', () => {
  const out = validateConfig('nodes:\n  - name: [web-1\n', 'r.yaml');
  expect(out.errors.length).toBeGreaterThan(0);
  expect(out.errors[0]!.line).not.toBeNull();
});

test('duplicate keys, custom tags and alias bombs are refused', () => {
  expect(validateConfig('nodes: []\nnodes: []\n', 'r.yaml').errors[0]!.message).toMatch(/[Mm]ap keys must be unique/);
  expect(validateConfig('nodes: !!js/function "function(){}"\n', 'r.yaml').errors[0]!.message).toMatch(/tag/i);
  const bomb = [
    'a: &a ["x","x","x","x","x","x","x","x","x"]',
    ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
    'nodes: *i',
  ].join('\n');
  const out = validateConfig(bomb, 'r.yaml');
  expect(out.value).toBeUndefined();
  expect(out.errors[0]!.message).toMatch(/[Ee]xcessive alias count|alias/);
});

test('duplicate node names are a semantic error', () => {
  const out = validateConfig('nodes:\n  - name: a\n  - name: a\n', 'r.yaml');
  expect(out.errors).toEqual([
    { file: 'r.yaml', line: 3, path: 'nodes[1].name', message: 'duplicate node "a" (first at nodes[0])' },
  ]);
});

test('a jump host must be [user@]host[:port] or none', () => {
  expect(
    validateConfig(
      'defaults: {jump: "ops@bastion-1:2222"}\nnodes:\n  - {name: a, jump: none}\n  - {name: b, jump: "[::1]:22"}\n',
      'r.yaml',
    ).errors,
  ).toEqual([]);
  const out = validateConfig('nodes:\n  - name: web-1\n    jump: "bastion; rm -rf /"\n', 'r.yaml');
  expect(out.errors[0]).toMatchObject({ line: 3, path: 'nodes[0].jump' });
});

describe('rules', () => {
  const rule = (extra = '', name = 'r') =>
    `  - name: ${name}\n    matchers: ['alertname="X"']\n    steps:\n      - action: noop\n${extra}`;

  test('a valid rule with every key loads with its line map', () => {
    const text = [
      'notify:',
      '  pagerduty: {from: rune-bot@example.com, token_file: /run/secrets/pd}',
      '  slack: {webhook_url_file: /run/secrets/slack}',
      '  webhook: {url: "https://ops.example.com/hook", secret_file: /run/secrets/hook}',
      'rules:',
      '  - name: docker-daemon-down',
      '    description: restart dockerd',
      '    matchers: [\'alertname="DockerDaemonDown"\', \'severity=~"critical|page"\']',
      '    node: "{{ labels.instance | hostname }}"',
      '    on: resolved',
      '    steps:',
      '      - action: gather-logs',
      '        params: {since: 30m, units: [docker]}',
      '        continue_on_error: true',
      '      - action: restart-docker',
      '    notify: [pagerduty, slack, webhook]',
      '',
    ].join('\n');
    const out = validateConfig(text, 'r.yaml');
    expect(out.errors).toEqual([]);
    expect(out.value!.rules[0]).toMatchObject({
      name: 'docker-daemon-down',
      on: 'resolved',
      notify: ['pagerduty', 'slack', 'webhook'],
    });
    expect(out.value!.lines!.get('rules[0].steps[1].action')).toBe(15);
    expect(out.value!.lines!.get('rules[0].matchers[1]')).toBe(8);
  });

  test('an unknown rule key is an error on its own line', () => {
    const out = validateConfig(`rules:\n${rule('    matcher: [x]\n')}`, 'r.yaml');
    expect(out.errors).toEqual([
      {
        file: 'r.yaml',
        line: 6,
        path: 'rules[0]',
        message: 'must NOT have additional properties (unknown key "matcher")',
      },
    ]);
  });

  test('an unknown step key, a missing action and a bad on are schema errors with their lines', () => {
    const out = validateConfig(
      'rules:\n  - name: r\n    matchers: [\'a="b"\']\n    on: fired\n' +
        '    steps:\n      - params: {}\n        continue_on_eror: true\n',
      'r.yaml',
    );
    expect(out.errors).toEqual([
      {
        file: 'r.yaml',
        line: 4,
        path: 'rules[0].on',
        message: 'must be equal to one of the allowed values (firing, resolved)',
      },
      { file: 'r.yaml', line: 6, path: 'rules[0].steps[0]', message: "must have required property 'action'" },
      {
        file: 'r.yaml',
        line: 7,
        path: 'rules[0].steps[0]',
        message: 'must NOT have additional properties (unknown key "continue_on_eror")',
      },
    ]);
  });

  test('a rule name must be lower-case, and matchers and steps must not be empty', () => {
    const out = validateConfig('rules:\n  - name: Docker Down\n    matchers: []\n    steps: []\n', 'r.yaml');
    expect(out.errors.map((e) => [e.line, e.path])).toEqual([
      [2, 'rules[0].name'],
      [3, 'rules[0].matchers'],
      [4, 'rules[0].steps'],
    ]);
  });

  test('a duplicate rule name is an error at the second name', () => {
    const out = validateConfig(`rules:\n${rule()}${rule('', 'r')}`, 'r.yaml');
    expect(out.errors).toEqual([
      { file: 'r.yaml', line: 6, path: 'rules[1].name', message: 'duplicate rule "r" (first at rules[0])' },
    ]);
  });

  test('a bad matcher is an error at its list item, with the column and the reason', () => {
    const out = validateConfig(
      'rules:\n  - name: r\n    matchers:\n      - alertname="X"\n      - severity=~"(a)\\\\1"\n' +
        '    steps: [{action: noop}]\n',
      'r.yaml',
    );
    expect(out.value).toBeUndefined();
    expect(out.errors).toEqual([
      {
        file: 'r.yaml',
        line: 5,
        path: 'rules[0].matchers[1]',
        message: expect.stringMatching(
          /^invalid matcher "severity=~.*\(a\).*1.*": column 11: backreferences \(\\1, \\k<name>\) are not supported/,
        ),
      },
    ]);
  });

  test('a bad template in node or params is an error at its line, with its path inside params', () => {
    const text =
      "rules:\n  - name: r\n    matchers: ['a=\"b\"']\n    node: '{{ labels.instance | hostnme }}'\n" +
      '    steps:\n      - action: gather-logs\n        params:\n' +
      "          units: [docker, '{{ labels.__proto__ }}']\n";
    const out = validateConfig(text, 'r.yaml');
    expect(out.errors).toEqual([
      {
        file: 'r.yaml',
        line: 4,
        path: 'rules[0].node',
        message:
          'invalid template: column 22: unknown filter "hostnme" (filters: hostname, default "x", lower, upper, trim)',
      },
      {
        file: 'r.yaml',
        line: 8,
        path: 'rules[0].steps[0].params.units[1]',
        message: expect.stringMatching(/^invalid template: column 11: "__proto__" is refused/),
      },
    ]);
  });

  test('a notifier a rule names must be configured under notify:', () => {
    const out = validateConfig(
      `notify:\n  pagerduty: {from: a@example.com}\nrules:\n${rule('    notify: [pagerduty, slack]\n')}`,
      'r.yaml',
    );
    expect(out.errors).toEqual([
      {
        file: 'r.yaml',
        line: 8,
        path: 'rules[0].notify[1]',
        message: 'notifier "slack" is not configured under notify: (configured: pagerduty)',
      },
    ]);
    const unknown = validateConfig(`rules:\n${rule('    notify: [email]\n')}`, 'r.yaml');
    expect(unknown.errors).toEqual([
      {
        file: 'r.yaml',
        line: 6,
        path: 'rules[0].notify[0]',
        message: 'must be equal to one of the allowed values (pagerduty, slack, webhook)',
      },
    ]);
  });

  test('an inline secret is refused with a hint at the secret key line', () => {
    const pd = validateConfig('notify:\n  pagerduty:\n    from: a@example.com\n    token: u+abc123\n', 'r.yaml');
    expect(pd.errors).toEqual([
      {
        file: 'r.yaml',
        line: 4,
        path: 'notify.pagerduty',
        message:
          'must NOT have additional properties (unknown key "token"); ' +
          'secrets never live in rules.yaml: use token_file or RUNE_PAGERDUTY_TOKEN',
      },
    ]);
    const slack = validateConfig(
      'notify:\n  slack: {webhook_url: "https://hooks.slack.com/services/T/B/X"}\n',
      'r.yaml',
    );
    expect(slack.errors.map((e) => e.message)).toContain(
      'must NOT have additional properties (unknown key "webhook_url"); ' +
        'secrets never live in rules.yaml: use webhook_url_file',
    );
    const hook = validateConfig('notify:\n  webhook: {url: "ftp://x", secret: abc}\n', 'r.yaml');
    expect(hook.errors.map((e) => e.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/must match pattern/), expect.stringMatching(/use secret_file/)]),
    );
  });

  test('guards are accepted without warnings, per rule and under defaults.guards; blast_radius names one limit', () => {
    const out = validateConfig(
      'defaults:\n  guards: {cooldown: 10m, breaker: {failures: 2}, node_lock_wait: 5m}\nrules:\n' +
        rule(
          '    cooldown: 30m\n    budget: {max_runs: 5, per: 1h}\n' +
            '    blast_radius: {max_percent: 20, per: 1h}\n    breaker: {failures: 4, probe_after: 30m}\n',
        ),
      'r.yaml',
    );
    expect(out.errors).toEqual([]);
    expect(out.warnings).toEqual([]);
    expect(out.value!.defaults.guards).toEqual({ cooldown: '10m', breaker: { failures: 2 }, node_lock_wait: '5m' });
    expect(validateConfig(`rules:\n${rule('    budget: {max_runs: 0, per: 1h}\n')}`, 'r.yaml').errors[0]).toMatchObject(
      { line: 6, path: 'rules[0].budget.max_runs' },
    );
    const both = validateConfig(
      `rules:\n${rule('    blast_radius: {max_nodes: 3, max_percent: 10, per: 1h}\n')}`,
      'r.yaml',
    );
    expect(both.errors).toEqual([
      {
        file: 'r.yaml',
        line: 6,
        path: 'rules[0].blast_radius',
        message: 'blast_radius needs exactly one of max_nodes or max_percent (with per)',
      },
    ]);
    expect(validateConfig('defaults:\n  guards:\n    blast_radius: {per: 1h}\n', 'r.yaml').errors[0]).toMatchObject({
      line: 3,
      path: 'defaults.guards.blast_radius',
    });
    expect(validateConfig('defaults:\n  guards: {cooldwn: 5m}\n', 'r.yaml').errors[0]!.message).toMatch(
      /unknown key "cooldwn"/,
    );
  });
});

test('a templated instance_id is checked when the file loads', () => {
  expect(
    validateConfig('nodes:\n  - {name: "ip-*", transport: ssm, instance_id: "{{ labels.instance_id }}"}\n', 'r.yaml')
      .errors,
  ).toEqual([]);
  const out = validateConfig(
    'nodes:\n  - name: "ip-*"\n    transport: ssm\n    instance_id: "{{ labels.instance_id | nope }}"\n',
    'r.yaml',
  );
  expect(out.errors[0]).toMatchObject({
    line: 4,
    path: 'nodes[0].instance_id',
    message: expect.stringMatching(/^invalid template: column \d+: /),
  });
});

describe('every problem in one pass', () => {
  // Schema errors do not hide the semantic ones: those run on every part the schema accepted.
  const text = [
    'notify:', //                                                1
    '  slack: {webhook_url_file: /run/secrets/slack}', //        2
    'nodes:', //                                                 3
    '  - name: web-1', //                                        4
    '    adress: 10.0.0.1', //                                   5 unknown key
    '  - name: web-1', //                                        6 duplicate node
    '  - {name: "ip-*", address: 10.0.0.9, port: "22"}', //      7 wrong type; glob with an address
    'rules:', //                                                 8
    '  - name: restart-docker', //                               9
    `    matchers: ['alertname="DockerDown"', 'severity=~"(?=a)"']`, // 10 regex refused
    '    steps: [{action: restart-docker}]', //                  11
    '    cooldown: 30 minutes', //                               12 not a duration
    '  - name: restart-docker', //                               13 duplicate rule
    `    matchers: ['alertname="X"']`, //                        14
    "    node: '{{ labels.instance | hostnme }}'", //            15 unknown filter
    '    notify: [pagerduty]', //                                16 not configured
    '    on: sometimes', //                                      17 not in the enum
    '    steps: [{action: noop}]', //                            18
    '    blast_radius: {per: 1h}', //                            19 neither limit
    '  - name: Bad_Name', //                                     20 not the name pattern
    `    matchers: ['a="b"', 'severity=']`, //                   21 matcher without a value
    '    steps:', //                                             22
    '      - action: noop', //                                   23
    "        params: {message: '{{ labels.x | nope }}'}", //     24 unknown filter
    '        continue_on_eror: true', //                         25 unknown key
    '',
  ].join('\n');

  test('schema and semantic problems come together, each on its line, in line order', () => {
    const out = validateConfig(text, 'rules.yaml');
    expect(out.value).toBeUndefined();
    expect(out.errors.map((e) => `${e.line}: ${e.path}: ${e.message}`)).toEqual([
      '5: nodes[0]: must NOT have additional properties (unknown key "adress")',
      '6: nodes[1].name: duplicate node "web-1" (first at nodes[0])',
      '7: nodes[2].port: must be integer',
      '7: nodes[2].address: a glob node cannot have one fixed address; the matched name is the address',
      expect.stringMatching(/^10: rules\[0\]\.matchers\[1\]: invalid matcher .*: column 11: lookarounds .* are not/),
      '12: rules[0].cooldown: must match pattern "^(\\d+(ms|s|m|h|d))+$"',
      '13: rules[1].name: duplicate rule "restart-docker" (first at rules[0])',
      expect.stringMatching(/^15: rules\[1\]\.node: invalid template: column 22: unknown filter "hostnme"/),
      '16: rules[1].notify[0]: notifier "pagerduty" is not configured under notify: (configured: slack)',
      '17: rules[1].on: must be equal to one of the allowed values (firing, resolved)',
      '19: rules[1].blast_radius: blast_radius needs exactly one of max_nodes or max_percent (with per)',
      '20: rules[2].name: must match pattern "^[a-z0-9][a-z0-9_.-]{0,62}$"',
      '21: rules[2].matchers[1]: invalid matcher "severity=": column 10: ' +
        'missing value after = (write "" for the empty value)',
      expect.stringMatching(
        /^24: rules\[2\]\.steps\[0\]\.params\.message: invalid template: column 15: unknown filter/,
      ),
      '25: rules[2].steps[0]: must NOT have additional properties (unknown key "continue_on_eror")',
    ]);
  });

  test('what parsed is handed on, with the refused parts taken out and every index kept', () => {
    const { parsed } = validateConfig(text, 'rules.yaml');
    expect(parsed.nodes).toEqual([{ name: 'web-1' }, { name: 'web-1' }, { name: 'ip-*', address: '10.0.0.9' }]);
    expect(parsed.rules.map((r) => r?.name)).toEqual(['restart-docker', 'restart-docker', undefined]);
    expect(parsed.rules[1]).not.toHaveProperty('on');
    expect(parsed.rules[2]!.steps).toEqual([{ action: 'noop', params: { message: '{{ labels.x | nope }}' } }]);
    expect(parsed.lines.get('rules[2].steps[0].action')).toBe(23);
  });

  test('a blast radius whose limit the schema refused is not also said to lack one', () => {
    const out = validateConfig(
      `rules:\n${'  - name: r\n    matchers: [\'a="b"\']\n    steps: [{action: noop}]\n'}` +
        '    blast_radius: {max_nodes: 0, per: 1h}\n',
      'r.yaml',
    );
    expect(out.errors.map((e) => `${e.line}: ${e.path}: ${e.message}`)).toEqual([
      '5: rules[0].blast_radius.max_nodes: must be >= 1',
    ]);
  });

  test('a file that is not YAML, or not a mapping, has nothing parsed to check further', () => {
    const broken = validateConfig('rules:\n  - name: [r\n', 'r.yaml');
    expect(broken.errors.length).toBeGreaterThan(0);
    expect(broken.parsed.rules).toEqual([]);
    const list = validateConfig('- a\n- b\n', 'r.yaml');
    expect(list.errors.map((e) => `${e.line}: ${e.path}: ${e.message}`)).toEqual(['1: (top level): must be object']);
    expect(list.parsed).toMatchObject({ nodes: [], rules: [], notify: {} });
  });
});
