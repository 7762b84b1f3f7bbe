/**
 * Fast CLI start (docs/benchmarks.md, CLI start): `rune --version`, `--help`, `rune actions` and a
 * dry run on localhost never load the server (express, pino, prom-client, better-sqlite3), ssh2 or
 * the AWS SDK. Each case runs the CLI from src/ in a fresh node process (TypeScript transpiled on
 * require) and lists the packages in its require.cache afterwards.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const HEAVY = ['express', '@aws-sdk/', 'ssh2', 'pino', 'prom-client', 'better-sqlite3'];

// Runs in the child: a .ts require hook, then main(argv) or a plain require; prints what was loaded.
const CHILD = `
const ts = require('typescript');
const fs = require('node:fs');
require.extensions['.ts'] = (m, file) => {
  const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
  m._compile(ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions, fileName: file }).outputText, file);
};
const [root, spec] = process.argv.slice(1);
const { argv, packages, env } = JSON.parse(spec);
const loaded = () => [...new Set(Object.keys(require.cache).flatMap((f) => {
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(f);
  return m ? [m[1]] : [];
}))];
const files = () => Object.keys(require.cache)
  .filter((f) => f.includes('node_modules'))
  .map((f) => f.split('node_modules/').pop());
const report = (code, out) => process.stdout.write(JSON.stringify({ code, out, loaded: loaded(), files: files() }));
if (packages) { for (const p of packages) require(require.resolve(p, { paths: [root] })); report(0, ''); }
else {
  let out = '';
  const io = { stdout: (s) => void (out += s), stderr: (s) => void (out += s), env, stderrIsTTY: false };
  require(root + '/src/cli/main.ts').main(argv, io).then((code) => report(code, out));
}
`;

type Probe = { code: number; out: string; loaded: string[]; files: string[] };

function probe(spec: { argv?: string[]; packages?: string[] }): Probe {
  const env = { RUNE_PLUGINS_DIR: join(ROOT, 'plugins'), RUNE_CONFIG: join(ROOT, 'rules.yaml'), HOME: '/nonexistent' };
  const r = spawnSync(process.execPath, ['-e', CHILD, ROOT, JSON.stringify({ ...spec, env })], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`probe failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Probe;
}

const heavyIn = (loaded: string[]) => loaded.filter((p) => HEAVY.some((h) => p === h || p.startsWith(h)));

test.each([
  ['--version', ['--version']],
  ['--help', ['--help']],
  ['actions', ['actions']],
  ['a dry run on localhost', ['run', 'noop', '--node', 'localhost', '--dry-run']],
])('%s loads none of express, the AWS SDK, ssh2, pino, prom-client, better-sqlite3', (_name, argv) => {
  const r = probe({ argv });
  expect(r.code).toBe(0);
  expect(r.out).not.toBe('');
  expect(r.loaded).toContain('commander'); // the probe sees packages when they are loaded
  expect(heavyIn(r.loaded)).toEqual([]);
});

test('the probe sees them when they are loaded', () => {
  const packages = ['express', 'pino', 'prom-client', 'better-sqlite3', 'ssh2', '@aws-sdk/client-ssm'];
  expect(heavyIn(probe({ packages }).loaded)).toEqual(expect.arrayContaining(packages));
});

test('rune actions lists plugins without loading ajv: params schemas checked by the precompiled meta-schema', () => {
  const r = probe({ argv: ['actions'] });
  expect(r.out).toContain('gather-logs');
  // Only ajv's tiny runtime helper (deep equality) that the generated meta-schema check uses.
  expect(r.files.filter((f) => f.startsWith('ajv/'))).toEqual(['ajv/dist/runtime/equal.js']);
  expect(probe({ packages: ['ajv'] }).files).toContain('ajv/dist/ajv.js'); // the probe would see it
});
