/**
 * The core plugins (plugins/*.sh, plugins/disk-usage.py), run directly as RUNE runs them: the
 * rune.plugin/v1 payload on stdin, one JSON object expected on stdout. systemctl, service, docker,
 * nomad and journalctl are the fakes in test/fixtures/shims (steered by SHIM_* variables, calls
 * logged to SHIM_LOG, state kept in SHIM_STATE), put first on a PATH that otherwise holds only
 * /usr/bin:/bin, so nothing on this machine is restarted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import Ajv from 'ajv';
import { parse as parseYaml } from 'yaml';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';

const ROOT = join(__dirname, '..', '..', '..');
const PLUGINS_DIR = join(ROOT, 'plugins');
const SHIMS_DIR = join(ROOT, 'test', 'fixtures', 'shims');
const SHIMS = ['systemctl', 'service', 'docker', 'nomad', 'journalctl'];
const SYSTEM_PATH = '/usr/bin:/bin';
const SHIM_PATH = `${SHIMS_DIR}:${SYSTEM_PATH}`;
const PLUGIN_FILES = ['noop.sh', 'gather-logs.sh', 'restart-docker.sh', 'restart-nomad.sh', 'disk-usage.py'];
const BASH_PLUGINS = PLUGIN_FILES.filter((f) => f.endsWith('.sh'));
/** What the plugins use from the system, for PATHs built by hand (a tool left out is "missing"). */
const SYSTEM_TOOLS = [
  'bash',
  'env',
  'cat',
  'jq',
  'date',
  'mktemp',
  'rm',
  'mv',
  'mkdir',
  'wc',
  'tail',
  'sleep',
  'timeout',
  'python3',
];
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

interface PluginOutput {
  status: string;
  summary: string;
  data: any;
  error?: { code: string; message: string };
}
interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  out: PluginOutput;
  ms: number;
}
interface Sandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** The shims' calls so far, one line each ("docker logs ..."). */
  calls(): string[];
  /** Restarts of a unit recorded by the systemctl/service shims. */
  restarts(unit: string): number;
}

let scratch = '';
let serial = 0;
beforeAll(() => {
  scratch = makeTempDir('core-plugins');
});
afterAll(() => {
  removeTempDir(scratch);
});

