import { join } from 'node:path';
import { REPO_ROOT } from '../constructs/repo-root.ts';

/** The image copies the repository under /app (each service's Dockerfile); natively it is the repository itself. */
export function fromImage(path: string): string {
  return path.startsWith('/app/') ? join(REPO_ROOT, path.slice('/app/'.length)) : path;
}
