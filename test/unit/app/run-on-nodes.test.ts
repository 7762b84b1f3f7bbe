import { join } from 'node:path';
import { runOnNodes, type RunOnNodesRequest } from '../../../src/app/run-on-nodes';
import { EMBEDDED_CONFIG, type RuneConfig } from '../../../src/config/config-types';
import { isRuneError } from '../../../src/core/errors';
import type { Result } from '../../../src/core/types';
import { loadRegistry } from '../../../src/plugins/load-registry';
import type { ExecOutcome, Transport } from '../../../src/transports/transport';

const registry = loadRegistry(join(__dirname, '..', '..', 'fixtures', 'plugins'));
const config: RuneConfig = {
  ...EMBEDDED_CONFIG,
  source: 'test',
  nodes: [
    { name: 'web-*', transport: 'local' },
    { name: 'ec2-*', transport: 'ssm', instance_id: 'i-0123456789abcdef0' },
  ],
} as RuneConfig;

/** A transport that answers after `ms`, counting how many runs it has at once. */
function counting(kind: 'local' | 'ssm', ms = 20) {
  const seen = { now: 0, max: 0, nodes: [] as string[] };
  const t: Transport = {
    kind,
    close: async () => undefined,
    exec: async (req): Promise<ExecOutcome> => {
      seen.max = Math.max(seen.max, ++seen.now);
      seen.nodes.push(req.target.node);
      await new Promise((r) => setTimeout(r, ms));
      seen.now--;
      const stdout = JSON.stringify({ status: 'ok', summary: `ran on ${req.target.node}`, data: {} });
      return {
        exitCode: 0,
        signal: null,
        stdout,
        stdoutTail: stdout,
        stderrTail: '',
        truncated: false,
        timedOut: false,
        durationMs: ms,
      };
    },
  };
  return { t, seen };
}

const request = (over: Partial<RunOnNodesRequest>): RunOnNodesRequest => ({
  action: 'echo',
  nodes: [],
  params: {},
  dryRun: false,
  pluginDryRun: false,
  forceSsm: false,
  concurrency: 2,
  trigger: { kind: 'cli', actor: 'ann@cli' },
  ...over,
});

const deps = (transports: Record<string, Transport>) => ({
  registry,
  config,
  env: { fallbackUser: 'ann' },
  transports,
  readScript: async () => Buffer.from('#!/bin/sh\n'),
  now: () => new Date(),
});

test('Results come in the order the nodes were named, once per node, at most `concurrency` at once', async () => {
  const local = counting('local');
  const progress: string[] = [];
  const nodes = ['web-5', 'web-1', 'web-4', 'web-1', 'web-3', 'web-2'];
  const results = await runOnNodes(request({ nodes }), deps({ local: local.t }), (r, done, total) =>
    progress.push(`${done}/${total} ${r.node}`),
  );
  expect(results.map((r: Result) => [r.node, r.status])).toEqual(
    ['web-5', 'web-1', 'web-4', 'web-3', 'web-2'].map((n) => [n, 'succeeded']),
  );
  expect(new Set(results.map((r) => r.job_id)).size).toBe(5);
  expect(local.seen.max).toBe(2);
  expect(progress.map((p) => p.split(' ')[0])).toEqual(['1/5', '2/5', '3/5', '4/5', '5/5']);
  expect(results[0]!.trigger).toEqual({ kind: 'cli', actor: 'ann@cli' });
});

test('SSM nodes go to the transport all at once, beside the bounded SSH/local ones', async () => {
  const local = counting('local');
  const ssm = counting('ssm');
  const nodes = ['ec2-1', 'web-1', 'ec2-2', 'ec2-3', 'web-2', 'web-3'];
  const results = await runOnNodes(request({ nodes, concurrency: 1 }), deps({ local: local.t, ssm: ssm.t }));
  expect(results.map((r) => r.transport)).toEqual(['ssm', 'local', 'ssm', 'ssm', 'local', 'local']);
  expect(ssm.seen.max).toBe(3);
  expect(local.seen.max).toBe(1);
});

test('a dry run contacts nothing; a bad node is a failed Result, not an exception', async () => {
  const local = counting('local');
  const results = await runOnNodes(request({ nodes: ['web-1', 'nowhere'], dryRun: true }), deps({ local: local.t }));
  expect(local.seen.nodes).toEqual([]);
  expect(results.map((r) => [r.status, r.error?.code ?? null])).toEqual([
    ['succeeded', null],
    ['failed', 'UNKNOWN_NODE'],
  ]);
});

test('SSM rate controls without any SSM node are a usage error', async () => {
  const err = await runOnNodes(request({ nodes: ['web-1'], ssm: { max_errors: '1' } }), deps({})).catch((e) => e);
  expect(isRuneError(err) && err.code).toBe('USAGE');
  expect((err as Error).message).toContain('apply to SSM runs only');
});
