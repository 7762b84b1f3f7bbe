/**
 * The docs and the code cite only what exists in the repository:
 * - every "docs/architecture.md, Section" in the code and docs names a heading of that page, and
 *   every `docs/architecture.md N` one of its numbered conventions;
 * - every `§N.M` (protocols.md's sections) names a section of docs/protocols.md;
 * - every Markdown link and every repository path in README.md and docs/*.md exists, and every file
 *   a README command names exists (a newcomer runs them from a clone);
 * - nothing cites the design notes the repository grew from, which live outside it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fencedBlocks, proseOf, readDocPages, ROOT } from './read-docs';

/** Built, installed or generated at run time: not part of a clone. */
const NOT_IN_A_CLONE = new Set(['node_modules', 'dist', 'data', 'coverage', 'test-output', '.git']);
const TOP_LEVEL = readdirSync(ROOT).filter((e) => !NOT_IN_A_CLONE.has(e));

/** Every text file of the code, tests (fixtures aside), scripts and docs, path relative to the root. */
function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(ROOT, rel), { withFileTypes: true })) {
      const path = posix.join(rel, entry.name);
      if (entry.isDirectory()) {
        if (path !== 'test/fixtures') walk(path);
      } else if (/\.(ts|js|md|sh|py|ya?ml|json)$/.test(entry.name) || path === '.ci/run') out.push(path);
    }
  };
  for (const dir of ['src', 'test', 'bench', 'scripts', '.ci', 'docs', 'examples']) walk(dir);
  return [...out, 'README.md', 'rules.yaml', 'rules.test.yaml'];
}

const SELF = posix.join('test', 'docs', posix.basename(__filename));
/** This file names what it looks for: it is left out. */
const files = sourceFiles()
  .filter((path) => path !== SELF)
  .map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }));
const pages = readDocPages();

/** Where a match sits, as `path:line`. */
function at(path: string, text: string, index: number): string {
  return `${path}:${text.slice(0, index).split('\n').length}`;
}

const norm = (s: string) => s.replace(/`/g, '').replace(/\s+/g, ' ').trim().toLowerCase();

describe('docs/architecture.md citations', () => {
  const page = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const headings = [...proseOf(page).matchAll(/^#{2,4} (.+)$/gm)].map((m) => norm(m[1] as string));
  const conventions = page.slice(page.indexOf('\n## Conventions'));
  const conventionNumbers = new Set(
    [...conventions.slice(0, conventions.indexOf('\n## ', 1)).matchAll(/^(\d+)\. /gm)].map((m) => Number(m[1])),
  );

  /**
   * A citation names a heading, or the start of one, or a point inside one: "State" names "State and
   * restart semantics", "Safety guards: dedup" names "Safety guards", "HTTP surface" "Service: HTTP surface".
   */
  const names = (cited: string): boolean => {
    const c = norm(cited.replace(/^["']|["']$/g, ''));
    const before = norm(c.split(':')[0] as string);
    return headings.some(
      (h) =>
        h === c ||
        h === before ||
        h.startsWith(`${c} `) ||
        h.startsWith(`${c}:`) ||
        h.startsWith(`${before} `) ||
        h.startsWith(`${before}:`) ||
        h.endsWith(`: ${c}`),
    );
  };

  test('the page has the sections the issue asks for', () => {
    for (const h of [
      'data flow',
      'layers and which way dependencies go',
      'plugins',
      'results and errors',
      'the store contract',
      'remote execution',
      'state and restart semantics',
      'safety guards',
      'settings',
      'conventions',
      'key decisions',
    ])
      expect({ section: h, found: names(h) }).toEqual({ section: h, found: true });
    expect([...conventionNumbers].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  });

  test('every "docs/architecture.md, Section" names a heading of the page', () => {
    const cites = files.flatMap((f) =>
      [...f.text.matchAll(/docs\/architecture\.md,\s*([^)\n;]+)/g)].map((m) => ({
        where: at(f.path, f.text, m.index),
        cited: (m[1] as string).replace(/\s*\*\/$/, '').replace(/[.`\s]+$/, ''),
      })),
    );
    expect(cites.length).toBeGreaterThan(10);
    expect(cites.filter((c) => !names(c.cited))).toEqual([]);
  });

  test('every `docs/architecture.md N` names one of its numbered conventions', () => {
    const cites = files.flatMap((f) =>
      [...f.text.matchAll(/docs\/architecture\.md\s+(\d+)\b/g)].map((m) => ({
        where: at(f.path, f.text, m.index),
        n: Number(m[1]),
      })),
    );
    expect(cites.length).toBeGreaterThan(0);
    expect(cites.filter((c) => !conventionNumbers.has(c.n))).toEqual([]);
  });
});

