import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface CatalogEntry {
  readonly name: string;
  readonly kind: string;
  readonly url?: string;
  readonly [field: string]: unknown;
}

/**
 * The MCP server's own catalog with every workflow's trigger URL pointed at the fake Pipedream
 * (`<fake>/workflows/<tool name>`, which answers with what it was sent), so the tools are the
 * ones the stack ships and calling one reaches no vendor. Connect actions already go to
 * PIPEDREAM_BASE_URL. Written as JSON into `directory`; returns its path.
 */
export function writeDevCatalog(catalogPath: string, pipedreamUrl: string, directory: string): string {
  const catalog = parse(readFileSync(catalogPath, 'utf8')) as { tools?: CatalogEntry[] };
  if (!Array.isArray(catalog.tools)) throw new Error(`${catalogPath} has no list of tools`);
  const tools = catalog.tools.map((entry) => (entry.kind === 'workflow' ? { ...entry, url: `${pipedreamUrl}/workflows/${entry.name}` } : entry));
  const path = join(directory, 'tools.json');
  writeFileSync(path, `${JSON.stringify({ ...catalog, tools }, null, 2)}\n`);
  return path;
}
