import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { synth } from '../cli/synth.ts';
import { TENAPP_MANIFEST_PATH, TENAPP_PROPERTY_PATH } from '../constructs/ten/tenapp.ts';
import { readTree, temporaryDirectory } from './helpers/synth.ts';

describe('committed output', () => {
  it('is exactly what a fresh synth renders (run `npm run synth` and commit when this fails)', async () => {
    const fresh = temporaryDirectory();
    await synth({ outDir: fresh, log: () => {} });
    const expected = readTree(join(fresh, 'dist'));
    const committed = readTree(join(REPO_ROOT, 'dist'));
    expect([...committed.keys()]).toEqual([...expected.keys()]);
    for (const [path, content] of expected) expect(committed.get(path), `dist/${path}`).toBe(content);
    expect(readTree(join(REPO_ROOT, '.railway')).get('railway.ts')).toBe(readTree(join(fresh, '.railway')).get('railway.ts'));
    // The tenapp's generated files, which the ten-agent image is built from.
    for (const path of [TENAPP_PROPERTY_PATH, TENAPP_MANIFEST_PATH]) {
      expect(readFileSync(join(REPO_ROOT, path), 'utf8'), path).toBe(readFileSync(join(fresh, path), 'utf8'));
    }
  });
});
