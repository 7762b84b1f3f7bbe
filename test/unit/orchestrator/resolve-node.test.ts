import { BUILTIN_DEFAULTS, type RuneConfig } from '../../../src/config/config-types';
import { resolveNode } from '../../../src/orchestrator/resolve-node';
import { RuneError } from '../../../src/core/errors';

const config: RuneConfig = {
  source: 'rules.yaml',
  defaults: { ...BUILTIN_DEFAULTS, user: 'rune' },
  nodes: [
    { name: 'localhost', transport: 'local' },
    { name: 'web-1', address: '10.0.1.23' },
    { name: 'web-2', address: '10.0.1.24', user: 'ops', port: 2222, connect_timeout: '3s' },
    { name: 'db-*' },
    { name: '*.prod.example' },
    { name: 'ip-10-0-*', transport: 'ssm', instance_id: 'i-0123456789abcdef0' },
  ],
  notify: {},
  rules: [],
};
const env = { fallbackUser: 'me' };

test('by name, with defaults filled in', () => {
  expect(resolveNode(config, 'web-1', env)).toEqual({
    node: 'web-1',
    transport: 'ssh',
    address: '10.0.1.23',
    port: 22,
    user: 'rune',
    connectTimeoutMs: 10_000,
  });
});

test('by address, per-node user, port and connect timeout', () => {
  expect(resolveNode(config, '10.0.1.24', env)).toEqual({
    node: 'web-2',
    transport: 'ssh',
    address: '10.0.1.24',
    port: 2222,
    user: 'ops',
    connectTimeoutMs: 3000,
  });
});

test('by glob: the matched name is the address; a glob never crosses a dot (DNS wildcard)', () => {
  expect(resolveNode(config, 'db-7', env)).toMatchObject({ node: 'db-7', address: 'db-7' });
  expect(() => resolveNode(config, 'db-7.evil.example', env)).toThrow(/is not in the inventory/);
  expect(resolveNode(config, 'api.prod.example', env)).toMatchObject({ node: 'api.prod.example' });
  expect(() => resolveNode(config, 'a.b.prod.example', env)).toThrow(/is not in the inventory/);
  expect(resolveNode(config, 'ip-10-0-1-2', env)).toMatchObject({
    transport: 'ssm',
    instanceId: 'i-0123456789abcdef0',
  });
});

test('localhost runs locally', () => {
  expect(resolveNode(config, 'localhost', env).transport).toBe('local');
});

test('unknown nodes are refused with UNKNOWN_NODE naming the inventory', () => {
  expect(() => resolveNode(config, 'web-9', env)).toThrow(
    /node "web-9" is not in the inventory of rules.yaml \(known: localhost, web-1, web-2, db-\*, \*\.prod\.example, ip-10-0-\*\)/,
  );
});

