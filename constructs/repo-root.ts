import { fileURLToPath } from 'node:url';

/** The repository root: build contexts and environment files are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
