// Plain-text tables for bench output: numbers right-aligned, text left-aligned, one line per row.

export type Cell = string | number | undefined | null;

/** Format a table as lines. Numbers print with `digits` decimals; undefined/null print as "-". */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], digits = 2): string[] {
  const text = (c: Cell) => (c === undefined || c === null ? '-' : typeof c === 'number' ? (Number.isFinite(c) ? c.toFixed(digits) : String(c)) : c);
  const cells = rows.map((r) => headers.map((_, i) => text(r[i])));
  const right = headers.map((_, i) => rows.some((r) => typeof r[i] === 'number'));
  const width = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: readonly string[]) => r.map((c, i) => (right[i] ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd();
  return [line(headers), width.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
}

/** Same table as Markdown (for pasting into a README). */
export function markdownTable(headers: readonly string[], rows: readonly (readonly Cell[])[], digits = 2): string[] {
  const text = (c: Cell) => (c === undefined || c === null ? '-' : typeof c === 'number' ? (Number.isFinite(c) ? c.toFixed(digits) : String(c)) : c);
  const right = headers.map((_, i) => rows.some((r) => typeof r[i] === 'number'));
  return [
    `| ${headers.join(' | ')} |`,
    `|${right.map((r) => (r ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${headers.map((_, i) => text(r[i])).join(' | ')} |`),
  ];
}
