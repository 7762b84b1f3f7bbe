import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Actor } from '../../src/auth/actor';
import { openService, type Service } from '../../src/app/open-service';
import type { Logger } from '../../src/core/logger';
import type { VerifySources } from '../../src/app/verify-runs';
import { createLocalTransport } from '../../src/transports/local-transport';
import { track } from './live-resources';
import { quietLog } from './quiet-log';
import { makeTempDir, removeTempDir } from './temp-dir';
import { LOCAL_NODES, writeTestPlugins } from './test-server';

/** The service of `rune serve` without HTTP, for use-case tests: in-memory store, local transport. */
export interface TestService extends Service {
  dir: string;
  /** Drains, closes and removes the temp dir; safe to call twice. */
  stop(): Promise<void>;
}

export const ADMIN: Actor = { name: 'root-admin', role: 'admin', actions: null, nodes: null };
export const VIEWER: Actor = { name: 'watcher', role: 'viewer', actions: null, nodes: null };
/** An operator that may run only `echo`, only on web-* nodes. */
export const WEB_OPERATOR: Actor = { name: 'web-op', role: 'operator', actions: ['echo'], nodes: ['web-*'] };

/**
 * openService() on a rules file of `rules` (a YAML `rules:` list or more; every node web-* / db-* runs
 * on the local transport, `nodes` adds inventory entries in YAML flow style) with the test plugins
 * echo, fail and slow.
 */
export function startTestService(
  o: { rules?: string; log?: Logger; dryRun?: boolean; nodes?: string[]; verify?: VerifySources } = {},
): TestService {
  const dir = makeTempDir('app');
  const plugins = writeTestPlugins(dir, 0.3);
  const configPath = join(dir, 'rules.yaml');
  const more = (o.nodes ?? []).map((n) => `  - ${n}\n`).join('');
  writeFileSync(configPath, `${LOCAL_NODES}${more}${o.rules ?? 'rules: []\n'}`);
  const service = openService({
    rules: { configPath, configExplicit: true, pluginsDir: plugins },
    apiTokensFile: null,
    apiTokens: [],
    reporterSecrets: { pagerdutyToken: null, pagerdutyApiUrl: 'http://127.0.0.1:9' },
    secrets: [],
    dbPath: ':memory:',
    concurrency: 4,
    dryRun: o.dryRun ?? false,
    publicUrl: 'https://rune.example.com',
    fallbackUser: 'rune',
    webhookRetention: { maxAgeMs: 86_400_000, maxCount: 1000 },
    transports: { local: createLocalTransport() },
    log: o.log ?? quietLog,
    ...(o.verify ? { verify: o.verify } : {}),
  });
  service.start();
  let stopped: Promise<void> | null = null;
  const untrack = track(`RUNE service without HTTP in ${dir}`, () => stop());
  function stop(): Promise<void> {
    stopped ??= (async () => {
      try {
        await service.drain(5000);
        await service.close();
      } finally {
        removeTempDir(dir);
        untrack();
      }
    })();
    return stopped;
  }
  return { ...service, dir, stop };
}
