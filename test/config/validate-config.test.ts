import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/validate-config';

test('the shipped rules.yaml is valid', () => {
  const out = validateConfig(readFileSync(join(__dirname, '..', '..', 'rules.yaml'), 'utf8'), 'rules.yaml');
  expect(out.errors).toEqual([]);
  expect(out.value!.nodes.map((n) => n.name)).toContain('web-1');
});

test('a typo is an error with file, the line of the unknown key, and path', () => {
  const text = 'defaults:\n  transport: ssh\nnodes:\n  - name: web-1\n    adress: 10.0.0.1\n';
  const out = validateConfig(text, 'r.yaml');
  expect(out.value).toBeNull();
  expect(out.errors).toEqual([{ file: 'r.yaml', line: 5, path: 'nodes[0]', message: 'must NOT have additional properties (unknown key "adress")' }]);
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
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`), 'nodes: *i'].join('\n');
  const out = validateConfig(bomb, 'r.yaml');
  expect(out.value).toBeNull();
  expect(out.errors[0]!.message).toMatch(/[Ee]xcessive alias count|alias/);
});

test('duplicate node names are a semantic error', () => {
  const out = validateConfig('nodes:\n  - name: a\n  - name: a\n', 'r.yaml');
  expect(out.errors).toEqual([{ file: 'r.yaml', line: 3, path: 'nodes[1].name', message: 'duplicate node "a" (first at nodes[0])' }]);
});

test('a jump host must be [user@]host[:port] or none', () => {
  expect(validateConfig('defaults: {jump: "ops@bastion-1:2222"}\nnodes:\n  - {name: a, jump: none}\n  - {name: b, jump: "[::1]:22"}\n', 'r.yaml').errors).toEqual([]);
  const out = validateConfig('nodes:\n  - name: web-1\n    jump: "bastion; rm -rf /"\n', 'r.yaml');
  expect(out.errors[0]).toMatchObject({ line: 3, path: 'nodes[0].jump' });
});
