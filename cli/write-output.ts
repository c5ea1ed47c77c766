import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, posix, relative, sep } from 'node:path';
import ignore from 'ignore';
import { FILES_OUTSIDE_DIST } from '../charts/render.ts';
import type { RenderedOutput } from '../charts/rendered-output.ts';

/**
 * Writes rendered output under `root`, replacing what synth owns: the whole `dist/` folder and
 * the files outside it (`.railway/railway.ts`, `doppler.yaml`, the tenapp's property.json and
 * manifest.json). Files are written to a staging folder first and moved into place with renames,
 * so a failed write never leaves a half-rendered `dist/`. Files in `dist/` that the root
 * `.gitignore` ignores are not synth's (a developer's `dist/compose/<env>/.env`): they are copied
 * into the new `dist/` unchanged. Returns their paths, relative to `root`.
 */
export async function writeOutput(output: RenderedOutput, root: string): Promise<{ readonly kept: string[] }> {
  await mkdir(root, { recursive: true });
  const staging = await mkdtemp(join(root, '.synth-'));
  try {
    const directories = new Set([...output.files.keys()].map((path) => dirname(join(staging, path))));
    await Promise.all([...directories].map((directory) => mkdir(directory, { recursive: true })));
    await Promise.all([...output.files].map(([path, content]) => writeFile(join(staging, path), content)));
    const kept = (await ignoredFilesIn(root, 'dist')).filter((path) => !output.files.has(path));
    for (const path of kept) {
      await mkdir(dirname(join(staging, path)), { recursive: true });
      // copyFile keeps the file's mode (a .env may be 0600); the original stays until the swap.
      await copyFile(join(root, path), join(staging, path));
    }
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
    return { kept };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Files under `root/folder` that `root/.gitignore` ignores, as POSIX paths relative to `root`. */
export async function ignoredFilesIn(root: string, folder: string): Promise<string[]> {
  const gitignore = join(root, '.gitignore');
  if (!existsSync(gitignore) || !existsSync(join(root, folder))) return [];
  const rules = ignore().add(await readFile(gitignore, 'utf8'));
  const entries = await readdir(join(root, folder), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join(posix.sep))
    .filter((path) => rules.ignores(path))
    .sort();
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
