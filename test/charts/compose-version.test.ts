import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { composeVersionNeeded, composeVersionProblems, MIN_COMPOSE_VERSION } from '../../charts/compose-file/compose-version.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { render } from '../helpers/synth.ts';

let composeFiles: [string, unknown][];

beforeAll(async () => {
  const { output } = await render(['environments/development.ts', 'environments/staging.ts', 'environments/production.ts']);
  composeFiles = [...output.files].filter(([path]) => path.endsWith('compose.yaml')).map(([path, text]) => [path, parse(text)]);
});

describe('the minimum Docker Compose version', () => {
  it('is exactly what the local Compose file needs: no rendered file uses a newer feature, and the minimum is not set higher than needed', () => {
    expect(composeFiles.length).toBe(3);
    for (const [path, document] of composeFiles) expect(composeVersionProblems(path, document), path).toEqual([]);
    const local = composeFiles.find(([path]) => path === 'dist/compose/development/compose.yaml')?.[1];
    expect(composeVersionNeeded(local)).toBe(MIN_COMPOSE_VERSION);
  });

  it('names the feature, the release it needs and where to raise the minimum when a file uses something newer', () => {
    const document = { services: { web: { image: 'nginx:1.27', post_start: [{ command: ['true'] }], develop: { watch: [{ action: 'sync+exec', path: '.', target: '/app', exec: { command: ['true'] } }] } } } };
    expect(composeVersionProblems('compose.yaml', document)).toEqual([
      'compose.yaml: uses post_start / pre_stop hooks, which needs Docker Compose 2.30.0, newer than the stated minimum 2.27.2 (raise MIN_COMPOSE_VERSION in charts/compose-file/compose-version.ts and the README together)',
      'compose.yaml: uses develop.watch actions restart and sync+exec, which needs Docker Compose 2.32.0, newer than the stated minimum 2.27.2 (raise MIN_COMPOSE_VERSION in charts/compose-file/compose-version.ts and the README together)',
    ]);
  });

  it('would refuse the local file on a Compose older than the watch flag and profiles in .env', () => {
    const local = composeFiles.find(([path]) => path === 'dist/compose/development/compose.yaml')?.[1];
    const problems = composeVersionProblems('compose.yaml', local, '2.24.0');
    expect(problems.map((problem) => /needs Docker Compose ([\d.]+)/.exec(problem)?.[1])).toEqual(['2.25.0', '2.27.2']);
  });

  it('is the one the README states, with the up --watch command', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`Docker Compose ${MIN_COMPOSE_VERSION} or newer`);
    expect(readme).toMatch(/docker compose -f dist\/compose\/development\/compose\.yaml up --watch/);
  });
});
