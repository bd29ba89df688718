/** Plain-text tables for the benchmarks' output: figures and ratios side by side. */
export type Cell = string | number | undefined;

export function formatTable(title: string, header: string[], rows: Cell[][]): string {
  const text = rows.map((row) => row.map(cellText));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [`== ${title}`, line(header), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n') + '\n';
}

function cellText(value: Cell): string {
  if (value === undefined) return '-';
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value.toFixed(Math.abs(value) >= 100 ? 1 : 2);
}

/** Milliseconds as seconds with one decimal. */
export function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

export function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)}x` : '-';
}