function fresh(name: string): string {
  const dir = join(scratch, `${name}-${++serial}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A folder for one test: shim log and state, HOME and TMPDIR; env is all the plugin gets. */
function sandbox(extraEnv: Record<string, string> = {}, path = SHIM_PATH): Sandbox {
  const dir = fresh('sandbox');
  const log = join(dir, 'shim.log');
  const state = join(dir, 'state');
  const tmp = join(dir, 'tmp');
  mkdirSync(state);
  mkdirSync(tmp);
  return {
    dir,
    env: { PATH: path, HOME: dir, TMPDIR: tmp, LANG: 'C', SHIM_LOG: log, SHIM_STATE: state, ...extraEnv },
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
        : [],
    restarts: (unit) => {
      const f = join(state, `${unit}.restarts`);
      return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : 0;
    },
  };
}

/** A bin folder holding symlinks to the given system tools and shims only. */
function binWith(tools: string[], shims: string[]): string {
  const dir = fresh('bin');
  for (const tool of tools) {
    const found = ['/usr/bin', '/bin'].map((d) => join(d, tool)).find((p) => existsSync(p));
    if (!found) throw new Error(`${tool} is not installed in /usr/bin or /bin`);
    symlinkSync(found, join(dir, tool));
  }
  for (const shim of shims) symlinkSync(join(SHIMS_DIR, shim), join(dir, shim));
  return dir;
}

function payload(action: string, params: Record<string, unknown>, dryRun = false): Record<string, unknown> {
  return {
    contract: 'rune.plugin/v1',
    action,
    version: '1.0.0',
    job_id: 'job-0001',
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    node: 'web-1',
    dry_run: dryRun,
    params,
    alert: null,
  };
}

/** Runs a plugin file with `input` on stdin; rejects unless stdout is exactly one JSON object. */
function run(file: string, input: unknown, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(join(PLUGINS_DIR, file), [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdin.on('error', () => undefined); // a plugin may exit before reading all of stdin
    const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', (err) => {
      clearTimeout(killer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(killer);
      const text = stdout.trim();
      let out: unknown;
      try {
        out = JSON.parse(text);
      } catch {
        reject(new Error(`${file}: stdout is not one JSON object: ${JSON.stringify(stdout)}\nstderr: ${stderr}`));
        return;
      }
      if (out === null || typeof out !== 'object' || Array.isArray(out) || text.includes('\n')) {
        reject(new Error(`${file}: stdout must be one JSON object on one line: ${JSON.stringify(stdout)}`));
        return;
      }
      resolve({ code, stdout, stderr, out: out as PluginOutput, ms: Date.now() - started });
    });
    child.stdin.end(typeof input === 'string' ? input : JSON.stringify(input));
  });
}

/** run() plus the output contract: status, one-line summary, data object, error iff status error. */
async function runPlugin(file: string, input: unknown, env: NodeJS.ProcessEnv): Promise<Run> {
  const r = await run(file, input, env);
  expect(['ok', 'error', 'skipped']).toContain(r.out.status);
  expect(typeof r.out.summary).toBe('string');
  expect(r.out.summary).not.toMatch(/[\r\n]/);
  if (r.out.status === 'error') {
    expect(r.code).not.toBe(0);
    expect(r.out.error?.code).toMatch(/^[A-Z][A-Z0-9_]*$/);
    expect(typeof r.out.error?.message).toBe('string');
  } else {
    expect(r.code).toBe(0);
    expect(r.out.error).toBeUndefined();
    expect(r.out.data).toEqual(expect.any(Object));
  }
  return r;
}

function pwnedPath(): string {
  return join(tmpdir(), `pwned-${randomBytes(6).toString('hex')}`);
}

/** The metadata block of a plugin file, parsed as YAML after stripping the "# " prefix. */
function readMeta(file: string): Record<string, unknown> {
  const lines = readFileSync(join(PLUGINS_DIR, file), 'utf8').split('\n');
  expect(lines[0]).toMatch(/^#!\/usr\/bin\/env (bash|python3)$/);
  expect(lines[1]).toBe('# ---');
  const end = lines.indexOf('# ---', 2);
  expect(end).toBeGreaterThan(2);
  const block = lines.slice(2, end);
  for (const line of block) expect(line === '#' || line.startsWith('# ')).toBe(true);
  const meta: unknown = parseYaml(block.map((l) => l.slice(2)).join('\n'), { uniqueKeys: true, schema: 'core' });
  expect(meta).toEqual(expect.any(Object));
  return meta as Record<string, unknown>;
}

function paramsValidator(file: string) {
  const params = readMeta(file).params as Record<string, unknown>;
  return new Ajv({ allErrors: true, useDefaults: true, strict: false }).compile(params);
}

// ---------------------------------------------------------------------------------------------
describe('metadata and lint', () => {
  const mutating: Record<string, boolean> = {
    'noop.sh': false,
    'gather-logs.sh': false,
    'restart-docker.sh': true,
    'restart-nomad.sh': true,
    'disk-usage.py': false,
  };

  test.each(PLUGIN_FILES)(
    '%s: the metadata block is YAML with name = stem, semver, and a params schema that compiles',
    (file) => {
      const meta = readMeta(file);
      expect(
        Object.keys(meta).filter(
          (k) => !['name', 'version', 'description', 'mutating', 'timeout', 'become', 'params'].includes(k),
        ),
      ).toEqual([]);
      expect(meta.name).toBe(basename(file, extname(file)));
      expect(meta.version).toMatch(SEMVER);
      expect(typeof meta.description).toBe('string');
      expect(meta.mutating).toBe(mutating[file]);
      expect(typeof meta.become).toBe('boolean');
      expect(meta.timeout).toMatch(/^\d+(s|m)$/);

      const params = meta.params as {
        type: string;
        additionalProperties: boolean;
        properties: Record<string, { description?: unknown }>;
      };
      expect(params.type).toBe('object');
      expect(params.additionalProperties).toBe(false);
      for (const [name, prop] of Object.entries(params.properties)) {
        expect([name, typeof prop.description]).toEqual([name, 'string']);
      }
      const validate = new Ajv({ allErrors: true, useDefaults: true, strict: false }).compile(params);
      const filled: Record<string, unknown> = {};
      expect(validate(filled)).toBe(true); // every default satisfies the schema
      expect(validate({ no_such_param: 1 })).toBe(false);
      expect(statSync(join(PLUGINS_DIR, file)).mode & 0o777).toBe(0o755);
    },
  );

  test('shellcheck prints nothing for plugins/*.sh', () => {
    const r = spawnSync(
      'shellcheck',
      BASH_PLUGINS.map((f) => join(PLUGINS_DIR, f)),
      { encoding: 'utf8' },
    );
    expect(r.error).toBeUndefined();
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('the shims are shellcheck-clean too', () => {
    const r = spawnSync(
      'shellcheck',
      SHIMS.map((f) => join(SHIMS_DIR, f)),
      { encoding: 'utf8' },
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test.each(BASH_PLUGINS)('%s: without jq on PATH prints the constant DEPENDENCY_MISSING object', async (file) => {
    const bin = binWith(
      SYSTEM_TOOLS.filter((t) => t !== 'jq'),
      SHIMS,
    );
    const sb = sandbox({}, bin);
    const r = await runPlugin(file, payload(basename(file, '.sh'), {}), sb.env);
    expect(r.code).toBe(1);
    expect(r.out).toEqual({
      status: 'error',
      summary: 'jq is not installed on this node',
      error: { code: 'DEPENDENCY_MISSING', message: expect.stringContaining('jq is not installed') },
    });
    expect(sb.calls()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('noop', () => {
  test('echoes its input', async () => {
    const sb = sandbox();
    const input = payload('noop', {});
    const r = await runPlugin('noop.sh', input, sb.env);
    expect(r.out).toEqual({ status: 'ok', summary: 'noop on web-1', data: { input } });
  });

  test('a message goes into the summary; a shell-looking message stays data', async () => {
    const sb = sandbox();
    const pwned = pwnedPath();
    const message = `x"; touch ${pwned}; "`;
    const input = payload('noop', { message });
    const r = await runPlugin('noop.sh', input, sb.env);
    expect(r.out.summary).toBe(`noop on web-1: ${message}`);
    expect(r.out.data.input).toEqual(input);
    expect(existsSync(pwned)).toBe(false);
  });

  test('a message of the wrong type or too long is INVALID_PARAMS', async () => {
    const sb = sandbox();
    for (const message of [42, 'x'.repeat(1001)]) {
      const r = await runPlugin('noop.sh', payload('noop', { message }), sb.env);
      expect(r.out.error?.code).toBe('INVALID_PARAMS');
      expect(r.code).toBe(1);
    }
  });

  test('stdin that is not one JSON object is INVALID_INPUT', async () => {
    const sb = sandbox();
    for (const raw of ['', 'not json', '{} {}', '[1]']) {
      const r = await runPlugin('noop.sh', raw, sb.env);
      expect(r.out.error?.code).toBe('INVALID_INPUT');
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('gather-logs', () => {
  function logFile(lines: number): string {
    const f = join(fresh('logs'), 'app.log');
    writeFileSync(f, Array.from({ length: lines }, (_, i) => `app line ${i + 1}`).join('\n') + '\n');
    return f;
  }

  test('collects journal units, containers and files', async () => {
    const sb = sandbox();
    const file = logFile(20);
    const before = Math.floor(Date.now() / 1000);
    const r = await runPlugin(
      'gather-logs.sh',
      payload('gather-logs', { units: ['docker', 'containerd'], containers: ['web'], files: [file], lines: 10 }),
      sb.env,
    );
    expect(r.out.status).toBe('ok');
    expect(r.out.summary).toMatch(/^gathered 4 sources \([\d.]+ (B|KiB)\) since 30m$/);
    const { since, since_time, sources } = r.out.data;
    expect(since).toBe('30m');
    expect(Math.abs(Date.parse(since_time) / 1000 - (before - 1800))).toBeLessThan(60);
    expect(sources.map((s: { kind: string; name: string; ok: boolean }) => [s.kind, s.name, s.ok])).toEqual([
      ['journal', 'docker', true],
      ['journal', 'containerd', true],
      ['docker', 'web', true],
      ['file', file, true],
    ]);
    expect(sources[0].content).toContain('docker[42]: journal line 1');
    expect(sources[2].content).toContain('web log line 5');
    expect(sources[2].content).toContain('web wrote this to stderr'); // docker logs replays stderr too
    expect(sources[3].content).toBe(Array.from({ length: 10 }, (_, i) => `app line ${i + 11}`).join('\n') + '\n');
    for (const s of sources) {
      expect(s).toMatchObject({ truncated: false, error: null, bytes: Buffer.byteLength(s.content) });
    }
    const calls = sb.calls();
    expect(calls).toContainEqual(
      expect.stringMatching(
        /^journalctl --unit=docker --since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d --no-pager -n 10 -o short-iso$/,
      ),
    );
    expect(calls).toContainEqual(expect.stringMatching(/^docker logs --timestamps --since \d+ --tail 10 -- web$/));
  });

  test('an ISO since is handed to journalctl and docker as the same instant', async () => {
    const sb = sandbox({ TZ: 'UTC' });
    const r = await runPlugin(
      'gather-logs.sh',
      payload('gather-logs', { since: '2024-05-01T10:00:00Z', containers: ['web'] }),
      sb.env,
    );
    expect(r.out.data.since_time).toBe('2024-05-01T10:00:00Z');
    expect(sb.calls()).toEqual([
      'journalctl --unit=docker --since 2024-05-01 10:00:00 --no-pager -n 500 -o short-iso',
      'docker logs --timestamps --since 1714557600 --tail 500 -- web',
    ]);
  });

  test('a failing source is reported in its entry and does not fail the run', async () => {
    const sb = sandbox({ SHIM_JOURNAL_FAIL_UNITS: 'broken', SHIM_DOCKER_UNKNOWN: 'ghost' });
    const missing = `/nonexistent-${randomBytes(4).toString('hex')}.log`;
    const r = await runPlugin(
      'gather-logs.sh',
      payload('gather-logs', { units: ['docker', 'broken'], containers: ['ghost'], files: [missing] }),
      sb.env,
    );
    expect(r.out.status).toBe('ok');
    expect(r.code).toBe(0);
    expect(r.out.summary).toMatch(/^gathered 1 of 4 sources .* since 30m; 3 failed$/);
    expect(r.out.data.sources).toEqual([
      expect.objectContaining({ kind: 'journal', name: 'docker', ok: true, error: null }),
      expect.objectContaining({
        kind: 'journal',
        name: 'broken',
        ok: false,
        content: '',
        error: "Failed to add match 'broken': Invalid argument",
      }),
      expect.objectContaining({
        kind: 'docker',
        name: 'ghost',
        ok: false,
        error: 'Error response from daemon: No such container: ghost',
      }),
      expect.objectContaining({ kind: 'file', name: missing, ok: false, error: 'no such file' }),
    ]);
  });

  test('every source failing is an error; only missing tools make it DEPENDENCY_MISSING', async () => {
    const sb = sandbox({ SHIM_JOURNAL_FAIL_UNITS: 'docker' });
    const r = await runPlugin('gather-logs.sh', payload('gather-logs', { files: ['/nonexistent-x'] }), sb.env);
    expect(r.out.error?.code).toBe('ALL_SOURCES_FAILED');
    expect(r.code).toBe(1);
    expect(r.out.data.sources).toHaveLength(2);

    const noTools = sandbox({}, binWith(SYSTEM_TOOLS, []));
    const m = await runPlugin(
      'gather-logs.sh',
      payload('gather-logs', { units: ['docker'], containers: ['web'] }),
      noTools.env,
    );
    expect(m.out.error?.code).toBe('DEPENDENCY_MISSING');
    expect(m.out.error?.message).toMatch(/journalctl is not installed.*docker is not installed/);
  });

  test('max_bytes caps each source, keeping its newest part', async () => {
    const sb = sandbox({ SHIM_LOG_LINES: '200' });
    const file = logFile(1000);
    const cap = 300;
    const r = await runPlugin(
      'gather-logs.sh',
      payload('gather-logs', { units: ['docker'], containers: ['web'], files: [file], max_bytes: cap, lines: 10000 }),
      sb.env,
    );
    expect(r.out.status).toBe('ok');
    for (const s of r.out.data.sources) {
      expect(s.ok).toBe(true);
      expect(s.truncated).toBe(true);
      expect(s.content.length).toBeGreaterThan(0);
      expect(Buffer.byteLength(s.content)).toBeLessThanOrEqual(cap);
      expect(s.bytes).toBe(Buffer.byteLength(s.content));
    }
    const [journal, docker, tail] = r.out.data.sources;
    expect(journal.content).toMatch(/journal line 200\n$/);
    expect(docker.content).toMatch(/web wrote this to stderr\n$/);
    expect(tail.content).toMatch(/^app line \d+\n[^]*app line 1000\n$/); // starts at a line boundary
  });

  test('a bad since is INVALID_PARAMS (and the schema refuses it too)', async () => {
    const sb = sandbox();
    const validate = paramsValidator('gather-logs.sh');
    for (const since of ['yesterday', '30 minutes', '5y', '-30m', '$(touch /tmp/x)', 42]) {
      expect(validate({ since })).toBe(false);
      const r = await runPlugin('gather-logs.sh', payload('gather-logs', { since }), sb.env);
      expect(r.out.error?.code).toBe('INVALID_PARAMS');
      expect(r.out.error?.message).toContain('since');
    }
    // matches the pattern but is no date: the script still refuses it
    const r = await runPlugin('gather-logs.sh', payload('gather-logs', { since: '2024-13-45' }), sb.env);
    expect(r.out.error?.code).toBe('INVALID_PARAMS');
    expect(sb.calls()).toEqual([]);
  });

  test('dry run reads nothing and reports the plan', async () => {
    const sb = sandbox();
    const r = await runPlugin('gather-logs.sh', payload('gather-logs', { containers: ['web'] }, true), sb.env);
    expect(r.out.status).toBe('ok');
    expect(r.out.data.dry_run).toBe(true);
    expect(r.out.data.would).toEqual([
      expect.stringMatching(/^journalctl --unit=docker /),
      expect.stringMatching(/^docker logs .* -- web$/),
    ]);
    expect(sb.calls()).toEqual([]);
  });

  test('no sources at all is skipped', async () => {
    const sb = sandbox();
    const r = await runPlugin('gather-logs.sh', payload('gather-logs', { units: [] }), sb.env);
    expect(r.out.status).toBe('skipped');
    expect(sb.calls()).toEqual([]);
  });

  test('shell-looking unit, container and file names stay data', async () => {
    const sb = sandbox();
    const pwned = pwnedPath();
    const evil = `x"; touch ${pwned}; "`;
    for (const params of [{ units: [evil] }, { containers: [evil] }, { units: ['$(touch ' + pwned + ')'] }]) {
      const r = await runPlugin('gather-logs.sh', payload('gather-logs', params), sb.env);
      expect(r.out.error?.code).toBe('INVALID_PARAMS');
    }
    expect(sb.calls()).toEqual([]);
    // an absolute path passes the pattern: it reaches tail as one argument and is just not found
    const r = await runPlugin('gather-logs.sh', payload('gather-logs', { files: [`/tmp/${evil}`] }), sb.env);
    expect(r.out.status).toBe('ok');
    expect(r.out.data.sources[1]).toMatchObject({
      kind: 'file',
      name: `/tmp/${evil}`,
      ok: false,
      error: 'no such file',
    });
    expect(existsSync(pwned)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
describe('restart-docker', () => {
  test('restarts through systemctl and waits for docker info; reports before and after', async () => {
    const sb = sandbox({ SHIM_DOCKER_HEALTHY: '0', SHIM_DOCKER_CONTAINERS: '7' });
    const r = await runPlugin('restart-docker.sh', payload('restart-docker', { wait_seconds: 3 }), sb.env);
    expect(r.out).toEqual({
      status: 'ok',
      summary: 'docker restarted; 7 containers running',
      data: {
        method: 'systemctl',
        before: { service_state: 'failed', daemon_responding: false, containers_running: null },
        after: { service_state: 'active', daemon_responding: true, containers_running: 7 },
        waited_seconds: expect.any(Number),
      },
    });
    expect(sb.calls()).toContain('systemctl restart docker');
    expect(sb.restarts('docker')).toBe(1);
  });

  test('falls back to the service command when systemd is not running', async () => {
    const sb = sandbox({ SHIM_SYSTEMD_STATE: 'offline' });
    const r = await runPlugin('restart-docker.sh', payload('restart-docker', { wait_seconds: 2 }), sb.env);
    expect(r.out.status).toBe('ok');
    expect(r.out.data.method).toBe('service');
    expect(sb.calls()).toContain('service docker restart');
    expect(sb.calls()).not.toContain('systemctl restart docker');

    const noSystemctl = sandbox({}, binWith(SYSTEM_TOOLS, ['service', 'docker']));
    const r2 = await runPlugin('restart-docker.sh', payload('restart-docker', { wait_seconds: 2 }), noSystemctl.env);
    expect(r2.out.data.method).toBe('service');
    expect(noSystemctl.restarts('docker')).toBe(1);
  });

  test('a daemon that does not come back is SERVICE_NOT_HEALTHY within about wait_seconds', async () => {
    const sb = sandbox({ SHIM_HEALTHY_AFTER_RESTART: '0' });
    const r = await runPlugin('restart-docker.sh', payload('restart-docker', { wait_seconds: 2 }), sb.env);
    expect(r.code).toBe(1);
    expect(r.out.error?.code).toBe('SERVICE_NOT_HEALTHY');
    expect(r.out.data.before).toEqual({ service_state: 'active', daemon_responding: true, containers_running: 3 });
    expect(r.out.data.after).toEqual({ service_state: 'failed', daemon_responding: false, containers_running: null });
    expect(r.ms).toBeGreaterThanOrEqual(1500);
    expect(r.ms).toBeLessThan(6000);
    expect(sb.restarts('docker')).toBe(1);
  });

  test('a failing restart command is RESTART_FAILED', async () => {
    const sb = sandbox({ SHIM_RESTART_FAIL: '1' });
    const r = await runPlugin('restart-docker.sh', payload('restart-docker', { wait_seconds: 1 }), sb.env);
    expect(r.out.error?.code).toBe('RESTART_FAILED');
    expect(r.out.error?.message).toContain('Job for docker.service failed');
  });

  test('without docker it is DEPENDENCY_MISSING and nothing is restarted', async () => {
    const sb = sandbox({}, binWith(SYSTEM_TOOLS, ['systemctl', 'service']));
    const r = await runPlugin('restart-docker.sh', payload('restart-docker', {}), sb.env);
    expect(r.code).toBe(1);
    expect(r.out.error?.code).toBe('DEPENDENCY_MISSING');
    expect(r.out.error?.message).toMatch(/docker/);
    expect(sb.calls()).toEqual([]);
  });

  test('bad params are INVALID_PARAMS (and the schema refuses them too)', async () => {
    const sb = sandbox();
    const validate = paramsValidator('restart-docker.sh');
    for (const params of [
      { wait_seconds: 'abc' },
      { wait_seconds: 0 },
      { wait_seconds: 601 },
      { wait_seconds: 1.5 },
      { wait: 5 },
    ]) {
      expect(validate({ ...params })).toBe(false);
      const r = await runPlugin('restart-docker.sh', payload('restart-docker', params), sb.env);
      expect(r.out.error?.code).toBe('INVALID_PARAMS');
    }
    const r = await runPlugin('restart-docker.sh', payload('restart-docker', { wait_seconds: 'abc' }), sb.env);
    expect(r.out.error?.message).toBe('wait_seconds must be an integer from 1 to 600, got "abc"');
    expect(sb.calls()).toEqual([]);
  });

  test('dry run changes nothing and says what it would do', async () => {
    const sb = sandbox();
    const r = await runPlugin('restart-docker.sh', payload('restart-docker', { wait_seconds: 5 }, true), sb.env);
    expect(r.out.status).toBe('ok');
    expect(r.out.data).toMatchObject({ dry_run: true, method: 'systemctl', before: { daemon_responding: true } });
    expect(r.out.data.would).toContain('systemctl restart docker');
    expect(sb.calls().filter((c) => /restart/.test(c))).toEqual([]);
    expect(sb.restarts('docker')).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
describe('restart-nomad', () => {
  test('restarts through systemctl and waits for nomad node status -self', async () => {
    const sb = sandbox({ SHIM_NOMAD_HEALTHY: '0' });
    const r = await runPlugin('restart-nomad.sh', payload('restart-nomad', { wait_seconds: 3 }), sb.env);
    expect(r.out).toEqual({
      status: 'ok',
      summary: 'nomad restarted; node ready (eligible)',
      data: {
        method: 'systemctl',
        before: { service_state: 'failed', agent_responding: false, node_status: null, eligibility: null },
        after: { service_state: 'active', agent_responding: true, node_status: 'ready', eligibility: 'eligible' },
        waited_seconds: expect.any(Number),
      },
    });
    expect(sb.calls()).toContain('systemctl restart nomad');
    expect(sb.calls()).toContain('nomad node status -self -short');
    expect(sb.restarts('nomad')).toBe(1);
  });

  test('an agent that does not come back is SERVICE_NOT_HEALTHY', async () => {
    const sb = sandbox({ SHIM_HEALTHY_AFTER_RESTART: '0' });
    const r = await runPlugin('restart-nomad.sh', payload('restart-nomad', { wait_seconds: 2 }), sb.env);
    expect(r.code).toBe(1);
    expect(r.out.error?.code).toBe('SERVICE_NOT_HEALTHY');
    expect(r.out.data.before).toMatchObject({ agent_responding: true, node_status: 'ready' });
    expect(r.out.data.after).toMatchObject({ agent_responding: false, node_status: null });
    expect(r.ms).toBeLessThan(6000);
  });

  test('a node that answers but is not ready is not healthy either', async () => {
    const sb = sandbox({ SHIM_NOMAD_STATUS: 'initializing' });
    const r = await runPlugin('restart-nomad.sh', payload('restart-nomad', { wait_seconds: 1 }), sb.env);
    expect(r.out.error?.code).toBe('SERVICE_NOT_HEALTHY');
    expect(r.out.data.after.node_status).toBe('initializing');
  });

  test('dry run changes nothing', async () => {
    const sb = sandbox();
    const r = await runPlugin('restart-nomad.sh', payload('restart-nomad', {}, true), sb.env);
    expect(r.out.status).toBe('ok');
    expect(r.out.data).toMatchObject({
      dry_run: true,
      method: 'systemctl',
      would: expect.arrayContaining(['systemctl restart nomad']),
    });
    expect(sb.calls().filter((c) => /restart/.test(c))).toEqual([]);
    expect(sb.restarts('nomad')).toBe(0);
  });

  test('without nomad it is DEPENDENCY_MISSING; bad params are INVALID_PARAMS', async () => {
    const sb = sandbox({}, binWith(SYSTEM_TOOLS, ['systemctl']));
    const r = await runPlugin('restart-nomad.sh', payload('restart-nomad', {}), sb.env);
    expect(r.out.error?.code).toBe('DEPENDENCY_MISSING');
    expect(r.out.error?.message).toMatch(/nomad/);
    const pwned = pwnedPath();
    const bad = await runPlugin(
      'restart-nomad.sh',
      payload('restart-nomad', { wait_seconds: `1; touch ${pwned}` }),
      sandbox().env,
    );
    expect(bad.out.error?.code).toBe('INVALID_PARAMS');
    expect(existsSync(pwned)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
describe('disk-usage.py', () => {
  test('reports the usage of /', async () => {
    const sb = sandbox();
    const r = await runPlugin('disk-usage.py', payload('disk-usage', {}), sb.env);
    expect(r.out.status).toBe('ok');
    expect(r.out.summary).toMatch(/^(WARNING: .*; )?fullest: \/ at [\d.]+% \(.* free\)$/);
    const [root] = r.out.data.paths;
    expect(root.path).toBe('/');
    expect(root.total_bytes).toBeGreaterThan(0);
    expect(root.used_bytes + root.free_bytes).toBeLessThanOrEqual(root.total_bytes);
    expect(root.used_percent).toBeGreaterThanOrEqual(0);
    expect(root.used_percent).toBeLessThanOrEqual(100);
    expect(r.out.data.warn_percent).toBe(90);
  });

  test('a missing path is reported with its error; the others still count', async () => {
    const sb = sandbox();
    const missing = `/nonexistent-${randomBytes(4).toString('hex')}`;
    const r = await runPlugin(
      'disk-usage.py',
      payload('disk-usage', { paths: ['/', missing], warn_percent: 1 }),
      sb.env,
    );
    expect(r.out.status).toBe('ok');
    expect(r.out.data.paths[1]).toEqual({ path: missing, error: 'No such file or directory' });
    expect(r.out.summary).toMatch(/^WARNING: \/ at or above 1%; fullest: \/ .*; 1 path could not be measured$/);
    expect(r.out.data.over_threshold).toEqual(['/']);

    const none = await runPlugin('disk-usage.py', payload('disk-usage', { paths: [missing] }), sb.env);
    expect(none.out.error?.code).toBe('ALL_PATHS_FAILED');
  });

  test('bad params are INVALID_PARAMS', async () => {
    const sb = sandbox();
    for (const params of [
      { warn_percent: 'high' },
      { warn_percent: true },
      { warn_percent: 101 },
      { paths: '/' },
      { paths: [] },
      { extra: 1 },
    ]) {
      const r = await runPlugin('disk-usage.py', payload('disk-usage', params), sb.env);
      expect(r.out.error?.code).toBe('INVALID_PARAMS');
    }
  });
});
