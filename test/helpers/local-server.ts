import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultTransports } from '../../src/cli/default-transports';
import { readServeSettings, readSettings } from '../../src/settings/read-settings';
import type { Logger } from '../../src/core/logger';
import { startServer, type RunningServer } from '../../src/server/start-server';

export const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * A plugins folder for tests: echo (read-only), fail (mutating) and slow (mutating, holds its node
 * for `seconds`), run on the local transport.
 */
export function writeTestPlugins(dir: string, seconds = 1.5): string {
  const plugins = join(dir, 'plugins');
  mkdirSync(plugins, { recursive: true });
  for (const p of ['echo.sh', 'fail.sh'])
    copyFileSync(join(__dirname, '..', 'fixtures', 'plugins', p), join(plugins, p));
  writeFileSync(
    join(plugins, 'slow.sh'),
    `#!/usr/bin/env bash\n# ---\n# name: slow\n# version: 1.0.0\n# description: Test fixture; holds the node for ${seconds} s\n# mutating: true\n# timeout: 20s\n# ---\ncat >/dev/null\nsleep ${seconds}\necho '{"status":"ok","summary":"slept","data":{}}'\n`,
  );
  chmodSync(join(plugins, 'slow.sh'), 0o755);
  return plugins;
}

/** Every node runs on the local transport (web-*, db-*). */
export const LOCAL_NODES = 'nodes:\n  - {name: "web-*", transport: local}\n  - {name: "db-*", transport: local}\n';

/** `rune serve` in-process on 127.0.0.1:0 with the given rules body and environment. */
export async function startLocalServer(o: {
  dir: string;
  name: string;
  config: string;
  plugins: string;
  env?: Record<string, string>;
  flags?: Record<string, unknown>;
  log?: Logger;
}): Promise<RunningServer> {
  const config = join(o.dir, `${o.name}.yaml`);
  writeFileSync(config, o.config);
  const env = {
    RUNE_CONFIG: config,
    RUNE_PLUGINS_DIR: o.plugins,
    RUNE_PUBLIC_URL: 'https://rune.example.com',
    RUNE_DB: join(o.dir, `${o.name}.db`),
    ...o.env,
  };
  const settings = readSettings({}, env);
  const serve = readServeSettings({ listen: '127.0.0.1:0', ...o.flags }, env, (p) => readFileSync(p, 'utf8'));
  return startServer({ settings, serve, log: o.log ?? quietLog, createTransports: defaultTransports });
}
