import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RenderedOutput } from '../charts/rendered-output.ts';
import { RAILWAY_SOURCE_PATH } from '../charts/railway/index.ts';

/**
 * Writes rendered output under `root`, replacing what synth owns: the whole `dist/` folder and
 * `.railway/railway.ts`. Files are written to a staging folder first and moved into place with
 * renames, so a failed write never leaves a half-rendered `dist/`.
 */
export async function writeOutput(output: RenderedOutput, root: string): Promise<void> {
  await mkdir(root, { recursive: true });
  const staging = await mkdtemp(join(root, '.synth-'));
  try {
    const directories = new Set([...output.files.keys()].map((path) => dirname(join(staging, path))));
    await Promise.all([...directories].map((directory) => mkdir(directory, { recursive: true })));
    await Promise.all([...output.files].map(([path, content]) => writeFile(join(staging, path), content)));
    await replaceDirectory(join(staging, 'dist'), join(root, 'dist'), join(staging, 'dist.previous'));
    const railwaySource = join(root, RAILWAY_SOURCE_PATH);
    if (output.files.has(RAILWAY_SOURCE_PATH)) {
      await mkdir(dirname(railwaySource), { recursive: true });
      await rename(join(staging, RAILWAY_SOURCE_PATH), railwaySource);
    } else {
      await rm(railwaySource, { force: true });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Moves `fresh` to `target`; if that fails, puts the previous `target` back. */
async function replaceDirectory(fresh: string, target: string, previous: string): Promise<void> {
  if (!existsSync(fresh)) await mkdir(fresh, { recursive: true });
  const hadPrevious = existsSync(target);
  if (hadPrevious) await rename(target, previous);
  try {
    await rename(fresh, target);
  } catch (error) {
    if (hadPrevious) await rename(previous, target);
    throw error;
  }
}
