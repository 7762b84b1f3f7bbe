/**
 * The Dockerfile, replayed without a Docker engine (none runs in CI): its instructions are parsed
 * and carried out in a scratch directory, one sub-directory per stage standing for that stage's
 * filesystem. COPY copies (from the checkout or an earlier stage), RUN runs with sh in WORKDIR,
 * ENV/USER/ENTRYPOINT/CMD/HEALTHCHECK are applied to starting the server, so a step that breaks
 * in the Dockerfile breaks here. What cannot be replayed on the host is said explicitly:
 *  - `apt-get install` steps: the packages must already be installed on this Debian host (dpkg);
 *  - the image's user `node` is uid/gid 1000, as in the official node image;
 *  - the listen address: 127.0.0.1:<free port> instead of the image's 0.0.0.0:9095;
 *  - better-sqlite3's prebuilt binary (see prebuiltBinaries below).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { freePort } from '../helpers/sshd';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { ROOT } from '../helpers/test-server';
import { waitFor } from '../helpers/wait-for';

/** Users the base image has and this host may not. */
const IMAGE_USERS: Record<string, { uid: number; gid: number }> = { node: { uid: 1000, gid: 1000 } };

interface Instruction {
  op: string;
  args: string;
  line: number;
}

/** Dockerfile → instructions: continuation lines joined, comments dropped (also inside continuations). */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buf = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line) || (!buf && line.trim() === '')) return;
    if (!buf) start = i + 1;
    if (line.endsWith('\\')) {
      buf += `${line.slice(0, -1)} `;
      return;
    }
    buf += line;
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(buf);
    if (!m) throw new Error(`Dockerfile line ${start}: cannot parse ${JSON.stringify(buf)}`);
    out.push({ op: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: start });
    buf = '';
  });
  return out;
}

/** ENV k=v k2=v2 (or the legacy ENV k v). */
function parseEnv(args: string): [string, string][] {
  if (!/^\w+=/.test(args)) {
    const [k, ...rest] = args.split(/\s+/);
    return [[k as string, rest.join(' ')]];
  }
  return [...args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)].map((m) => [
    m[1] as string,
    (m[2] as string).replace(/^"(.*)"$/, '$1'),
  ]);
}

interface Stage {
  name: string | null;
  root: string;
  cwd: string;
  env: Record<string, string>;
  user: string | null;
  entrypoint: string[];
  cmd: string[];
  healthcheck: string[] | null;
  volumes: string[];
}

let scratch: string;
let stages: Stage[] = [];
let steps: Instruction[] = [];
let final: Stage;
let server: ChildProcess | null = null;

/** The environment steps run with: the host's tools, none of jest's or npm's own variables. */
const hostEnv = () => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/root',
  LANG: 'C.UTF-8',
});

/**
 * better-sqlite3's native binary, offered to the build stage's `npm ci` the way an image build gets
 * it: its install script (prebuild-install) takes a prebuilt binary for this version and Node ABI,
 * and compiles from source (the Dockerfile's python3/make/g++) only when there is none. An image
 * build downloads it from GitHub, which this host cannot reach; a build with the npm cache on a cache
 * mount finds it there. Here it is the binary the checkout's own `npm ci` built from the same
 * version (the CI step before this one), packed as prebuild-install packs it. That spares a
 * ~100 s compile of SQLite; without a matching binary (another version) the stage compiles as before.
 */
function prebuiltBinaries(dir: string): Record<string, string> {
  const pkg = join(ROOT, 'node_modules', 'better-sqlite3');
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const wanted = lock.packages['node_modules/better-sqlite3']?.version;
  const have = (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string }).version;
  const binary = join(pkg, 'build', 'Release', 'better_sqlite3.node');
  if (!wanted || have !== wanted || !existsSync(binary) || process.platform !== 'linux') return {};
  mkdirSync(dir, { recursive: true });
  const tarball = `better-sqlite3-v${wanted}-node-v${process.versions.modules}-linux-${process.arch}.tar.gz`;
  execFileSync('tar', ['-czf', join(dir, tarball), '-C', pkg, 'build/Release/better_sqlite3.node']);
  // prebuild-install's per-package setting; npm passes it on to the install script (with a warning).
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}
let buildCache: Record<string, string> = {};

