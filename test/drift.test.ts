import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOPPLER_REPO_CONFIG_PATH } from '../charts/doppler/index.ts';
import { RAILWAY_SOURCE_PATH } from '../charts/railway/index.ts';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { synth } from '../cli/synth.ts';
import { ignoredFilesIn } from '../cli/write-output.ts';
import { TENAPP_MANIFEST_PATH, TENAPP_PROPERTY_PATH } from '../constructs/ten/tenapp.ts';
import { readTree, temporaryDirectory } from './helpers/synth.ts';

/** The one golden comparison: everything synth writes, against what is committed. */
describe('committed output', () => {
  it('is exactly what a fresh synth renders (run `npm run synth` and commit when this fails)', async () => {
    const fresh = temporaryDirectory();
    const { output } = await synth({ outDir: fresh, log: () => {} });
    const written = [...output.files.keys()].sort();
    // Outside dist/ too: the Railway file its CLI reads, Doppler's setup file, the tenapp the
    // ten-agent image is built from.
    expect(written).toEqual(expect.arrayContaining([RAILWAY_SOURCE_PATH, DOPPLER_REPO_CONFIG_PATH, TENAPP_PROPERTY_PATH, TENAPP_MANIFEST_PATH]));
    for (const path of written) {
      const committed = join(REPO_ROOT, path);
      expect(existsSync(committed) ? readFileSync(committed, 'utf8') : `${path} is not committed`, path).toBe(readFileSync(join(fresh, path), 'utf8'));
    }
    // Nothing else in the folders synth owns: no file left from a renamed service or environment.
    // Files git ignores there are a developer's own (a .env beside a Compose file), kept by synth.
    for (const folder of ['dist', '.railway']) {
      const ignored = new Set((await ignoredFilesIn(REPO_ROOT, folder)).map((path) => path.slice(folder.length + 1)));
      const committed = [...readTree(join(REPO_ROOT, folder)).keys()].filter((path) => !ignored.has(path));
      expect(committed, folder).toEqual([...readTree(join(fresh, folder)).keys()]);
    }
  });
});
