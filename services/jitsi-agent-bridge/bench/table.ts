/** A plain-text table: a header row, a rule, then rows; numbers right-aligned, text left. */
export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const numeric = header.map((_, column) => rows.length > 0 && rows.every((row) => /^[-+]?[\d.]+( ?[%a-zA-Z/]+)?$|^-$/.test(String(row[column] ?? ''))));
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) => (numeric[column] === true ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map((row) => line(row.map(String)))].join('\n');
}