/** Absolute image paths (the stage's own directories) → the same paths inside the stage's scratch root. */
function imagePathMapper(stage: Stage, instructions: Instruction[]): (s: string) => string {
  const prefixes = new Set<string>();
  const add = (p: string) => {
    if (isAbsolute(p)) prefixes.add(p.replace(/\/+$/, ''));
  };
  for (const i of instructions) {
    if (i.op === 'WORKDIR') add(i.args);
    if (i.op === 'VOLUME') (JSON.parse(i.args) as string[]).forEach(add);
    if (i.op === 'COPY') add(i.args.split(/\s+/).pop() as string);
    if (i.op === 'ENV') for (const [, v] of parseEnv(i.args)) if (isAbsolute(v)) add(dirname(v));
  }
  const list = [...prefixes].filter((p) => p !== '').sort((a, b) => b.length - a.length);
  const esc = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(^|[\\s="':])(${list.map(esc).join('|')})(?=$|[/\\s"'])`, 'g');
  return (s) => s.replace(re, (_m, before: string, p: string) => `${before}${stage.root}${p}`);
}

function replay(): void {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  steps = parseDockerfile(text);
  // Split into stages first: the path mapper of a stage needs all its instructions.
  const byStage: Instruction[][] = [];
  for (const i of steps) {
    if (i.op === 'FROM') byStage.push([]);
    (byStage[byStage.length - 1] as Instruction[]).push(i);
  }
  for (const [n, instructions] of byStage.entries()) {
    const from = (instructions[0] as Instruction).args;
    const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(from);
    if (!m) throw new Error(`FROM ${from}: cannot parse`);
    const stage: Stage = {
      name: m[2] ?? null,
      root: join(scratch, `stage-${n}`),
      cwd: '/',
      env: {},
      user: null,
      entrypoint: [],
      cmd: [],
      healthcheck: null,
      volumes: [],
    };
    mkdirSync(stage.root, { recursive: true });
    stage.cwd = stage.root;
    const map = imagePathMapper(stage, instructions);
    for (const i of instructions.slice(1)) {
      const where = `Dockerfile line ${i.line} (${i.op} ${i.args.slice(0, 80)})`;
      switch (i.op) {
        case 'WORKDIR':
          stage.cwd = map(i.args);
          mkdirSync(stage.cwd, { recursive: true });
          break;
        case 'ENV':
          for (const [k, v] of parseEnv(i.args)) stage.env[k] = map(v);
          break;
        case 'COPY': {
          const words = i.args.split(/\s+/);
          let fromStage: Stage | null = null;
          while (words[0]?.startsWith('--')) {
            const flag = words.shift() as string;
            const f = /^--from=(.+)$/.exec(flag);
            if (!f) throw new Error(`${where}: flag ${flag} is not replayed by this test`);
            fromStage = stages.find((s) => s.name === f[1]) ?? null;
            if (!fromStage) throw new Error(`${where}: no earlier stage ${f[1]}`);
          }
          const dest = words.pop() as string;
          const target = isAbsolute(dest) ? map(dest) : join(stage.cwd, dest);
          const intoDir = dest.endsWith('/') || words.length > 1;
          for (const src of words) {
            const from = fromStage ? join(fromStage.root, src) : join(ROOT, src);
            if (!existsSync(from))
              throw new Error(
                `${where}: ${src} does not exist${fromStage ? ` in stage ${fromStage.name}` : ' in the build context'}`,
              );
            const to = intoDir ? join(target, basename(src)) : target;
            mkdirSync(dirname(to), { recursive: true });
            cpSync(from, to, { recursive: true });
          }
          break;
        }
        case 'RUN': {
          if (/\bapt-get\s+install\b/.test(i.args)) {
            const pkgs = (/apt-get\s+install\s+([^&;|]*)/.exec(i.args)?.[1] ?? '')
              .split(/\s+/)
              .filter((w) => w && !w.startsWith('-'));
            const missing = pkgs.filter((p) => spawnSync('dpkg', ['-s', p], { stdio: 'ignore' }).status !== 0);
            if (missing.length)
              throw new Error(
                `${where}: the image installs ${missing.join(', ')}, which this host lacks ` +
                  `(apt-get install ${missing.join(' ')})`,
              );
            break;
          }
          let command = map(i.args);
          for (const [name, u] of Object.entries(IMAGE_USERS))
            command = command.replace(new RegExp(`\\b${name}:${name}\\b`, 'g'), `${u.uid}:${u.gid}`);
          const r = spawnSync('sh', ['-c', command], {
            cwd: stage.cwd,
            env: { ...hostEnv(), ...buildCache, ...stage.env },
            encoding: 'utf8',
            timeout: 150_000,
          });
          if (r.status !== 0)
            throw new Error(
              `${where} failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}):\n${r.stdout}\n${r.stderr}`,
            );
          break;
        }
        case 'USER':
          stage.user = i.args;
          break;
        case 'VOLUME':
          stage.volumes = JSON.parse(i.args) as string[];
          for (const v of stage.volumes) mkdirSync(map(v), { recursive: true });
          break;
        case 'ENTRYPOINT':
          stage.entrypoint = (JSON.parse(i.args) as string[]).map(map);
          break;
        case 'CMD':
          stage.cmd = (JSON.parse(i.args) as string[]).map(map);
          break;
        case 'HEALTHCHECK': {
          const m2 = /\bCMD\s+(\[.*\])\s*$/.exec(i.args);
          if (!m2) throw new Error(`${where}: HEALTHCHECK must use the exec form CMD [...]`);
          stage.healthcheck = JSON.parse(m2[1] as string) as string[];
          break;
        }
        case 'EXPOSE':
        case 'LABEL':
          break;
        default:
          throw new Error(`${where}: instruction ${i.op} is not replayed by this test; teach it here`);
      }
    }
    stages.push(stage);
  }
  final = stages[stages.length - 1] as Stage;
}

beforeAll(() => {
  scratch = makeTempDir('docker');
  chmodSync(scratch, 0o755); // the image's user (uid 1000) walks through it
  buildCache = prebuiltBinaries(join(scratch, 'prebuilds'));
  stages = [];
  replay();
}, 240_000);

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    server.kill('SIGKILL');
    await exited;
  }
  removeTempDir(scratch);
});

