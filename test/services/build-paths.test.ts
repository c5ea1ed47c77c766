import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { workingTree } from '../../charts/build-context.ts';
import { servicesOf, type ServiceBuild } from '../../constructs/index.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { afterDockerignore, buildPathProblems } from '../helpers/dockerfile-inputs.ts';
import { buildEnvironments } from '../helpers/synth.ts';

/**
 * A built service's image is tagged by the hash of its build paths, and only their changes
 * redeploy it (Railway watch patterns, Compose watch). So the paths must be exactly what its
 * Dockerfile copies from the build context: a file copied but not covered changes the image
 * without redeploying it; a path nothing copies redeploys it for nothing.
 */

let builds: Map<string, ServiceBuild>;

/** Files of the build context the build sees: what git does not ignore (what the image hash reads), less .dockerignore. */
function contextFiles(context: string): string[] {
  const dockerignore = join(REPO_ROOT, context, '.dockerignore');
  return afterDockerignore(workingTree.list(context), context, existsSync(dockerignore) ? readFileSync(dockerignore, 'utf8') : undefined);
}

function dockerfileOf(build: ServiceBuild): string {
  return readFileSync(join(REPO_ROOT, build.context, build.dockerfile), 'utf8');
}

function problemsOf(name: string, edit: (dockerfile: string) => string = (text) => text, build: ServiceBuild = builds.get(name) as ServiceBuild): string[] {
  return buildPathProblems(edit(dockerfileOf(build)), build, contextFiles(build.context));
}

beforeAll(async () => {
  builds = new Map();
  for (const environment of await buildEnvironments()) {
    for (const service of servicesOf(environment)) {
      const build = service.data.build;
      if (build === undefined) continue;
      // Every environment builds a service the same way, or its image hash would differ per environment.
      if (builds.has(service.name)) expect(build, `${environment.name}/${service.name}`).toEqual(builds.get(service.name));
      builds.set(service.name, build);
    }
  }
});

describe("each built service's Dockerfile against its build paths", () => {
  it('covers the services the stack builds', () => {
    expect([...builds.keys()].sort()).toEqual(['frontend', 'jitsi-agent-bridge', 'mcp-server', 'ten-agent']);
  });

  it.each(['mcp-server', 'frontend', 'ten-agent', 'jitsi-agent-bridge'])('%s: every file a COPY takes is under a build path, and every build path is copied', (name) => {
    expect(problemsOf(name)).toEqual([]);
  });

  it("takes the TEN agent's tenapp, the folder synth renders property.json and manifest.json into", () => {
    const build = builds.get('ten-agent') as ServiceBuild;
    expect(build.paths).toContain(posix.join(build.context, 'tenapp'));
    expect(problemsOf('ten-agent', (text) => text.replace(/^COPY tenapp\/ .*$/m, ''))).toEqual([
      'build path services/ten-agent/tenapp is in no COPY of services/ten-agent/Dockerfile, so a change to it would redeploy an image that does not contain it',
    ]);
  });
});

describe('the check fails on drift', () => {
  it.each<[string, string, (dockerfile: string) => string, RegExp]>([
    [
      'a folder copied that no build path covers',
      'mcp-server',
      (text) => text.replace('COPY services/mcp-server/catalog', 'COPY services/frontend/lib services/mcp-server/lib\nCOPY services/mcp-server/catalog'),
      /: takes services\/frontend\/lib\/.*which no build path covers/,
    ],
    [
      'a build path no COPY takes',
      'mcp-server',
      (text) => text.replace(/^COPY services\/mcp-server\/catalog .*$/m, ''),
      /^build path services\/mcp-server\/catalog is in no COPY of services\/mcp-server\/Dockerfile/,
    ],
    [
      'the whole context copied where the paths name one folder',
      'ten-agent',
      (text) => text.replace(/^COPY tenapp\/ /m, 'COPY . '),
      /takes services\/ten-agent\/README\.md, which no build path covers/,
    ],
    [
      'a glob that takes an uncovered file',
      'mcp-server',
      (text) => text.replace('COPY services/mcp-server/package.json services/mcp-server/\nCOPY services/mcp-server/src', 'COPY services/mcp-server/*.json services/mcp-server/\nCOPY services/mcp-server/src'),
      /takes services\/mcp-server\/tsconfig\.json, which no build path covers/,
    ],
    [
      'a renamed folder',
      'frontend',
      (text) => text.replace('COPY services/frontend services/frontend', 'COPY services/console services/frontend'),
      /source services\/console matches no file of the build context/,
    ],
    [
      'a bind mount of the context',
      'ten-agent',
      (text) => text.replace('RUN task install', 'RUN --mount=type=bind,source=README.md,target=/tmp/README.md task install'),
      /takes services\/ten-agent\/README\.md, which no build path covers/,
    ],
  ])('%s', (_, name, edit, expected) => {
    expect(problemsOf(name, edit)).toContainEqual(expect.stringMatching(expected));
  });

  it('a build path added that the Dockerfile never copies', () => {
    const build = builds.get('frontend') as ServiceBuild;
    const problems = problemsOf('frontend', undefined, { ...build, paths: [...build.paths, 'services/frontend/test'] });
    expect(problems).toContain(
      'build path services/frontend/test is in no COPY of services/frontend/Dockerfile, so a change to it would redeploy an image that does not contain it',
    );
  });

  it('a build path dropped that the Dockerfile still copies', () => {
    const build = builds.get('frontend') as ServiceBuild;
    const problems = problemsOf('frontend', undefined, { ...build, paths: build.paths.filter((path) => path !== 'services/frontend/lib') });
    expect(problems).toContainEqual(expect.stringMatching(/^line 14: COPY services\/frontend services\/frontend: takes services\/frontend\/lib\/.*which no build path covers/));
  });

  it('reads .dockerignore as Docker does: anchored patterns, ** across folders, a folder excludes its files, ! re-includes', () => {
    const files = ['a/test/x.ts', 'test/y.ts', 'b/node_modules/m/index.js', 'README.md', 'docs/README.md', 'keep.log', 'drop.log'];
    expect(afterDockerignore(files, '.', 'test\n**/node_modules\n*.md\n*.log\n!keep.log\n')).toEqual(['a/test/x.ts', 'docs/README.md', 'keep.log']);
    expect(afterDockerignore(['svc/a.ts', 'svc/b.md'], 'svc', '/b.md\n')).toEqual(['svc/a.ts']);
  });
});
