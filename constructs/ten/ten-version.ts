import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../repo-root.ts';

/** The TEN agent's Dockerfile, whose `ARG TEN_VERSION` decides which TEN release the image is built from. */
export const TEN_AGENT_DOCKERFILE = 'services/ten-agent/Dockerfile';

/**
 * The TEN Framework release the agent image is built from, read from its Dockerfile's
 * `ARG TEN_VERSION=…` (Renovate bumps it there, and a test holds it equal to versions.ts): what
 * every environment runs, since the image is built from this repository.
 */
export function tenVersionOfImage(dockerfile = join(REPO_ROOT, TEN_AGENT_DOCKERFILE)): string {
  const match = /^ARG TEN_VERSION=(\S+)\s*$/m.exec(readFileSync(dockerfile, 'utf8'));
  if (match?.[1] === undefined) throw new Error(`${TEN_AGENT_DOCKERFILE} has no line "ARG TEN_VERSION=<release>"; the agent's TEN version is read from it`);
  return match[1];
}
