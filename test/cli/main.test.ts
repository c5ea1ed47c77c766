import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { readTree, temporaryDirectory } from '../helpers/synth.ts';

describe('cdk8s.yaml and main.ts', () => {
  it('name main.ts as the app and dist/kubernetes as the output', () => {
    const config = parse(readFileSync(join(REPO_ROOT, 'cdk8s.yaml'), 'utf8')) as { app: string; output: string; language: string };
    expect(config.language).toBe('typescript');
    expect(config.app).toBe('node --import tsx main.ts');
    expect(config.output).toBe('dist/kubernetes');
  });

  it('main.ts renders every environment into the directory it runs in', () => {
    const out = temporaryDirectory();
    const tsx = pathToFileURL(createRequire(join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
    const result = spawnSync(process.execPath, ['--import', tsx, join(REPO_ROOT, 'main.ts')], { cwd: out, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('synth: 3 environment(s)');
    const written = readTree(join(out, 'dist'));
    expect(written).toEqual(readTree(join(REPO_ROOT, 'dist')));
    expect([...written.keys()].filter((path) => path.startsWith('kubernetes/')).length).toBeGreaterThan(10);
  });
});
