import { hashToken } from '../../../src/auth/hash-token';
import { parseTokensFile } from '../../../src/auth/parse-tokens-file';

const H1 = hashToken('rune_one');
const H2 = hashToken('rune_two');
const H3 = hashToken('rune_three');

describe('parseTokensFile', () => {
  test('good lines: roles, scopes, comments and blank lines', () => {
    const text =
      `# RUNE API tokens\n\nalice admin ${H1}\n  grafana viewer ${H2}   \n` +
      `bot.pd-ext@ops operator ${H3} actions=gather-logs,restart-docker nodes=web-*,cache-?\n`;
    const { tokens, errors } = parseTokensFile(text, '/etc/rune/tokens');
    expect(errors).toEqual([]);
    expect(tokens.map(({ hash: _hash, ...t }) => t)).toEqual([
      { name: 'alice', role: 'admin', actions: null, nodes: null, line: 3 },
      { name: 'grafana', role: 'viewer', actions: null, nodes: null, line: 4 },
      {
        name: 'bot.pd-ext@ops',
        role: 'operator',
        actions: ['gather-logs', 'restart-docker'],
        nodes: ['web-*', 'cache-?'],
        line: 5,
      },
    ]);
    expect(tokens[0]!.hash.toString('hex')).toBe(H1.slice('sha256:'.length));
  });

  // Every kind of bad line, each reported with file:line; the line's text is never echoed.
  const bad: [string, string, RegExp][] = [
    [
      'old plaintext name:token',
      'alice:rune_s3cret-plaintext',
      /^f:1: not a token line \(expected NAME ROLE sha256:<hex> \[actions=a,b\] \[nodes=glob,glob\]\); the file holds only hashes of tokens: delete this line and create tokens with `rune tokens add NAME --role viewer\|operator\|admin`$/,
    ],
    ['bare plaintext token', 'rune_s3cret-plaintext', /^f:1: not a token line/],
    ['name and role without hash', 'alice admin rune_s3cret-plaintext', /^f:1: not a token line/],
    ['short hash', `alice admin sha256:abc123`, /^f:1: not a token line/],
    ['upper-case hex', `alice admin ${H1.toUpperCase().replace('SHA256', 'sha256')}`, /^f:1: not a token line/],
    ['unknown role', `alice root ${H1}`, /^f:1: role "root" must be one of viewer, operator, admin$/],
    ['bad name', `al/ice admin ${H1}`, /^f:1: token name "al\/ice" must be 1-64 letters/],
    [
      'unknown field',
      `alice operator ${H1} color=blue`,
      /^f:1: unknown field "color=blue" \(expected actions=… or nodes=…\)$/,
    ],
    [
      'empty actions',
      `alice operator ${H1} actions=`,
      /^f:1: actions= needs a comma-separated list without empty entries$/,
    ],
    [
      'bad action name',
      `alice operator ${H1} actions=Restart_Docker`,
      /^f:1: actions=: "Restart_Docker" is not an action name/,
    ],
    ['bad node glob', `alice operator ${H1} nodes=web;rm`, /^f:1: nodes=: "web;rm" is not a node name or glob/],
    ['scope given twice', `alice operator ${H1} nodes=a nodes=b`, /^f:1: nodes= given twice$/],
    [
      'scope on a viewer',
      `alice viewer ${H1} actions=noop`,
      /^f:1: actions= and nodes= narrow an operator token; a viewer token cannot have them$/,
    ],
  ];
  test.each(bad)('refused: %s', (_what, line, message) => {
    const { tokens, errors } = parseTokensFile(`${line}\n`, 'f');
    expect(tokens).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
    expect(errors[0]).not.toContain('s3cret');
  });

  test('duplicate names and duplicate hashes name both lines; every bad line is listed', () => {
    const text = `alice admin ${H1}\n# comment\nalice viewer ${H2}\nbob viewer ${H1}\nold:plain\n`;
    const { tokens, errors } = parseTokensFile(text, 'tokens');
    expect(tokens.map((t) => t.name)).toEqual(['alice']);
    expect(errors).toEqual([
      'tokens:3: token name alice is already used on line 1',
      'tokens:4: the same token hash is already on line 1: one token, one name',
      expect.stringMatching(/^tokens:5: not a token line/),
    ]);
  });
});
