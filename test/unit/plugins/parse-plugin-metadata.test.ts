import Ajv from 'ajv';
import { parsePluginMetadata } from '../../../src/plugins/parse-plugin-metadata';

const ajv = new Ajv({ strict: false });
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
    ajv,
  );
  expect(out).toMatchObject({
    ok: true,
    plugin: { name: 'py', interpreter: '/usr/bin/env python3', timeoutMs: 90_000, mutating: false, become: false },
  });
});

test('mutating defaults to true: unknown side effects count as changes', () => {
  const out = parsePluginMetadata(file('name: x\nversion: 1.0.0\ndescription: d'), 'x', '/p/x', ajv);
  expect(out.ok && out.plugin.mutating).toBe(true);
});

test.each([
  ['unknown key', 'name: x\nversion: 1.0.0\ndescription: d\nmutatng: true', /unknown metadata key\(s\): mutatng/],
  ['bad timeout', 'name: x\nversion: 1.0.0\ndescription: d\ntimeout: forever', /timeout "forever" is not a duration/],
  ['uppercase name', 'name: X\nversion: 1.0.0\ndescription: d', /must match/],
  ['params not an object schema', 'name: x\nversion: 1.0.0\ndescription: d\nparams: {type: string}', /type: object/],
  ['duplicate keys', 'name: x\nname: x\nversion: 1.0.0\ndescription: d', /not valid YAML/],
  ['no description', 'name: x\nversion: 1.0.0', /description is missing/],
])('%s is refused with a reason', (_label, meta, reason) => {
  const out = parsePluginMetadata(file(meta), 'x', '/p/x', ajv);
  expect(out.ok).toBe(false);
  if (!out.ok) expect(out.reason).toMatch(reason);
});

test('an unclosed block is refused', () => {
  const out = parsePluginMetadata('#!/bin/sh\n# ---\n# name: x\necho hi\n', 'x', '/p/x', ajv);
  expect(out).toEqual({ ok: false, reason: 'line 4 is inside the metadata block but does not start with "# "' });
});
