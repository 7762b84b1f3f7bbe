/** One line of the tokens file, as `rune tokens add` appends it (parse-tokens-file.ts reads it). */
export function formatTokenLine(t: {
  name: string;
  role: string;
  hash: string;
  actions?: string[] | null | undefined;
  nodes?: string[] | null | undefined;
}): string {
  return [
    t.name,
    t.role,
    t.hash,
    ...(t.actions ? [`actions=${t.actions.join(',')}`] : []),
    ...(t.nodes ? [`nodes=${t.nodes.join(',')}`] : []),
  ].join(' ');
}
