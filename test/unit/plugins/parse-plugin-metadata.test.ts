import { parsePluginMetadata } from '../../../src/plugins/parse-plugin-metadata';

const file = (meta: string, shebang = '#!/usr/bin/env bash') =>
  `${shebang}\n# ---\n${meta
    .trim()
    .split('\n')
    .map((l) => `# ${l}`)
    .join('\n')}\n# ---\necho\n`;

test('a Python plugin is read like a Bash one: the shebang names the interpreter', () => {
  const out = parsePluginMetadata(
    file('name: py\nversion: 0.1.0-beta.1\ndescription: d\nmutating: false\ntimeout: 90s', '#!/usr/bin/env python3'),
    'py',
    '/p/py.py',
  );
  expect(out).toMatchObject({
    ok: true,
    plugin: { name: 'py', interpreter: '/usr/bin/env python3', timeoutMs: 90_000, mutating: false, become: false },
  });
});

test('mutating defaults to true: unknown side effects count as changes', () => {
  const out = parsePluginMetadata(file('name: x\nversion: 1.0.0\ndescription: d'), 'x', '/p/x');
  expect(out.ok && out.plugin.mutating).toBe(true);
});

// The block starts on line 3 of the file (after the shebang and the opening `# ---`).
test.each([
  [
    'unknown key',
    'name: x\nversion: 1.0.0\ndescription: d\nmutatng: true',
    6,
    /^unknown metadata key "mutatng" \(allowed:/,
  ],
  [
    'bad timeout',
    'name: x\nversion: 1.0.0\ndescription: d\ntimeout: forever',
    6,
    /timeout "forever" is not a duration/,
  ],
  ['uppercase name', 'name: X\nversion: 1.0.0\ndescription: d', 3, /^name "X" must match/],
  ['params not an object schema', 'name: x\nversion: 1.0.0\ndescription: d\nparams: {type: string}', 6, /type: object/],
  ['duplicate keys', 'name: x\nname: x\nversion: 1.0.0\ndescription: d', 4, /not valid YAML: Map keys must be unique/],
  ['no description', 'name: x\nversion: 1.0.0', 2, /^description is missing \(required\)$/],
  ['mutating as a string', 'name: x\nversion: 1.0.0\ndescription: d\nmutating: "no"', 6, /^mutating must be true/],
])('%s is refused with the line and the reason', (_label, meta, line, reason) => {
  const out = parsePluginMetadata(file(meta), 'x', '/p/x');
  expect(out).toEqual({ ok: false, problems: [{ line, reason: expect.stringMatching(reason) }] });
});

test('every problem of the block is reported, each on its line', () => {
  const out = parsePluginMetadata(file('name: y\nversion: one\ntimeout: 0s\nbecome: yes'), 'x', '/p/x');
  expect(out).toEqual({
    ok: false,
    problems: [
      { line: 2, reason: 'description is missing (required)' },
      { line: 3, reason: 'name "y" must equal the file stem "x"' },
      { line: 4, reason: 'version "one" is not semver (e.g. 1.0.0)' },
      { line: 5, reason: 'timeout "0s" is not a duration like 30s or 5m' },
      { line: 6, reason: 'become must be true or false' },
    ],
  });
});

test('an unclosed block is refused at the line that leaves it', () => {
  const out = parsePluginMetadata('#!/bin/sh\n# ---\n# name: x\necho hi\n', 'x', '/p/x');
  expect(out).toEqual({
    ok: false,
    problems: [{ line: 4, reason: 'line 4 is inside the metadata block but does not start with "# "' }],
  });
});
