import { join } from 'node:path';
import { isRuneError } from '../../../src/core/errors';
import {
  BUNDLED_PLUGINS_DIR,
  readDbPath,
  readServerTarget,
  readServeSettings,
  readSettings,
  readTokensFilePath,
} from '../../../src/settings/read-settings';

const look = (exists = false) => ({ exists: () => exists, home: () => '/home/ann', user: () => 'ann' });
const noFile = (p: string): string => {
  throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
};
const serve = (env: NodeJS.ProcessEnv, flags = {}, readFile = noFile) => readServeSettings(flags, env, readFile);

/** The USAGE error `fn` throws; fails the test when it throws something else or nothing. */
function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isRuneError(err) && err.code === 'USAGE') return err.message;
    throw err;
  }
  throw new Error('expected a USAGE error, nothing was thrown');
}

test('defaults: ./rules.yaml (not named), bundled plugins unless ./plugins exists, known_hosts, OS user', () => {
  expect(readSettings({}, {}, look(false))).toEqual({
    configPath: './rules.yaml',
    configExplicit: false,
    pluginsDir: BUNDLED_PLUGINS_DIR,
    sshKey: undefined,
    sshAgent: undefined,
    knownHosts: join('/home/ann', '.ssh', 'known_hosts'),
    fallbackUser: 'ann',
    ssmOutputS3Bucket: undefined,
  });
  expect(readSettings({}, {}, look(true)).pluginsDir).toBe('./plugins');
  expect(BUNDLED_PLUGINS_DIR).toBe(join(__dirname, '..', '..', '..', 'plugins'));
});

test('variables are read, flags win over them, and an empty variable counts as unset', () => {
  const env = {
    RUNE_CONFIG: '/etc/rune/rules.yaml',
    RUNE_PLUGINS_DIR: '/opt/plugins',
    RUNE_SSH_KEY: '/keys/id',
    SSH_AUTH_SOCK: '/run/agent',
    RUNE_SSH_KNOWN_HOSTS: '/keys/known',
    RUNE_SSH_USER: 'ops',
    RUNE_SSM_OUTPUT_S3_BUCKET: 'bucket',
  };
  expect(readSettings({}, env, look())).toEqual({
    configPath: '/etc/rune/rules.yaml',
    configExplicit: true,
    pluginsDir: '/opt/plugins',
    sshKey: '/keys/id',
    sshAgent: '/run/agent',
    knownHosts: '/keys/known',
    fallbackUser: 'ops',
    ssmOutputS3Bucket: 'bucket',
  });
  expect(readSettings({ config: 'mine.yaml', plugins: 'p' }, env, look())).toMatchObject({
    configPath: 'mine.yaml',
    pluginsDir: 'p',
  });
  const empty = readSettings({}, { RUNE_CONFIG: '', RUNE_SSH_USER: '', RUNE_SSH_KEY: '' }, look());
  expect(empty).toMatchObject({ configPath: './rules.yaml', configExplicit: false, fallbackUser: 'ann' });
  expect(empty.sshKey).toBeUndefined();
});

test('serve defaults: loopback 9095, ./data/rune.db, PagerDuty API, 10 jobs, 7d/100000 history, 30s grace', () => {
  expect(serve({})).toEqual({
    host: '127.0.0.1',
    port: 9095,
    publicUrl: 'http://127.0.0.1:9095',
    dbPath: './data/rune.db',
    dbPassword: null,
    leaseMs: 15_000,
    webhookTokens: [],
    pagerdutySecrets: [],
    pagerdutyToken: null,
    pagerdutyApiUrl: 'https://api.pagerduty.com',
    apiTokensFile: null,
    insecureNoAuth: false,
    dryRun: false,
    concurrency: 10,
    webhookRetention: { maxAgeMs: 7 * 86_400_000, maxCount: 100_000 },
    shutdownGraceMs: 30_000,
    alertmanagerUrls: [],
    prometheusUrl: null,
    verifyIntervalMs: 30_000,
    pagerdutyRoutingKey: null,
    pagerdutyEventsUrl: 'https://events.pagerduty.com',
  });
});