test('every § citation of docs/protocols.md names a section of it', () => {
  const page = readFileSync(join(ROOT, 'docs', 'protocols.md'), 'utf8');
  const sections = new Set(
    [...proseOf(page).matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((m) => (m[1] as string).replace(/\.$/, '')),
  );
  expect(sections.size).toBeGreaterThan(25);
  const cites = files.flatMap((f) =>
    [...f.text.matchAll(/§(\d+(?:\.\d+)*)/g)]
      .filter((m) => {
        // Another document's sections: RFC 4254 §6.9, docs/plugins.md §5.
        const before = (f.text.slice(0, m.index).split('\n').pop() as string).split('§').pop() as string;
        return !/RFC\s*\d+\w*\W*$/.test(before) && !/(?<!protocols)\.md\W*$/.test(before);
      })
      .map((m) => ({ where: at(f.path, f.text, m.index), section: m[1] as string })),
  );
  expect(cites.length).toBeGreaterThan(50);
  expect(cites.filter((c) => !sections.has(c.section))).toEqual([]);
});

/** `dir/a-{x,y}.json` → both names. */
function expandBraces(path: string): string[] {
  const m = /^(.*?)\{([^}]*)\}(.*)$/.exec(path);
  return m ? (m[2] as string).split(',').flatMap((alt) => expandBraces(`${m[1]}${alt}${m[3]}`)) : [path];
}

/** True when the repository holds `path` (a `*` in its last part matches any name). */
function inRepository(path: string): boolean {
  return expandBraces(path).every((p) => {
    const clean = p.replace(/\/+$/, '');
    if (!clean.includes('*')) return existsSync(join(ROOT, clean));
    const dir = dirname(clean);
    const last = new RegExp(
      `^${posix
        .basename(clean)
        .replace(/[.+?^$()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')}$`,
    );
    return !dir.includes('*') && existsSync(join(ROOT, dir)) && readdirSync(join(ROOT, dir)).some((e) => last.test(e));
  });
}

/** Text before a backticked path that names the repository it belongs to (docs/protocols.md's sources). */
const OTHER_REPOSITORY = /(github\.com\/[\w.-]+\/[\w.-]+|\b(AM|PD-DOCS|PD-API|SSM-MODEL|JS-SDK))[^`;()]*`$/;

describe('paths and links in README.md and docs/*.md', () => {
  test('every relative Markdown link points at a file of the repository', () => {
    const broken = pages.flatMap((page) =>
      [...proseOf(page.text).matchAll(/\]\(([^)\s]+)\)/g)]
        .filter((m) => !/^(https?:|mailto:|#)/.test(m[1] as string))
        .map((m) => ({ where: at(page.path, page.text, m.index), target: (m[1] as string).replace(/#.*$/, '') }))
        .filter((l) => !existsSync(join(ROOT, dirname(l.where.replace(/:\d+$/, '')), l.target))),
    );
    expect(broken).toEqual([]);
  });

  test('every path into the repository (src/…, docs/…, examples/…, …) exists', () => {
    const tops = TOP_LEVEL.filter((e) => statSync(join(ROOT, e)).isDirectory()).map((e) => e.replace('.', '\\.'));
    const pathRe = new RegExp(`(?<![\\w/.~@$-])(?:\\./)?((?:${tops.join('|')})/[\\w.*{},/-]*)(.?)`, 'g');
    const missing = pages.flatMap((page) =>
      [...page.text.matchAll(pathRe)]
        // Cut short by a placeholder (`…`, `<id>`, `$VAR`): not a literal path.
        .filter((m) => !['…', '<', '$'].includes(m[2] as string))
        // Another repository's file, named after its source: AM `docs/notifications.md`, github.com/o/r `x`.
        .filter((m) => !OTHER_REPOSITORY.test(page.text.slice(0, m.index).split('\n').pop() as string))
        // `my-plugin.sh`: the reader's own file, in a how-to.
        .filter((m) => !/(^|\/)my-[^/]*$/.test(m[1] as string))
        .map((m) => ({ where: at(page.path, page.text, m.index), path: (m[1] as string).replace(/[.,:]+$/, '') }))
        .filter((p) => !inRepository(p.path)),
    );
    expect(missing).toEqual([]);
  });

  test("every file a README command names exists (rules.yaml, examples/…), as a clone's user runs them", () => {
    const readme = pages.find((p) => p.path === 'README.md') as { text: string };
    const named = fencedBlocks(readme.text)
      .filter((b) => b.lang === 'bash' || b.lang === 'sh' || b.lang === '')
      .flatMap((b) => [...b.text.matchAll(/(?<![\w/.~-])@?((?:[\w.-]+\/)*[\w.-]+\.(?:json|ya?ml|sh|py))\b/g)])
      .map((m) => m[1] as string);
    expect(named).toEqual(expect.arrayContaining(['rules.yaml', 'examples/alertmanager-disk-full-localhost.json']));
    expect(named.filter((f) => !existsSync(join(ROOT, f)))).toEqual([]);
  });
});

test('nothing cites the design notes outside the repository', () => {
  // Spelled in parts so that this file does not cite them either.
  const outside = [['..', 'shared'].join('/'), ...['DESIGN', 'PROTOCOLS', 'CONVENTIONS'].map((n) => `${n}.md`)];
  const hits = files.flatMap((f) => outside.flatMap((s) => (f.text.includes(s) ? [`${f.path}: ${s}`] : [])));
  expect(hits).toEqual([]);
});
