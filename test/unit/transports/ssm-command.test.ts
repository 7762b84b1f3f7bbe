import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import {
  buildSsmCommands,
  deliveryTimeoutSeconds,
  executionTimeoutSeconds,
  inputLine,
  parametersBytes,
  ssmParameters,
} from '../../../src/transports/ssm-command';
import { isSsmInstanceId } from '../../../src/transports/ssm-instance-id';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';

const script = Buffer.from('#!/bin/sh\nprintf \'{"status":"ok","summary":"%s"}\' "$(cat)"\n');
const A = 'i-0123456789abcdef0';
const B = 'mi-0123456789abcdef0';

test("SSM's instance id pattern, exactly as documented (\\w, 8 or 17 after i-, 17 after mi-)", () => {
  for (const ok of [A, 'i-12345678', B, 'i-ABCDEF_123456789A']) expect(isSsmInstanceId(ok)).toBe(true);
  for (const bad of [
    'i-123',
    'i-0123456789abcdef',
    `${A}\n`,
    "i-0123456'; id",
    'mi-12345678',
    'web-1',
    '',
    'i-0123456789abcdef0 ',
  ])
    expect(isSsmInstanceId(bad)).toBe(false);
  expect(() => inputLine({ instanceId: 'i-$(reboot)x', payload: '{}' })).toThrow(/not an SSM instance id/);
});

test('timeouts: executionTimeout = plugin timeout + kill grace + margin, max 48 h; delivery window >= 30 s', () => {
  expect(executionTimeoutSeconds(20_000)).toBe(30);
  expect(executionTimeoutSeconds(1)).toBe(11);
  expect(executionTimeoutSeconds(400 * 3_600_000)).toBe(172_800);
  expect(deliveryTimeoutSeconds(1000)).toBe(30);
  expect(deliveryTimeoutSeconds(120_000)).toBe(130);
  expect(ssmParameters(['true'], 20_000)).toEqual({ commands: ['true'], executionTimeout: ['30'] });
});

test('hostile payloads reach the command only as base64; each instance adds exactly the bytes of its line', () => {
  const hostile = JSON.stringify({ params: { m: "'; poweroff-hostile #", n: '$(id)`id`\n"\\' } });
  const fixed = parametersBytes(
    ssmParameters(buildSsmCommands({ pluginName: 'echo', script, timeoutMs: 1000, become: false, inputs: [] }), 1000),
  );
  const inputs = [
    { instanceId: A, payload: hostile },
    { instanceId: B, payload: '{}' },
  ];
  const commands = buildSsmCommands({ pluginName: 'echo', script, timeoutMs: 1000, become: false, inputs });
  const text = commands.join('\n');
  expect(text).not.toContain('poweroff-hostile');
  expect(text).not.toContain('$(id)');
  expect(text).toContain(Buffer.from(hostile).toString('base64'));
  const added = inputs.map((i) => Buffer.byteLength(JSON.stringify(inputLine(i))) + 1).reduce((a, b) => a + b, 0);
  expect(parametersBytes(ssmParameters(commands, 1000))).toBe(fixed + added);
});

test('run by sh as the agent: each instance reads its input; unknown instance, unset var fail; TMPDIR clean', () => {
  const tmp = makeTempDir('ssm-cmd');
  try {
    const commands = buildSsmCommands({
      pluginName: 'echo',
      script,
      timeoutMs: 5000,
      become: false,
      inputs: [
        { instanceId: A, payload: 'for-a' },
        { instanceId: B, payload: "for-b '$(id)'" },
      ],
    });
    const runAs = (id: string | null) => {
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        TMPDIR: tmp,
        ...(id ? { AWS_SSM_INSTANCE_ID: id } : {}),
      };
      try {
        return {
          code: 0,
          out: execFileSync('sh', ['-c', commands.join('\n')], { env, stdio: ['ignore', 'pipe', 'pipe'] }).toString(),
        };
      } catch (err) {
        const e = err as { status: number; stderr: Buffer };
        return { code: e.status, out: e.stderr.toString() };
      }
    };
    expect(runAs(A)).toEqual({ code: 0, out: '{"status":"ok","summary":"for-a"}' });
    expect(runAs(B)).toEqual({ code: 0, out: `{"status":"ok","summary":"for-b '$(id)'"}` });
    expect(runAs('i-99999999')).toEqual({ code: 125, out: 'rune: no input for instance i-99999999 in this command\n' });
    expect(runAs(null).out).toContain('AWS_SSM_INSTANCE_ID unset');
    expect(readdirSync(tmp)).toEqual([]);
  } finally {
    removeTempDir(tmp);
  }
});