test('PostgreSQL: RUNE_DB as a URL, its password from RUNE_DB_PASSWORD_FILE, RUNE_LEASE bounded', () => {
  const files: Record<string, string> = { '/run/secrets/db': 's3cret\n' };
  const read = (env: NodeJS.ProcessEnv) =>
    readServeSettings({}, env, (p) => {
      if (p in files) return files[p] as string;
      throw Object.assign(new Error('no'), { code: 'ENOENT' });
    });
  const env = { RUNE_DB: 'postgres://rune@db:5432/rune', RUNE_DB_PASSWORD_FILE: '/run/secrets/db', RUNE_LEASE: '5s' };
  expect(read(env)).toMatchObject({ dbPath: 'postgres://rune@db:5432/rune', dbPassword: 's3cret', leaseMs: 5000 });
  expect(() => read({ ...env, RUNE_DB_PASSWORD: 'x' })).toThrow(
    'set RUNE_DB_PASSWORD or RUNE_DB_PASSWORD_FILE, not both',
  );
  expect(() => read({ RUNE_LEASE: '100ms' })).toThrow(/^RUNE_LEASE must be a duration from 1s to 10m, like 15s, got/);
});

test('serve: RUNE_ALERTMANAGER_URL is one URL or an HA list; RUNE_PROMETHEUS_URL; RUNE_VERIFY_INTERVAL', () => {
  expect(
    serve({
      RUNE_ALERTMANAGER_URL: 'http://am-1:9093/, http://am-2:9093',
      RUNE_PROMETHEUS_URL: 'http://prometheus:9090',
      RUNE_VERIFY_INTERVAL: '15s',
    }),
  ).toMatchObject({
    alertmanagerUrls: ['http://am-1:9093', 'http://am-2:9093'],
    prometheusUrl: 'http://prometheus:9090',
    verifyIntervalMs: 15_000,
  });
  expect(() => serve({ RUNE_ALERTMANAGER_URL: 'http://am-1:9093,am-2:9093' })).toThrow(
    'RUNE_ALERTMANAGER_URL must be an http:// or https:// URL, got "am-2:9093"',
  );
  expect(() => serve({ RUNE_VERIFY_INTERVAL: '10ms' })).toThrow(/RUNE_VERIFY_INTERVAL must be a duration/);
});

test('serve: flags over variables; the public URL follows the listen address unless set', () => {
  const env = {
    RUNE_LISTEN: '0.0.0.0:8080',
    RUNE_DB: '/var/lib/rune/rune.db',
    RUNE_PAGERDUTY_API_URL: 'http://127.0.0.1:4000/',
    RUNE_API_TOKENS_FILE: '/etc/rune/tokens',
  };
  expect(serve(env)).toMatchObject({
    host: '0.0.0.0',
    port: 8080,
    publicUrl: 'http://127.0.0.1:8080', // a wildcard is reached on loopback
    dbPath: '/var/lib/rune/rune.db',
    pagerdutyApiUrl: 'http://127.0.0.1:4000',
    apiTokensFile: '/etc/rune/tokens',
  });
  const flags = { listen: '[::1]:9000', db: 'x.db', concurrency: '3', shutdownGrace: '2m', dryRun: true };
  expect(serve(env, flags)).toMatchObject({
    host: '::1',
    port: 9000,
    publicUrl: 'http://[::1]:9000',
    dbPath: 'x.db',
    concurrency: 3,
    shutdownGraceMs: 120_000,
    dryRun: true,
  });
  expect(serve({ ...env, RUNE_PUBLIC_URL: 'https://rune.example.com/' }).publicUrl).toBe('https://rune.example.com');
  expect(serve({ RUNE_PUBLIC_URL: 'https://a.example' }, { publicUrl: 'https://b.example' }).publicUrl).toBe(
    'https://b.example',
  );
  expect(serve({ RUNE_LISTEN: ':9100' })).toMatchObject({ host: '127.0.0.1', port: 9100 });
});

test('secrets come from X or X_FILE (trimmed), never both; an unreadable file is an error naming it', () => {
  const files: Record<string, string> = { '/s/pd': 'one,\ntwo\n', '/s/hook': 'hook-token\n' };
  const readFile = (p: string) => files[p] ?? noFile(p);
  const s = serve(
    { RUNE_PAGERDUTY_SECRETS_FILE: '/s/pd', RUNE_WEBHOOK_TOKEN_FILE: '/s/hook', RUNE_PAGERDUTY_TOKEN: ' pd ' },
    {},
    readFile,
  );
  expect(s.pagerdutySecrets).toEqual(['one', 'two']);
  expect(s.webhookTokens).toEqual([{ name: 'alertmanager', token: 'hook-token' }]);
  expect(s.pagerdutyToken).toBe('pd');
  expect(usageError(() => serve({ RUNE_WEBHOOK_TOKEN: 'a', RUNE_WEBHOOK_TOKEN_FILE: '/s/hook' }))).toBe(
    'set RUNE_WEBHOOK_TOKEN or RUNE_WEBHOOK_TOKEN_FILE, not both',
  );
  expect(usageError(() => serve({ RUNE_PAGERDUTY_TOKEN_FILE: '/nope' }))).toBe(
    'cannot read RUNE_PAGERDUTY_TOKEN_FILE "/nope": ENOENT',
  );
});

