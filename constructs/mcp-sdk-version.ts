import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './repo-root.ts';

/** The MCP server workspace's manifest, which pins the MCP SDK its image installs. */
export const MCP_SERVER_PACKAGE = 'services/mcp-server/package.json';
/** The SDK package whose version names "the MCP SDK" (Renovate bumps the v2 packages as one group). */
const SDK_PACKAGE = '@modelcontextprotocol/server';

/** The MCP SDK version the MCP server image is built with, as its package.json pins it. */
export function mcpSdkVersionOfImage(manifest = join(REPO_ROOT, MCP_SERVER_PACKAGE)): string {
  const { dependencies } = JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, string> };
  const version = dependencies?.[SDK_PACKAGE];
  if (version === undefined) throw new Error(`${MCP_SERVER_PACKAGE} has no dependency ${SDK_PACKAGE}; the MCP SDK version is read from it`);
  return version;
}
