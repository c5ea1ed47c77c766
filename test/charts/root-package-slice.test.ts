import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDigest, buildInputs, workingTree, type RepositoryFiles } from '../../charts/build-context.ts';
import { rootPackageSlice } from '../../charts/root-package-slice.ts';
import { servicesOf, type ServiceBuild } from '../../constructs/index.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { buildEnvironments } from '../helpers/synth.ts';

type Manifest = Record<string, unknown> & { devDependencies: Record<string, string> };

const ROOT_PACKAGE = readFileSync(join(REPO_ROOT, 'package.json'), 'utf8');

/** The builds whose Dockerfile copies the root package.json, by service name. */
let builds: Map<string, ServiceBuild>;

beforeAll(async () => {
  builds = new Map();
  for (const service of servicesOf((await buildEnvironments())[0]!)) {
    if (service.data.build?.paths.includes('package.json') === true) builds.set(service.name, service.data.build);
  }
});

/** The working tree with the repository's real root package.json edited in memory. */
function withRootPackage(edit: (manifest: Manifest) => void): RepositoryFiles {
  const manifest = JSON.parse(ROOT_PACKAGE) as Manifest;
  edit(manifest);
  return { list: workingTree.list, read: (file) => (file === 'package.json' ? Buffer.from(JSON.stringify(manifest, null, 2)) : workingTree.read(file)) };
}

const tag = (build: ServiceBuild, files: RepositoryFiles) => buildDigest(buildInputs(build, files)).slice(0, 12);

describe('the root package.json slice', () => {
  it('keeps the fields npm reads for a workspace install, in a canonical order', () => {
    const text = JSON.stringify({
      name: 'root',
      scripts: { test: 'vitest' },
      devDependencies: { vitest: '4.0.0' },
      overrides: { b: '2.0.0', a: '1.0.0' },
      workspaces: ['services/*'],
      engines: { node: '>=20' },
    });
    expect(rootPackageSlice(text)).toBe('{"engines":{"node":">=20"},"overrides":{"a":"1.0.0","b":"2.0.0"},"workspaces":["services/*"]}');
  });

  it('counts for the MCP server and the console, the builds whose Dockerfile copies the root package.json', () => {
    expect([...builds.keys()].sort()).toEqual(['frontend', 'mcp-server']);
  });

  it("leaves out the root's dependencies because those Dockerfiles install none of them", () => {
    for (const build of builds.values()) {
      const dockerfile = readFileSync(join(REPO_ROOT, build.context, build.dockerfile), 'utf8');
      expect(dockerfile, build.dockerfile).toMatch(/^RUN npm ci .*--include-workspace-root=false/m);
    }
  });
});

describe("the MCP server's and the console's image tags against the root package.json", () => {
  it('stay put when a root devDependency or script changes', () => {
    const bumped = withRootPackage((manifest) => {
      manifest.devDependencies['vitest'] = '9.9.9';
      manifest['scripts'] = { ...(manifest['scripts'] as object), lint: 'eslint .' };
    });
    for (const build of builds.values()) expect(tag(build, bumped), build.dockerfile).toBe(tag(build, workingTree));
  });

  it.each<[string, (manifest: Manifest) => void]>([
    ['overrides', (manifest) => (manifest['overrides'] = { zod: '4.6.8' })],
    ['workspaces', (manifest) => (manifest['workspaces'] = ['services/*', 'tools/*'])],
    ['engines', (manifest) => (manifest['engines'] = { node: '>=22' })],
  ])('move when %s changes', (_, edit) => {
    const edited = withRootPackage(edit);
    for (const build of builds.values()) expect(tag(build, edited), build.dockerfile).not.toBe(tag(build, workingTree));
  });
});
