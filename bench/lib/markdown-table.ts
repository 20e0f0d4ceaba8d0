/** A GitHub-flavoured markdown table, so a run's output can be pasted into a README or an issue as is. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const fixed = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');

export const mib = (bytes: number): string => fixed(bytes / (1024 * 1024), 1);