test.each(['db-1;reboot', 'db-$(id)', 'db-1 web-1', 'db-1\nx', '../etc', ''])(
  'hostile node name %j is refused before matching globs',
  (name) => {
    let err: unknown;
    try {
      resolveNode(config, name, env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuneError);
    expect((err as RuneError).code).toBe('UNKNOWN_NODE');
  },
);

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

describe('SSM instance ids', () => {
  const ID = 'i-0123456789abcdef0';
  const ssmConfig: RuneConfig = {
    ...config,
    nodes: [
      { name: 'ec2-web-1', transport: 'ssm', instance_id: ID },
      { name: 'web-1', address: '10.0.1.23' },
      { name: 'ip-10-0-*', transport: 'ssm', instance_id: '{{ labels.instance_id }}' },
      { name: 'i-*', transport: 'ssm', instance_id: '{{ labels.instance_id }}' },
      { name: 'bare-ssm', transport: 'ssm' },
      { name: 'typo-ssm', transport: 'ssm', instance_id: 'i-012345' },
      { name: 'ssh-with-template', instance_id: '{{ labels.instance_id }}' },
    ],
  };
  const alert = (labels: Record<string, string>) => ({
    status: 'firing',
    labels,
    annotations: {},
    startsAt: '2025-01-01T00:00:00Z',
    fingerprint: 'f',
  });
  const codeOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      return (e as RuneError).code;
    }
    return 'no error';
  };

  test('--node <instance id> finds the node whose instance_id it is, under that node name', () => {
    expect(resolveNode(ssmConfig, ID, env, 'ssm')).toMatchObject({
      node: 'ec2-web-1',
      transport: 'ssm',
      instanceId: ID,
    });
    expect(resolveNode(ssmConfig, 'ec2-web-1', env)).toMatchObject({ node: 'ec2-web-1', instanceId: ID });
  });

  test('an id matched by a glob name is its own instance id when there is no alert to render the template', () => {
    expect(resolveNode(ssmConfig, 'i-00000000000000abc', env, 'ssm')).toMatchObject({
      node: 'i-00000000000000abc',
      instanceId: 'i-00000000000000abc',
    });
    expect(codeOf(() => resolveNode(ssmConfig, 'mi-0123456789abcdef0', env, 'ssm'))).toBe('UNKNOWN_NODE');
  });

  test("a templated instance_id is rendered from the alert's labels", () => {
    expect(
      resolveNode(ssmConfig, 'ip-10-0-1-2', env, undefined, alert({ instance_id: 'i-0fedcba9876543210' })),
    ).toMatchObject({ node: 'ip-10-0-1-2', transport: 'ssm', instanceId: 'i-0fedcba9876543210' });
  });

  test.each([
    ['a template with no alert and a name that is no id', () => resolveNode(ssmConfig, 'ip-10-0-1-2', env)],
    ['a label that renders empty', () => resolveNode(ssmConfig, 'ip-10-0-1-2', env, undefined, alert({}))],
    [
      'a hostile label',
      () => resolveNode(ssmConfig, 'ip-10-0-1-2', env, undefined, alert({ instance_id: 'i-01234567; reboot' })),
    ],
    ['no instance_id and a name that is no id', () => resolveNode(ssmConfig, 'bare-ssm', env)],
    ['--ssm on a node without one', () => resolveNode(ssmConfig, 'web-1', env, 'ssm')],
    ['a literal that is not an id', () => resolveNode(ssmConfig, 'typo-ssm', env)],
  ])('SSM_INVALID_INSTANCE: %s', (_what, fn) => {
    expect(codeOf(fn)).toBe('SSM_INVALID_INSTANCE');
  });

  test('over SSH a templated instance_id is left alone', () => {
    expect(resolveNode(ssmConfig, 'ssh-with-template', env).instanceId).toBeUndefined();
  });
});

test('one host, one name: case, a trailing dot, its address and its port all resolve to the inventory name', () => {
  for (const asked of ['web-1', 'WEB-1', 'web-1.', '10.0.1.23', '10.0.1.23:22', 'web-1:22']) {
    expect([asked, resolveNode(config, asked, env).node]).toEqual([asked, 'web-1']);
  }
  expect(resolveNode(config, 'web-2:2222', env).node).toBe('web-2');
  // Another port is another sshd: not that node.
  expect(() => resolveNode(config, '10.0.1.24:22', env)).toThrow(/is not in the inventory/);
  expect(resolveNode(config, 'DB-7.', env).node).toBe('db-7');
});

test('an address two inventory nodes share is refused: no lock would cover both', () => {
  const twice: RuneConfig = {
    ...config,
    nodes: [...config.nodes, { name: 'web-1-alias', address: '10.0.1.23', port: 22 }],
  };
  expect(() => resolveNode(twice, '10.0.1.23', env)).toThrow(
    /address 10\.0\.1\.23 is the address of several inventory nodes \(web-1, web-1-alias\)/,
  );
  expect(resolveNode(twice, 'web-1-alias', env).node).toBe('web-1-alias');
});
