import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's root. */
export const ROOT = join(__dirname, '..', '..');

/** A page of the documentation: README.md or docs/NAME.md, path relative to the root. */
export interface DocPage {
  path: string;
  text: string;
}

/** README.md and every docs/*.md, in a stable order. */
export function readDocPages(): DocPage[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs].map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }));
}

/** One fenced code block: its info string (`yaml`, `bash`, ''), its text without the fence's indent, its line. */
export interface FencedBlock {
  lang: string;
  text: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** The fenced (```) blocks of a Markdown text, including those indented inside list items. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split('\n');
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```\s*([\w-]*)\s*$/.exec(lines[i] as string);
    if (!open) continue;
    const indent = (open[1] as string).length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^ *```\s*$/.test(lines[j] as string); j++) {
      const l = lines[j] as string;
      body.push(l.slice(Math.min(indent, l.length - l.trimStart().length)));
    }
    blocks.push({ lang: open[2] as string, text: body.length ? `${body.join('\n')}\n` : '', line: i + 1 });
    i = j;
  }
  return blocks;
}

/** The Markdown text outside fenced blocks (blank lines in their place, so line numbers hold). */
export function proseOf(markdown: string): string {
  const lines = markdown.split('\n');
  let inside = false;
  return lines
    .map((l) => {
      const fence = /^ *```/.test(l);
      if (fence) inside = !inside;
      return inside || fence ? '' : l;
    })
    .join('\n');
}
