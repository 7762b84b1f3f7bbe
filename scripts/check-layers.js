#!/usr/bin/env node
// Fails when a src/ folder imports from a folder above it in docs/architecture.md's layer table,
// or when two folders of the same rank import each other's files. Type-only imports count too:
// a type is a dependency. Run: npm run check:layers
'use strict';
const { join } = require('node:path');
const madge = require('madge');

/** docs/architecture.md, "Layers and which way dependencies go". */
const RANK = {
  core: 0,
  util: 0,
  config: 1,
  settings: 1,
  plugins: 1,
  auth: 1,
  reporters: 1,
  store: 1,
  transports: 2,
  mediator: 3,
  orchestrator: 4,
  jobs: 5,
  guards: 6,
  rules: 7,
  sources: 8,
  app: 9,
  http: 11,
  dashboard: 11,
  server: 11,
  cli: 12,
};
/** Folders of one rank that may use each other (madge still refuses any cycle between files). */
const SAME_RANK_ALLOWED = new Set([
  'core>util',
  'util>core',
  'server>http',
  'http>server',
  'http>dashboard',
  'dashboard>http',
  'server>dashboard',
]);

const folderOf = (file) => (file.includes('/') ? file.split('/')[0] : file);

async function main() {
  const root = join(__dirname, '..');
  const res = await madge(join(root, 'src'), {
    fileExtensions: ['ts'],
    tsConfig: join(root, 'tsconfig.json'),
    detectiveOptions: { ts: { skipTypeImports: false } },
  });
  const graph = res.obj();
  const problems = [];
  for (const [file, deps] of Object.entries(graph)) {
    const from = folderOf(file);
    if (!(from in RANK)) problems.push(`src/${file}: folder ${from}/ has no rank in docs/architecture.md`);
    for (const dep of deps) {
      const to = folderOf(dep);
      if (to === from || !(to in RANK) || !(from in RANK)) continue;
      const up = RANK[to] > RANK[from] || (RANK[to] === RANK[from] && !SAME_RANK_ALLOWED.has(`${from}>${to}`));
      if (up)
        problems.push(
          `src/${file} imports src/${dep}: ${from}/ (rank ${RANK[from]}) may not use ${to}/ (rank ${RANK[to]})`,
        );
    }
  }
  if (problems.length) {
    process.stderr.write(
      `${problems.join('\n')}\n${problems.length} import(s) against the layers of docs/architecture.md\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`layers ok: ${Object.keys(graph).length} files, every import goes down the table\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(2);
});
