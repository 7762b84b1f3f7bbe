import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_CONFIG_PATH } from '../config/read-config';

/** Service and CLI settings (docs/architecture.md settings table). Pure apart from the two look-ups passed in. */
export interface Settings {
  configPath: string;
  /** True when the user named the config (flag or RUNE_CONFIG): then it must exist. */
  configExplicit: boolean;
  pluginsDir: string;
  sshKey: string | undefined;
  sshAgent: string | undefined;
  knownHosts: string;
  fallbackUser: string;
  /** RUNE_SSM_OUTPUT_S3_BUCKET: SSM keeps the full output there (docs/transports.md). */
  ssmOutputS3Bucket: string | undefined;
}

/** Where RUNE's own plugins live: `plugins/` beside `dist/` or `src/`. */
export const BUNDLED_PLUGINS_DIR = resolve(__dirname, '..', '..', 'plugins');

export function readSettings(
  flags: { config?: string | undefined; plugins?: string | undefined },
  env: NodeJS.ProcessEnv,
  look: { exists: (p: string) => boolean; home: () => string; user: () => string } = {
    exists: existsSync,
    home: homedir,
    user: () => userInfo().username,
  },
): Settings {
  const configFromUser = flags.config ?? nonEmpty(env.RUNE_CONFIG);
  const pluginsFromUser = flags.plugins ?? nonEmpty(env.RUNE_PLUGINS_DIR);
  return {
    configPath: configFromUser ?? DEFAULT_CONFIG_PATH,
    configExplicit: configFromUser !== undefined,
    // ./plugins when present (an operator's own set), else the core plugins shipped with RUNE.
    pluginsDir: pluginsFromUser ?? (look.exists('./plugins') ? './plugins' : BUNDLED_PLUGINS_DIR),
    sshKey: nonEmpty(env.RUNE_SSH_KEY),
    sshAgent: nonEmpty(env.SSH_AUTH_SOCK),
    knownHosts: nonEmpty(env.RUNE_SSH_KNOWN_HOSTS) ?? join(look.home(), '.ssh', 'known_hosts'),
    fallbackUser: nonEmpty(env.RUNE_SSH_USER) ?? look.user(),
    ssmOutputS3Bucket: nonEmpty(env.RUNE_SSM_OUTPUT_S3_BUCKET),
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
