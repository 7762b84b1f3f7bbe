import { BUILTIN_DEFAULTS, type RuneConfig } from '../../src/config/config-types';
import { resolveNode } from '../../src/orchestrator/resolve-node';
import { RuneError } from '../../src/errors';

const config: RuneConfig = {
  source: 'rules.yaml',
  defaults: { ...BUILTIN_DEFAULTS, user: 'rune' },
  nodes: [
    { name: 'localhost', transport: 'local' },
    { name: 'web-1', address: '10.0.1.23' },
    { name: 'web-2', address: '10.0.1.24', user: 'ops', port: 2222, connect_timeout: '3s' },
    { name: 'db-*' },
    { name: 'ip-10-0-*', transport: 'ssm', instance_id: 'i-0123456789abcdef0' },
  ],
  notify: {},
  rules: [],
};
const env = { fallbackUser: 'me' };

test('by name, with defaults filled in', () => {
  expect(resolveNode(config, 'web-1', env)).toEqual({ node: 'web-1', transport: 'ssh', address: '10.0.1.23', port: 22, user: 'rune', connectTimeoutMs: 10_000 });
});

test('by address, per-node user, port and connect timeout', () => {
  expect(resolveNode(config, '10.0.1.24', env)).toEqual({ node: 'web-2', transport: 'ssh', address: '10.0.1.24', port: 2222, user: 'ops', connectTimeoutMs: 3000 });
});

test('by glob: the matched name is the address', () => {
  expect(resolveNode(config, 'db-7.example.com', env)).toMatchObject({ node: 'db-7.example.com', address: 'db-7.example.com' });
  expect(resolveNode(config, 'ip-10-0-1-2', env)).toMatchObject({ transport: 'ssm', instanceId: 'i-0123456789abcdef0' });
});

test('localhost runs locally', () => {
  expect(resolveNode(config, 'localhost', env).transport).toBe('local');
});

test('unknown nodes are refused with UNKNOWN_NODE naming the inventory', () => {
  expect(() => resolveNode(config, 'web-9', env)).toThrow(/node "web-9" is not in the inventory of rules.yaml \(known: localhost, web-1, web-2, db-\*, ip-10-0-\*\)/);
});

test.each(['db-1;reboot', 'db-$(id)', 'db-1 web-1', 'db-1\nx', '../etc', ''])('hostile node name %j is refused before matching globs', (name) => {
  let err: unknown;
  try {
    resolveNode(config, name, env);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(RuneError);
  expect((err as RuneError).code).toBe('UNKNOWN_NODE');
});

test('the fallback user applies when neither node nor defaults name one', () => {
  const c = { ...config, defaults: BUILTIN_DEFAULTS };
  expect(resolveNode(c, 'web-1', env).user).toBe('me');
});

test('jump hosts: per node or from defaults, user and port defaulted as ssh -J does, "none" opts out', () => {
  const withJump: RuneConfig = {
    ...config,
    defaults: { ...config.defaults, jump: 'bastion.example.com' },
    nodes: [
      { name: 'web-1', address: '10.0.1.23' },
      { name: 'web-3', address: '10.0.1.25', user: 'ops', jump: 'jumper@[2001:db8::1]:2200' },
      { name: 'edge-1', jump: 'none' },
      { name: 'localhost', transport: 'local' },
    ],
  };
  expect(resolveNode(withJump, 'web-1', env).jump).toEqual({ address: 'bastion.example.com', port: 22, user: 'rune' });
  expect(resolveNode(withJump, 'web-3', env).jump).toEqual({ address: '2001:db8::1', port: 2200, user: 'jumper' });
  expect(resolveNode(withJump, 'edge-1', env).jump).toBeUndefined();
  expect(resolveNode(withJump, 'localhost', env).jump).toBeUndefined();
});