describe('the Dockerfile, replayed step by step', () => {
  test('is multi-stage; the runtime stage holds only production deps, the compiled code, plugins and rules', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(steps.filter((s) => s.op === 'FROM').every((s) => /^node:20[-\w.]*slim\b/.test(s.args))).toBe(true);
    const app = join(final.root, 'app');
    expect(existsSync(join(app, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'better-sqlite3'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'prom-client'))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const devPresent = Object.keys(pkg.devDependencies).filter((d) => existsSync(join(app, 'node_modules', d)));
    expect(devPresent).toEqual([]);
    expect(existsSync(join(app, 'src'))).toBe(false); // the sources stay in the build stage
    expect(existsSync(final.env.RUNE_CONFIG!)).toBe(true);
    expect(existsSync(join(final.env.RUNE_PLUGINS_DIR!, 'restart-docker.sh'))).toBe(true);
  });

  test('meets docs/architecture.md: non-root user, 0.0.0.0:9095, data/rules/plugins/keys volumes, health check', () => {
    expect(final.user).toBe('node');
    expect(final.env.RUNE_LISTEN).toBe('0.0.0.0:9095');
    expect(final.env.NODE_OPTIONS).toBe('--max-semi-space-size=2');
    expect(final.volumes.sort()).toEqual(['/etc/rune/keys', '/etc/rune/plugins', '/etc/rune/rules', '/var/lib/rune']);
    // Every path setting lives on a volume, so a container keeps its data and takes its own files.
    for (const k of ['RUNE_CONFIG', 'RUNE_PLUGINS_DIR', 'RUNE_SSH_KEY', 'RUNE_SSH_KNOWN_HOSTS', 'RUNE_DB']) {
      const inImage = final.env[k]!.slice(final.root.length);
      expect(final.volumes.some((v) => inImage === v || inImage.startsWith(`${v}/`))).toBe(true);
    }
    expect(final.healthcheck?.join(' ')).toContain('/-/healthy');
    // The database directory belongs to the image's user; it must write there.
    expect(statSync(final.env.RUNE_DB!.replace(/\/[^/]+$/, '')).uid).toBe(IMAGE_USERS.node!.uid);
  });

  test('CMD serves as the image user: /-/healthy, /-/ready answer, HEALTHCHECK passes, SIGTERM exits 0', async () => {
    const port = await freePort();
    const user = IMAGE_USERS[final.user ?? ''];
    if (!user) throw new Error(`USER ${final.user}: unknown uid`);
    const [cmd, ...args] = [...final.entrypoint, ...final.cmd];
    let output = '';
    server = spawn(cmd as string, args, {
      cwd: final.cwd,
      env: { ...hostEnv(), HOME: '/tmp', ...final.env, RUNE_LISTEN: `127.0.0.1:${port}` },
      uid: user.uid,
      gid: user.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    server.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
      server?.once('exit', (code, signal) => r({ code, signal })),
    );
    const base = `http://127.0.0.1:${port}`;
    const healthy = await waitFor(
      async () => {
        if (server?.exitCode !== null) throw new Error(`the server exited ${server?.exitCode}:\n${output}`);
        const r = await fetch(`${base}/-/healthy`).catch(() => null);
        return r?.status === 200 ? r : null;
      },
      () => `/-/healthy to answer 200; server output:\n${output}`,
      20_000,
      100,
    );
    expect(await healthy.text()).toBe('RUNE is Healthy.\n');
    const ready = await fetch(`${base}/-/ready`);
    expect(ready.status).toBe(200);
    // The server runs as the image's user, not root.
    const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(user.uid));
    // It created its database on the data volume.
    expect(existsSync(final.env.RUNE_DB!)).toBe(true);
    // The image's HEALTHCHECK command, pointed at this port, as the image's user.
    const [hc, ...hcArgs] = final.healthcheck!.map((a) => a.replace('127.0.0.1:9095', `127.0.0.1:${port}`));
    const check = spawnSync(hc as string, hcArgs, {
      env: { ...hostEnv(), ...final.env },
      uid: user.uid,
      gid: user.gid,
      timeout: 10_000,
    });
    expect(check.status).toBe(0);
    server.kill('SIGTERM');
    const timer = setTimeout(() => server?.kill('SIGKILL'), 15_000);
    const end = await exited;
    clearTimeout(timer);
    expect(end).toEqual({ code: 0, signal: null });
    // And when nothing listens, the HEALTHCHECK fails.
    expect(spawnSync(hc as string, hcArgs, { env: { ...hostEnv(), ...final.env }, timeout: 10_000 }).status).toBe(1);
  }, 60_000);
});

test('parseDockerfile joins continuations, skips comments, keeps line numbers', () => {
  const parsed = parseDockerfile('# c\nFROM a AS b\nRUN x \\\n  # inside\n && y\nENV A=1 \\\n    B="two words"\n');
  expect(parsed).toEqual([
    { op: 'FROM', args: 'a AS b', line: 2 },
    { op: 'RUN', args: 'x   && y', line: 3 },
    { op: 'ENV', args: 'A=1      B="two words"', line: 6 },
  ]);
  expect(parseEnv('A=1      B="two words"')).toEqual([
    ['A', '1'],
    ['B', 'two words'],
  ]);
});
