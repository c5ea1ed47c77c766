import { formatTable } from '../report-table.ts';

// What check-updates reports per pin, and the table it prints.

export type UpdateStatus = 'up to date' | 'update available' | 'newer than registry';

export interface UpdateCheck {
  /** What is pinned: `TEN Framework`, `TEN build image`, `Jitsi Meet`, an MCP SDK package (`@modelcontextprotocol/server`, `@modelcontextprotocol/client`, …). */
  dependency: string;
  /** Git repository, image repository or npm package name(s) looked up. */
  package: string;
  /** File holding the pin, relative to the repository root. */
  pinnedIn: string;
  current: string;
  latest: string;
  status: UpdateStatus;
  /** Registry base URL asked. */
  registry: string;
  note?: string;
}

/** The table of pins, their notes, and the registries asked. */
export function formatUpdateTable(results: UpdateCheck[]): string {
  const table = formatTable(
    ['dependency', 'pinned in', 'current', 'latest', 'status'],
    results.map((result) => [result.dependency, result.pinnedIn, result.current, result.latest, result.status]),
  );
  const notes = results.flatMap((result) => (result.note !== undefined ? [`note: ${result.dependency} (${result.pinnedIn}): ${result.note}`] : []));
  const registries = [...new Set(results.map((result) => result.registry))];
  return [table.trimEnd(), ...(notes.length > 0 ? ['', ...notes] : []), '', `registries: ${registries.join(', ')}`, ''].join('\n');
}
