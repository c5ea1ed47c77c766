import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synth } from '../../cli/synth.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { fixture, readTree, temporaryDirectory } from '../helpers/synth.ts';

describe('synth and the files git ignores in dist/', () => {
  it('keeps a developer\'s .env beside a Compose file, byte for byte and with its mode, says so, and still removes stale output', async () => {
    const out = temporaryDirectory();
    copyFileSync(join(REPO_ROOT, '.gitignore'), join(out, '.gitignore'));
    await synth({ envFiles: [fixture('minimal')], outDir: out, log: () => {} });
    const dotenv = join(out, 'dist/compose/minimal/.env');
    writeFileSync(dotenv, 'API_TOKEN=kept-value\n', { mode: 0o600 });
    mkdirSync(join(out, 'dist/compose/removed'), { recursive: true });
    writeFileSync(join(out, 'dist/compose/removed/compose.yaml'), 'services: {}\n');
    writeFileSync(join(out, 'dist/compose/removed/.env.local'), 'X=1\n');

    const lines: string[] = [];
    await synth({ envFiles: [fixture('minimal')], outDir: out, log: (line) => lines.push(line) });

    expect(readFileSync(dotenv, 'utf8')).toBe('API_TOKEN=kept-value\n');
    expect(statSync(dotenv).mode & 0o777).toBe(0o600);
    const files = [...readTree(join(out, 'dist')).keys()];
    expect(files).not.toContain('compose/removed/compose.yaml');
    expect(files).toContain('compose/removed/.env.local');
    expect(files).toContain('compose/minimal/.env.example');
    expect(lines).toContain('kept 2 git-ignored files in dist/: dist/compose/minimal/.env, dist/compose/removed/.env.local');
  });

  it('keeps nothing where no .gitignore says what is ignored', async () => {
    const out = temporaryDirectory();
    await synth({ envFiles: [fixture('minimal')], outDir: out, log: () => {} });
    writeFileSync(join(out, 'dist/compose/minimal/.env'), 'X=1\n');
    const lines: string[] = [];
    await synth({ envFiles: [fixture('minimal')], outDir: out, log: (line) => lines.push(line) });
    expect(readTree(join(out, 'dist')).has('compose/minimal/.env')).toBe(false);
    expect(lines.some((line) => line.startsWith('kept'))).toBe(false);
  });
});
