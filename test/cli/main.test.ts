import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { readTree, render, temporaryDirectory } from '../helpers/synth.ts';

/** What main.ts writes is compared with the committed output by test/drift.test.ts; this is about how it runs. */
describe('cdk8s.yaml and main.ts', () => {
  it("runs cdk8s.yaml's app, which writes everything synth renders into the directory it runs in, Kubernetes under cdk8s.yaml's output", async () => {
    const config = parse(readFileSync(join(REPO_ROOT, 'cdk8s.yaml'), 'utf8')) as { app: string; output: string };
    // `node --import tsx main.ts`, run from elsewhere: tsx resolved from this repository, the entry by its path.
    const [command, ...words] = config.app.split(/\s+/);
    expect(command).toBe('node');
    const tsx = pathToFileURL(createRequire(join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
    const args = words.map((word, index) => {
      if (words[index - 1] === '--import') return word === 'tsx' ? tsx : word;
      return word.startsWith('-') ? word : join(REPO_ROOT, word);
    });
    const out = temporaryDirectory();
    const result = spawnSync(process.execPath, args, { cwd: out, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^synth: 3 environment\(s\)$/m);

    const written = [...readTree(out).keys()].sort();
    const { environments, output } = await render();
    expect(written).toEqual([...output.files.keys()].sort());
    for (const environment of environments.filter((candidate) => candidate.renders('kubernetes'))) {
      expect(written.filter((path) => path.startsWith(`${config.output}/${environment.name}/`)).length, environment.name).toBeGreaterThan(1);
    }
  });
});
