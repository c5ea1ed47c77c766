import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synth } from '../../cli/synth.ts';
import { validate } from '../../cli/validate.ts';
import { runCli, temporaryDirectory } from '../helpers/synth.ts';

let good: string;

beforeAll(async () => {
  good = temporaryDirectory();
  await synth({ outDir: good, log: () => {} });
});

function brokenCopy(change: (root: string) => void): string {
  const copy = temporaryDirectory();
  cpSync(good, copy, { recursive: true });
  change(copy);
  return copy;
}

function edit(root: string, path: string, replace: (text: string) => string): void {
  const file = join(root, path);
  writeFileSync(file, replace(readFileSync(file, 'utf8')));
}

describe('npm run validate', () => {
  it('passes on the committed output and says what it checked', () => {
    const result = runCli(['validate']);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    // Each environment's namespace, observability and service files.
    expect(result.stdout).toMatch(/^kubernetes {2}\d+ objects in 22 files: ok$/m);
    expect(result.stdout).toContain('compose     1 file: ok');
    expect(result.stdout).toContain('off-railway 2 files: ok');
    expect(result.stdout).toContain('railway     2 environments (production, staging): ok');
  });

  it.each<[string, (root: string) => void, string]>([
    [
      'an invalid Kubernetes object',
      (root) => edit(root, 'dist/kubernetes/staging/jitsi-web.yaml', (text) => text.replace('replicas: 1', 'replicas: one')),
      'dist/kubernetes/staging/jitsi-web.yaml: Deployment/jitsi-web',
    ],
    [
      'an invalid Compose file',
      (root) => edit(root, 'dist/compose/development/compose.yaml', (text) => text.replace('restart: unless-stopped', 'restart: unless-stopped\n    nonsense: true')),
      'dist/compose/development/compose.yaml: /services/',
    ],
    [
      'a Railway graph that no longer matches railway.ts',
      (root) => edit(root, 'dist/railway/staging.json', (text) => text.replace('"healthcheckPath": "/http-bind"', '"healthcheckPath": "/health"')),
      'dist/railway/staging.json differs from what .railway/railway.ts produces for "staging"',
    ],
    [
      'a railway.ts reference to an undeclared service',
      (root) => edit(root, '.railway/railway.ts', (text) => text.replace('${{jitsi-prosody.RAILWAY_PRIVATE_DOMAIN}}', '${{prosody.RAILWAY_PRIVATE_DOMAIN}}')),
      'refers to "prosody", which is not declared in this environment',
    ],
  ])('fails on %s and names it', async (_, breakIt, message) => {
    const lines: string[] = [];
    const problems = await validate({ root: brokenCopy(breakIt), log: (line) => lines.push(line) });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toContain(message);
    expect(lines.join('\n')).toContain('✗');
  });

  it('exits 1 when a problem is found', () => {
    const root = brokenCopy((copy) => edit(copy, 'dist/kubernetes/staging/jitsi-web.yaml', (text) => text.replace('replicas: 1', 'replicas: one')));
    const result = runCli(['validate', '--dir', root]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('kubernetes  ');
    expect(result.stdout).toContain('1 problem(s)');
  });
});
