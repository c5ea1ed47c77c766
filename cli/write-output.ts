import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FILES_OUTSIDE_DIST } from '../charts/render.ts';
import type { RenderedOutput } from '../charts/rendered-output.ts';

/**
 * Writes rendered output under `root`, replacing what synth owns: the whole `dist/` folder and
 * the files outside it (`.railway/railway.ts`, `doppler.yaml`, the tenapp's property.json and
 * manifest.json). Files are written to a staging folder first and moved into place with renames,
 * so a failed write never leaves a half-rendered `dist/`.
 */
export async function writeOutput(output: RenderedOutput, root: string): Promise<void> {
  await mkdir(root, { recursive: true });
  const staging = await mkdtemp(join(root, '.synth-'));
  try {
    const directories = new Set([...output.files.keys()].map((path) => dirname(join(staging, path))));
    await Promise.all([...directories].map((directory) => mkdir(directory, { recursive: true })));
    await Promise.all([...output.files].map(([path, content]) => writeFile(join(staging, path), content)));
    await replaceDirectory(join(staging, 'dist'), join(root, 'dist'), join(staging, 'dist.previous'));
    for (const path of FILES_OUTSIDE_DIST) {
      const target = join(root, path);
      if (output.files.has(path)) {
        await mkdir(dirname(target), { recursive: true });
        await rename(join(staging, path), target);
      } else {
        await rm(target, { force: true });
      }
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
