/** The one table layout of the CLI's human output (`shimmy models list`, `shimmy plugin list`…). */

/**
 * Left-aligned columns two spaces apart, with a header row. The last column is not padded, so no
 * line ends in spaces (long reasons and ids stay copyable).
 *
 * @example
 * renderTable(["NAME", "STATE"], [["web-search", "enabled"]]);
 * // "NAME        STATE\nweb-search  enabled\n"
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}