test('every invalid value is a USAGE error naming the variable or flag and the value', () => {
  const cases: [() => unknown, string][] = [
    [() => serve({ RUNE_LISTEN: 'localhost' }), 'RUNE_LISTEN must be host:port (e.g. 127.0.0.1:9095), got "localhost"'],
    [
      () => serve({}, { listen: '1.2.3.4:99999' }),
      '--listen must be host:port (e.g. 127.0.0.1:9095), got "1.2.3.4:99999"',
    ],
    [
      () => serve({ RUNE_PUBLIC_URL: 'rune.example.com' }),
      'RUNE_PUBLIC_URL must be an http:// or https:// URL, got "rune.example.com"',
    ],
    [() => serve({}, { publicUrl: 'ftp://x' }), '--public-url must be an http:// or https:// URL, got "ftp://x"'],
    [
      () => serve({ RUNE_PAGERDUTY_API_URL: 'api.pagerduty.com' }),
      'RUNE_PAGERDUTY_API_URL must be an http:// or https:// URL, got "api.pagerduty.com"',
    ],
    [
      () => serve({ RUNE_WEBHOOK_RETENTION: 'a week' }),
      'RUNE_WEBHOOK_RETENTION must be a duration like 7d or 36h, got "a week"',
    ],
    [
      () => serve({ RUNE_WEBHOOK_RETENTION: '0s' }),
      'RUNE_WEBHOOK_RETENTION must be a duration like 7d or 36h, got "0s"',
    ],
    [
      () => serve({ RUNE_WEBHOOK_RETENTION_COUNT: '-5' }),
      'RUNE_WEBHOOK_RETENTION_COUNT must be a whole number (0 turns recording off), got "-5"',
    ],
    [() => serve({}, { concurrency: '0' }), '--concurrency must be an integer from 1 to 1000, got "0"'],
    [() => serve({}, { concurrency: 'many' }), '--concurrency must be an integer from 1 to 1000, got "many"'],
    [() => serve({}, { shutdownGrace: 'soon' }), '--shutdown-grace "soon" is not a duration like 30s or 2m'],
    [
      () => readServerTarget({ server: 'localhost:9095' }, {}),
      '--server must be an http:// or https:// URL, got "localhost:9095"',
    ],
    [() => readServerTarget({}, { RUNE_LISTEN: 'x' }), 'RUNE_LISTEN must be host:port (e.g. 127.0.0.1:9095), got "x"'],
  ];
  for (const [fn, message] of cases) expect(usageError(fn)).toBe(message);
  // 0 is a valid count: recording off.
  expect(serve({ RUNE_WEBHOOK_RETENTION_COUNT: '0' }).webhookRetention.maxCount).toBe(0);
});

test('the server target: --server/--url, else RUNE_PUBLIC_URL, else where RUNE_LISTEN listens; token order', () => {
  expect(readServerTarget({}, {})).toEqual({ url: 'http://127.0.0.1:9095', token: undefined });
  expect(readServerTarget({}, { RUNE_LISTEN: '0.0.0.0:9200', RUNE_API_TOKEN: 'b' })).toEqual({
    url: 'http://127.0.0.1:9200',
    token: 'b',
  });
  const env = { RUNE_PUBLIC_URL: 'https://rune.example.com/', RUNE_TOKEN: 'a', RUNE_API_TOKEN: 'b' };
  expect(readServerTarget({}, env)).toEqual({ url: 'https://rune.example.com', token: 'a' });
  expect(readServerTarget({ url: 'http://h:1//', token: 't' }, env)).toEqual({ url: 'http://h:1', token: 't' });
  expect(readServerTarget({ server: 'http://s:2', url: 'http://h:1' }, env).url).toBe('http://s:2');
});

test('database and tokens file paths', () => {
  expect(readDbPath({}, {})).toBe('./data/rune.db');
  expect(readDbPath({}, { RUNE_DB: '/d.db' })).toBe('/d.db');
  expect(readDbPath({ db: 'f.db' }, { RUNE_DB: '/d.db' })).toBe('f.db');
  expect(readTokensFilePath({}, {})).toBeNull();
  expect(readTokensFilePath({}, { RUNE_API_TOKENS_FILE: '/t' })).toBe('/t');
  expect(readTokensFilePath({ file: 'mine' }, { RUNE_API_TOKENS_FILE: '/t' })).toBe('mine');
});
