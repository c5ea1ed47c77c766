/**
 * renovate.json, checked with the Renovate version the repository installs for its tests
 * (tools/renovate: Renovate 39, the last major that reads fileMatch), fully offline:
 *
 * - the config validator in strict mode accepts it;
 * - `renovate --platform=local --dry-run=extract` on a copy of the working tree finds every pin,
 *   with the values read here from versions.ts, the package.json files, the Dockerfiles and the
 *   workflow files (so Renovate's own bumps never break this test), and nothing under dist/ or
 *   .railway/;
 * - the package rules, applied by Renovate's own code to the extracted dependencies, give the
 *   versioning, grouping, pinning and approval the config promises (the extract report comes
 *   before package rules, so it cannot show them).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { argOf, parseDockerfile, parseImageRef } from './helpers/dockerfile.ts';
import { findRenovate, type RenovateTool } from './helpers/renovate-tool.ts';
import { render, temporaryDirectory } from './helpers/synth.ts';

/** Renovate starts slowly (it loads every manager and datasource); on two busy cores allow a minute. */
const RENOVATE_TIMEOUT_MS = 60_000;

interface ExtractedDep {
  depName?: string;
  packageName?: string;
  currentValue?: string;
  currentDigest?: string;
  datasource?: string;
  depType?: string;
  versioning?: string;
  skipReason?: string;
}
interface PackageFile {
  packageFile: string;
  deps: ExtractedDep[];
}
interface ExtractReport {
  problems: unknown[];
  repositories: { local: { problems: unknown[]; packageFiles: Record<string, PackageFile[]> } };
}
/** A dependency with the manager and file it came from, as Renovate's package rules see it. */
interface FoundDep extends ExtractedDep {
  manager: string;
  packageFile: string;
}

/** The environment for a Renovate child process: nothing inherited that could reach a network or another config. */
function offlineEnv(work: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(work, 'home'),
    // Renovate routes its HTTP client through these (global-agent); port 9 (discard) refuses.
    HTTP_PROXY: 'http://127.0.0.1:9',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '',
    GIT_CONFIG_NOSYSTEM: '1',
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------------
// What the repository pins, read from the files themselves.

interface VersionPin {
  constant: string;
  datasource: string;
  depName: string;
  value: string;
  digest: string | undefined;
}

/** Every `// renovate:` comment in environments/versions.ts with the constant on the next line. */
function versionPins(source: string): VersionPin[] {
  const lines = source.split('\n');
  const pins: VersionPin[] = [];
  lines.forEach((line, index) => {
    const comment = /^\/\/ renovate: datasource=(\S+) depName=(\S+)/.exec(line);
    if (!comment) return;
    const constant = /^export const (\w+) = '([^']+)';$/.exec(lines[index + 1] ?? '');
    if (!constant) throw new Error(`versions.ts line ${index + 2}: expected a string constant after the renovate comment`);
    const [value = '', digest] = constant[2]!.split('@');
    pins.push({ constant: constant[1]!, datasource: comment[1]!, depName: comment[2]!, value, digest });
  });
  return pins;
}

/** `FROM node:<tag>@<digest>` lines of a Dockerfile. */
function nodeBaseImages(dockerfile: string): { value: string; digest: string }[] {
  return [...dockerfile.matchAll(/^FROM\s+(?:--platform=\S+\s+)?node:([^@\s]+)@(sha256:[a-f0-9]{64})/gm)].map((match) => ({
    value: match[1]!,
    digest: match[2]!,
  }));
}

interface ActionUse {
  file: string;
  line: number;
  depName: string;
  currentValue: string | undefined;
  currentDigest: string | undefined;
}

/**
 * Every `uses:` of a workflow or composite action file that Renovate can update: `owner/repo[/path]@ref`
 * (a 40- or 64-hex ref is a digest; its version is the `# vX.Y.Z` comment) and `docker://image`.
 * Local actions (`./…`) have nothing to update.
 */
function actionUses(file: string, content: string): ActionUse[] {
  const uses: ActionUse[] = [];
  content.split('\n').forEach((line, index) => {
    if (line.trim().startsWith('#')) return;
    const match = /^\s*(?:-\s+)?uses\s*:\s*['"]?([^'"\s]+)['"]?(?:\s+#\s*(.*))?$/.exec(line);
    if (!match) return;
    const ref = match[1]!;
    const comment = match[2];
    if (ref.startsWith('./') || ref.startsWith('../')) return;
    if (ref.startsWith('docker://')) {
      const [image = '', digest] = ref.slice('docker://'.length).split('@');
      const tagAt = image.lastIndexOf(':');
      const hasTag = tagAt > image.lastIndexOf('/');
      uses.push({
        file,
        line: index + 1,
        depName: hasTag ? image.slice(0, tagAt) : image,
        currentValue: hasTag ? image.slice(tagAt + 1) : undefined,
        currentDigest: digest,
      });
      return;
    }
    const at = ref.lastIndexOf('@');
    if (at < 0) throw new Error(`${file}:${index + 1}: "uses: ${ref}" has no @ref`);
    const [owner = '', repo = ''] = ref.slice(0, at).split('/');
    const version = ref.slice(at + 1);
    const isDigest = /^(?:[a-f0-9]{40}|[a-f0-9]{64})$/.test(version);
    const commentVersion = comment === undefined ? undefined : /^(?:pin\s+|tag\s*=\s*)?@?((?:[\w-]*-)?v?\d+(?:\.\d+(?:\.\d+)?)?)/.exec(comment)?.[1];
    uses.push({
      file,
      line: index + 1,
      depName: `${owner}/${repo}`,
      currentValue: isDigest ? commentVersion : version,
      currentDigest: isDigest ? version : undefined,
    });
  });
  return uses;
}

/** Files Renovate's github-actions manager reads: .github/workflows/** and .github/actions/** YAML. */
function githubActionFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (relative: string) => {
    const absolute = join(root, relative);
    if (!existsSync(absolute)) return;
    for (const entry of readdirSync(absolute).sort()) {
      const path = `${relative}/${entry}`;
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(entry)) found.push(path);
    }
  };
  walk('.github/workflows');
  walk('.github/actions');
  return found;
}

// ---------------------------------------------------------------------------------------------
// Files planted in the copy only.

/**
 * A workflow in the style the repository's workflows use (action pinned to a commit, version in a
 * comment), so the Actions assertions have something to check before and after real workflows exist.
 */
const CANARY_WORKFLOW = '.github/workflows/zz-renovate-test-canary.yml';
const CANARY_WORKFLOW_CONTENT = `name: renovate extract canary
on: workflow_dispatch
permissions: {}
jobs:
  canary:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - name: Node
        uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 # v4.4.0
`;
/** Package files the dockerfile and npm managers would pick up if ignorePaths did not exclude them. */
const IGNORED_CANARIES: Record<string, string> = {
  'dist/zz-renovate-test-canary/Dockerfile': 'FROM busybox:1.37.0\n',
  '.railway/zz-renovate-test-canary/Dockerfile': 'FROM busybox:1.37.0\n',
  '.railway/zz-renovate-test-canary/package.json': '{ "dependencies": { "left-pad": "1.3.0" } }\n',
};

// ---------------------------------------------------------------------------------------------

let copy: string;
let report: ExtractReport;
let deps: FoundDep[];
let log: { msg?: string; level?: number; requests?: number; fileName?: string }[];
let extractSeconds: number;
/** Found before anything runs; missing, every test here fails naming `npm run install:renovate`. */
let tool: RenovateTool;

beforeAll(() => {
  tool = findRenovate();
  const work = temporaryDirectory('renovate-extract-');
  copy = join(work, 'repo');
  mkdirSync(join(work, 'home'));

  // The working tree as git sees it: tracked files plus new ones not ignored (work in progress
  // included, so the expectations below, read from the same files, always agree with the copy).
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(listed.status, listed.stderr).toBe(0);
  const files = listed.stdout.split('\0').filter((file) => file !== '' && existsSync(join(REPO_ROOT, file)) && statSync(join(REPO_ROOT, file)).isFile());
  expect(files).toContain('renovate.json');
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(join(REPO_ROOT, file), join(copy, file));
  }
  for (const [file, content] of Object.entries({ [CANARY_WORKFLOW]: CANARY_WORKFLOW_CONTENT, ...IGNORED_CANARIES })) {
    expect(existsSync(join(REPO_ROOT, file)), `${file} is a test canary name and must not exist in the repository`).toBe(false);
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    writeFileSync(join(copy, file), content);
  }
  // The local platform lists files with `git ls-files` (the index is enough, no commit needed).
  for (const args of [['init', '-q'], ['add', '-A']]) {
    const git = spawnSync('git', args, { cwd: copy, encoding: 'utf8', env: offlineEnv(work) });
    expect(git.status, git.stderr).toBe(0);
  }

  // A separate, empty global config: pointing RENOVATE_CONFIG_FILE at the repository's own
  // renovate.json would apply it twice (custom managers concatenated). The repository config is
  // found in the working directory, as the bot finds it in the repository.
  const globalConfig = join(work, 'global-config.json');
  writeFileSync(globalConfig, '{}\n');
  const reportPath = join(work, 'report.json');
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    [tool.renovate, '--platform=local', '--dry-run=extract', '--report-type=file', `--report-path=${reportPath}`],
    {
      cwd: copy,
      encoding: 'utf8',
      timeout: RENOVATE_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
      env: offlineEnv(work, {
        LOG_LEVEL: 'debug',
        LOG_FORMAT: 'json',
        RENOVATE_CONFIG_FILE: globalConfig,
        RENOVATE_BASE_DIR: join(work, 'renovate'),
        RENOVATE_CACHE_DIR: join(work, 'renovate', 'cache'),
        RENOVATE_ONBOARDING: 'false',
      }),
    },
  );
  extractSeconds = (performance.now() - started) / 1000;
  expect(run.error, 'renovate did not finish').toBeUndefined();
  expect(run.status, run.stderr + run.stdout.slice(-4000)).toBe(0);
  log = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as (typeof log)[number]);
  report = JSON.parse(readFileSync(reportPath, 'utf8')) as ExtractReport;
  deps = Object.entries(report.repositories.local.packageFiles).flatMap(([manager, packageFiles]) =>
    packageFiles.flatMap((packageFile) => packageFile.deps.map((dep) => ({ ...dep, manager, packageFile: packageFile.packageFile }))),
  );
}, 2 * RENOVATE_TIMEOUT_MS);

function depsIn(manager: string, packageFile: string): FoundDep[] {
  return deps.filter((dep) => dep.manager === manager && dep.packageFile === packageFile);
}

const versionsSource = () => readFileSync(join(REPO_ROOT, 'environments/versions.ts'), 'utf8');
const packageJson = (path: string) => JSON.parse(readFileSync(join(REPO_ROOT, path), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
/** The MCP SDK's packages, the split v2 line; renovate.json groups them all. */
const MCP_PACKAGES = ['@modelcontextprotocol/client', '@modelcontextprotocol/server', '@modelcontextprotocol/core', '@modelcontextprotocol/node', '@modelcontextprotocol/express', '@modelcontextprotocol/server-legacy'];
/**
 * Where each is pinned: the MCP server on the v2 server packages (server, core, the Node and
 * Express adapters, and server-legacy for the HTTP+SSE transport); the console and the root (the
 * smoke test's and the MCP server tests' client, a devDependency) on the v2 client.
 */
const MCP_PINS = [
  ...['@modelcontextprotocol/server', '@modelcontextprotocol/core', '@modelcontextprotocol/node', '@modelcontextprotocol/express', '@modelcontextprotocol/server-legacy'].map(
    (name) => ({ file: 'services/mcp-server/package.json', name, depType: 'dependencies' }) as const,
  ),
  { file: 'services/frontend/package.json', name: '@modelcontextprotocol/client', depType: 'dependencies' },
  { file: 'package.json', name: '@modelcontextprotocol/client', depType: 'devDependencies' },
] as const;
const DOCKERFILES = ['services/mcp-server/Dockerfile', 'services/frontend/Dockerfile', 'services/jitsi-agent-bridge/Dockerfile'];
/** The TEN agent's image: TEN's sources by git tag (an ARG) and TEN's build image (a FROM). */
const TEN_DOCKERFILE = 'services/ten-agent/Dockerfile';
const TEN_SOURCES = 'TEN-framework/ten-framework';
const TEN_BUILD_IMAGE = 'ghcr.io/ten-framework/ten_agent_build';
/** Where the ten-agent image takes the OpenTelemetry Collector for TEN's metrics from (its own FROM, the dockerfile manager's). */
const COLLECTOR_IMAGE = 'otel/opentelemetry-collector';
/** What an offline extract (no GitHub token) marks a github-tags dependency with; the bot has a token. */
const TOKEN_SKIP = 'github-token-required';

describe('renovate-config-validator --strict', () => {
  const validate = (file: string, cwd: string) =>
    spawnSync(process.execPath, [tool.configValidator, '--strict', file], {
      cwd,
      encoding: 'utf8',
      timeout: RENOVATE_TIMEOUT_MS,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd },
    });

  it('accepts renovate.json', () => {
    const result = validate('renovate.json', REPO_ROOT);
    expect(result.error).toBeUndefined();
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('Config validated successfully');
  });

  it('is strict: a config that still needs migration fails (the check above can fail)', () => {
    const work = temporaryDirectory('renovate-validator-');
    const config = JSON.parse(readFileSync(join(REPO_ROOT, 'renovate.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(work, 'renovate.json'), JSON.stringify({ ...config, packageRules: [{ matchPackagePatterns: ['^jitsi/'], groupName: 'jitsi' }] }));
    const result = validate('renovate.json', work);
    expect(result.error).toBeUndefined();
    expect(result.status, result.stdout + result.stderr).toBe(1);
  });
});

describe('renovate --platform=local --dry-run=extract (offline) on a copy of the repository', () => {
  it('reads renovate.json, makes no HTTP request, reports no problem, and finishes within a minute', () => {
    expect(log.some((entry) => entry.msg === 'Found renovate.json config file')).toBe(true);
    const http = log.find((entry) => entry.msg === 'HTTP statistics');
    expect(http, 'Renovate logs HTTP statistics at debug level').toBeDefined();
    expect(http?.requests).toBe(0);
    expect(log.filter((entry) => (entry.level ?? 0) >= 50)).toEqual([]);
    expect(report.problems).toEqual([]);
    // Without a token (offline, local) Renovate notes that github-tags lookups (actions) would need one.
    const problems = report.repositories.local.problems as { msg?: string }[];
    expect(problems.filter((problem) => problem.msg !== 'GitHub token is required for some dependencies')).toEqual([]);
    expect(extractSeconds).toBeLessThan(RENOVATE_TIMEOUT_MS / 1000);
  });

  it('finds every pinned constant in environments/versions.ts with its value (and digest), and nothing else there', () => {
    const pins = versionPins(versionsSource());
    const found = depsIn('regex', 'environments/versions.ts');
    expect(found.map((dep) => [dep.depName, dep.currentValue, dep.currentDigest, dep.datasource])).toEqual(
      pins.map((pin) => [pin.depName, pin.value, pin.digest, pin.datasource]),
    );
    // github-tags lookups need a GitHub token, which this offline run has not (the bot has one).
    expect(found.filter((dep) => dep.skipReason !== undefined && !(dep.datasource === 'github-tags' && dep.skipReason === TOKEN_SKIP))).toEqual([]);
  });

  it(`finds TEN's sources (git tag) and build image in versions.ts and in ${TEN_DOCKERFILE}, at the same values`, () => {
    const pins = versionPins(versionsSource());
    const sources = pins.find((pin) => pin.constant === 'TEN_VERSION');
    const buildImage = pins.find((pin) => pin.constant === 'TEN_AGENT_BUILD_VERSION');
    expect(sources).toMatchObject({ datasource: 'github-tags', depName: TEN_SOURCES });
    expect(buildImage).toMatchObject({ datasource: 'docker', depName: TEN_BUILD_IMAGE });
    expect(depsIn('regex', 'environments/versions.ts')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ depName: TEN_SOURCES, currentValue: sources!.value, datasource: 'github-tags' }),
        expect.objectContaining({ depName: TEN_BUILD_IMAGE, currentValue: buildImage!.value, datasource: 'docker' }),
      ]),
    );

    // The Dockerfile as written: the builder's FROM and the ARG under its `# renovate:` comment.
    const dockerfile = parseDockerfile(readFileSync(join(REPO_ROOT, TEN_DOCKERFILE), 'utf8'));
    const builder = parseImageRef(dockerfile.stages.find((stage) => stage.alias === 'builder')!.base);
    const renovateArgs = dockerfile.stages
      .flatMap((stage) => stage.instructions)
      .filter((instruction) => instruction.keyword === 'ARG' && instruction.comments.at(-1)?.startsWith('renovate:'))
      .map((instruction) => ({ ...argOf(instruction), comment: instruction.comments.at(-1)! }));
    expect(builder).toMatchObject({ name: TEN_BUILD_IMAGE, tag: buildImage!.value });
    expect(renovateArgs).toEqual([{ name: 'TEN_VERSION', value: sources!.value, comment: `renovate: datasource=github-tags depName=${TEN_SOURCES}` }]);

    // Renovate finds both there: the FROM with its dockerfile manager, the ARG with our regex manager (and nothing else).
    const fromLines = depsIn('dockerfile', TEN_DOCKERFILE).filter((dep) => dep.depName === TEN_BUILD_IMAGE);
    expect(fromLines.map((dep) => [dep.currentValue, dep.currentDigest, dep.datasource, dep.skipReason])).toEqual([[builder.tag, builder.digest, 'docker', undefined]]);
    // Offline and without a token Renovate only notes that the git tag's lookup needs one, as for actions.
    expect(depsIn('regex', TEN_DOCKERFILE).map((dep) => [dep.depName, dep.currentValue, dep.datasource, dep.skipReason ?? TOKEN_SKIP])).toEqual([
      [TEN_SOURCES, sources!.value, 'github-tags', TOKEN_SKIP],
    ]);
  });

  it(`finds the OpenTelemetry Collector that ${TEN_DOCKERFILE} takes TEN's metrics collector from, at its tag`, () => {
    const stage = parseDockerfile(readFileSync(join(REPO_ROOT, TEN_DOCKERFILE), 'utf8')).stages.find((candidate) => candidate.alias === 'collector');
    const image = parseImageRef(stage?.base ?? '');
    expect(image.name).toBe(COLLECTOR_IMAGE);
    const found = depsIn('dockerfile', TEN_DOCKERFILE).filter((dep) => dep.depName === COLLECTOR_IMAGE);
    expect(found.map((dep) => [dep.currentValue, dep.datasource, dep.skipReason])).toEqual([[image.tag, 'docker', undefined]]);
  });

  it('finds Jitsi once, at the one version every rendered Jitsi component (web, prosody, jicofo, jvb) runs', async () => {
    const jitsiPins = versionPins(versionsSource()).filter((pin) => pin.depName.startsWith('ghcr.io/jitsi/'));
    expect(jitsiPins.map((pin) => pin.constant)).toEqual(['JITSI_VERSION']);
    const jitsiDeps = deps.filter((dep) => dep.depName?.startsWith('ghcr.io/jitsi/') || dep.depName?.startsWith('jitsi/'));
    expect(jitsiDeps).toHaveLength(1);
    const [jitsi] = jitsiDeps;
    expect(jitsi).toMatchObject({ manager: 'regex', packageFile: 'environments/versions.ts', currentValue: jitsiPins[0]!.value, datasource: 'docker' });

    // One Renovate bump of that value moves all four components: every Jitsi image the stack
    // renders (all environments, all targets) carries exactly the extracted tag.
    const { output } = await render();
    const images = new Map<string, Set<string>>();
    for (const content of output.files.values()) {
      for (const [, component = '', tag = ''] of content.matchAll(/ghcr\.io\/jitsi\/([\w-]+):([\w.-]+)/g)) {
        images.set(component, (images.get(component) ?? new Set()).add(tag));
      }
    }
    expect([...images.keys()].sort()).toEqual(['jicofo', 'jvb', 'prosody', 'web']);
    for (const [component, tags] of images) expect([...tags], component).toEqual([jitsi!.currentValue]);
  });

  it('finds Postgres and Redis', () => {
    const pins = versionPins(versionsSource());
    for (const name of ['postgres', 'redis']) {
      const pin = pins.find((candidate) => candidate.depName === name);
      expect(pin, `versions.ts pins ${name}`).toBeDefined();
      expect(depsIn('regex', 'environments/versions.ts')).toContainEqual(expect.objectContaining({ depName: name, currentValue: pin!.value, datasource: 'docker' }));
    }
  });

  it('finds the Node base image in versions.ts and in every Dockerfile built on Node, with the digest, all equal', () => {
    const node = versionPins(versionsSource()).find((pin) => pin.constant === 'NODE_VERSION');
    expect(node?.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(depsIn('regex', 'environments/versions.ts')).toContainEqual(
      expect.objectContaining({ depName: 'node', currentValue: node!.value, currentDigest: node!.digest }),
    );
    for (const dockerfile of DOCKERFILES) {
      const images = nodeBaseImages(readFileSync(join(REPO_ROOT, dockerfile), 'utf8'));
      expect(images.length, `${dockerfile} builds FROM node:<tag>@sha256:…`).toBeGreaterThan(0);
      const found = depsIn('dockerfile', dockerfile).filter((dep) => dep.depName === 'node');
      expect(found.map((dep) => ({ value: dep.currentValue, digest: dep.currentDigest }))).toEqual(images);
      for (const image of images) expect(image, `${dockerfile} uses NODE_VERSION from versions.ts`).toEqual({ value: node!.value, digest: node!.digest });
    }
  });

  it('finds the MCP SDK packages at the exact version each workspace pins', () => {
    for (const { file, name, depType } of MCP_PINS) {
      const version = packageJson(file)[depType]?.[name];
      expect(version, `${file} ${depType} has ${name}`).toMatch(/^\d+\.\d+\.\d+$/);
      expect(depsIn('npm', file)).toContainEqual(expect.objectContaining({ depName: name, currentValue: version, datasource: 'npm', depType }));
    }
  });

  it('finds every tool a workflow pins with a `# renovate:` comment (the Railway CLI)', () => {
    const workflows = githubActionFiles(REPO_ROOT).filter((file) => file.startsWith('.github/workflows/'));
    const pinned = workflows.flatMap((file) =>
      [...readFileSync(join(REPO_ROOT, file), 'utf8').matchAll(/#\s*renovate:\s*datasource=(\S+)\s+depName=(\S+)\s*\n\s*[A-Z_]+:\s*['"]?([^'"\s]+)/g)].map((match) => ({
        file,
        datasource: match[1],
        depName: match[2],
        currentValue: match[3],
      })),
    );
    expect(pinned.map((pin) => pin.depName)).toContain('@railway/cli');
    for (const pin of pinned) {
      expect(depsIn('regex', pin.file)).toContainEqual(expect.objectContaining({ depName: pin.depName, currentValue: pin.currentValue, datasource: pin.datasource }));
    }
  });

  it('finds every action in .github/workflows and .github/actions, with its digest and version comment', () => {
    const repositoryFiles = githubActionFiles(REPO_ROOT);
    const files = githubActionFiles(copy);
    expect(files).toEqual([...repositoryFiles, CANARY_WORKFLOW].sort());
    const expected = files.flatMap((file) => actionUses(file, readFileSync(join(copy, file), 'utf8')));
    // Never vacuous: the canary workflow alone contributes two pinned actions.
    expect(expected.filter((use) => use.file === CANARY_WORKFLOW)).toEqual([
      expect.objectContaining({ depName: 'actions/checkout', currentValue: 'v4.2.2', currentDigest: '11bd71901bbe5b1630ceea73d27597364c9af683' }),
      expect.objectContaining({ depName: 'actions/setup-node', currentValue: 'v4.4.0', currentDigest: '49933ea5288caeca8642d1e84afbd3f7d6820020' }),
    ]);
    for (const use of expected) {
      const found = depsIn('github-actions', use.file).filter((dep) => dep.depName === use.depName);
      expect(
        found.map((dep) => ({ currentValue: dep.currentValue, currentDigest: dep.currentDigest })),
        `${use.file}:${use.line} uses ${use.depName}`,
      ).toContainEqual({ currentValue: use.currentValue, currentDigest: use.currentDigest });
    }
  });

  it('extracts nothing under dist/ or .railway/ (ignorePaths), though both hold files the managers read', () => {
    for (const file of Object.keys(IGNORED_CANARIES)) expect(existsSync(join(copy, file)), file).toBe(true);
    const packageFiles = Object.values(report.repositories.local.packageFiles).flatMap((files) => files.map((file) => file.packageFile));
    expect(packageFiles.length).toBeGreaterThan(0);
    expect(packageFiles.filter((file) => file.startsWith('dist/') || file.startsWith('.railway/'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Package rules, applied by Renovate's own code (offline) to the dependencies extracted above.

interface EffectiveConfig {
  groupName?: string | null;
  versioning?: string | null;
  allowedVersions?: string | null;
  rangeStrategy?: string;
  pinDigests?: boolean;
  dependencyDashboardApproval?: boolean;
  labels?: string[];
  addLabels?: string[];
  schedule?: string[];
  dependencyDashboard?: boolean;
  prConcurrentLimit?: number;
  ignorePaths?: string[];
  ignoreUnstable?: boolean;
  respectLatest?: boolean;
  extractVersion?: string | null;
}
interface VersioningApi {
  isValid(version: string): boolean;
  getMajor(version: string): number | null;
}

describe('renovate.json package rules (Renovate 39 code, presets resolved offline)', () => {
  let renovate: NodeJS.Require;
  let base: Record<string, unknown>;
  let effective: (dep: FoundDep, extra?: Record<string, unknown>) => Promise<EffectiveConfig>;
  let getVersioning: (name: string) => VersioningApi;
  let getDefaultVersioning: (datasource: string) => string;
  let filterVersions: (config: EffectiveConfig, current: string, latest: string | undefined, releases: { version: string }[], versioning: VersioningApi) => { version: string }[];

  beforeAll(async () => {
    renovate = createRequire(join(tool.packageDir, 'package.json'));
    const { getConfig } = renovate('./dist/config/defaults') as { getConfig: () => Record<string, unknown> };
    const { mergeChildConfig } = renovate('./dist/config/utils') as { mergeChildConfig: (a: unknown, b: unknown) => Record<string, unknown> };
    const { resolveConfigPresets } = renovate('./dist/config/presets') as { resolveConfigPresets: (config: unknown) => Promise<Record<string, unknown>> };
    const { migrateConfig } = renovate('./dist/config/migration') as { migrateConfig: (config: unknown) => { migratedConfig: Record<string, unknown> } };
    const { applyPackageRules } = renovate('./dist/util/package-rules') as { applyPackageRules: (config: unknown, stage: string) => Promise<EffectiveConfig> };
    getVersioning = (renovate('./dist/modules/versioning') as { get: (name: string) => VersioningApi }).get;
    // The versioning a dependency without its own gets: its datasource's default (as Renovate's lookup does).
    getDefaultVersioning = (renovate('./dist/modules/datasource/common') as { getDefaultVersioning: typeof getDefaultVersioning }).getDefaultVersioning;
    filterVersions = (renovate('./dist/workers/repository/process/lookup/filter') as { filterVersions: typeof filterVersions }).filterVersions;
    // As Renovate merges a repository config: presets resolved, then migrated (which flattens
    // nested package rules such as helpers:pinGitHubActionDigestsToSemver's).
    const repository = JSON.parse(readFileSync(join(REPO_ROOT, 'renovate.json'), 'utf8')) as unknown;
    base = mergeChildConfig(getConfig(), migrateConfig(await resolveConfigPresets(repository)).migratedConfig);
    effective = (dep, extra = {}) => applyPackageRules({ ...base, ...dep, packageName: dep.packageName ?? dep.depName, ...extra }, 'lookup');
  }, RENOVATE_TIMEOUT_MS);

  const extracted = (predicate: (dep: FoundDep) => boolean, what: string): FoundDep[] => {
    const found = deps.filter(predicate);
    expect(found.length, `extracted ${what}`).toBeGreaterThan(0);
    return found;
  };
  const labelsOf = (config: EffectiveConfig) => [...(config.labels ?? []), ...(config.addLabels ?? [])];

  it('schedule, labels, dependency dashboard, PR limit and ignorePaths', async () => {
    const config = await effective({ manager: 'npm', packageFile: 'package.json', depName: 'zod', datasource: 'npm', depType: 'dependencies' });
    expect(config.schedule?.length).toBeGreaterThan(0);
    expect(config.dependencyDashboard).toBe(true);
    expect(config.prConcurrentLimit).toBeGreaterThan(0);
    expect(config.prConcurrentLimit).toBeLessThanOrEqual(10);
    expect(labelsOf(config)).toContain('dependencies');
    expect(config.ignorePaths).toEqual(expect.arrayContaining(['dist/**', '.railway/**']));
  });

  it('Jitsi: one group, stable-NNNN and stable-NNNN-N only, every new stable a major update', async () => {
    const [jitsi] = extracted((dep) => dep.depName?.startsWith('ghcr.io/jitsi/') === true, 'Jitsi');
    const current = jitsi!.currentValue!;
    const configs = await Promise.all(['web', 'prosody', 'jicofo', 'jvb'].map((component) => effective({ ...jitsi!, depName: `ghcr.io/jitsi/${component}`, versioning: undefined })));
    expect(new Set(configs.map((config) => config.groupName)).size).toBe(1);
    const config = configs[0]!;
    expect(config.groupName).toBeTruthy();
    expect(labelsOf(config)).toContain('jitsi');
    const versioning = getVersioning(config.versioning!);
    expect(versioning.isValid(current)).toBe(true);
    const [, major = '0', minor = '0'] = /^stable-(\d+)(?:-(\d+))?$/.exec(current) ?? [];
    const next = Number(major) + 100;
    const releases = [
      `stable-${major}-${Number(minor) + 1}`,
      `stable-${next}`,
      `stable-${next}-1`,
      `stable-${Number(major) - 100}`,
      'stable',
      'latest',
      'unstable',
      'unstable-2099-01-01',
      `stable-${next}-arm64`,
    ];
    const allowed = filterVersions(config, current, undefined, releases.map((version) => ({ version })), versioning).map((release) => release.version);
    expect(allowed).toEqual([`stable-${major}-${Number(minor) + 1}`, `stable-${next}`, `stable-${next}-1`]);
    expect(versioning.getMajor(`stable-${next}`)).toBeGreaterThan(versioning.getMajor(current)!);
  });

  it("TEN: sources and build image, in versions.ts and the Dockerfile, in one group; x.y.z release tags only; digests pinned in the Dockerfile's FROM only", async () => {
    const ten = extracted((dep) => dep.depName === TEN_SOURCES || dep.depName === TEN_BUILD_IMAGE, 'TEN');
    expect(ten.map((dep) => `${dep.depName} in ${dep.packageFile}`).sort()).toEqual(
      [TEN_SOURCES, TEN_BUILD_IMAGE].flatMap((name) => ['environments/versions.ts', TEN_DOCKERFILE].map((file) => `${name} in ${file}`)).sort(),
    );
    const configs = await Promise.all(ten.map((dep) => effective(dep, { updateType: 'minor' })));
    expect(new Set(configs.map((config) => config.groupName)).size, 'one branch, so one PR bumps them all').toBe(1);
    expect(configs[0]!.groupName).toBeTruthy();
    for (const [index, dep] of ten.entries()) {
      const config = configs[index]!;
      const where = `${dep.depName} in ${dep.packageFile}`;
      expect(labelsOf(config), where).toContain('ten');
      // A digest fits only the FROM line; versions.ts holds plain tags and the ARG a git tag.
      expect(config.pinDigests === true, where).toBe(dep.manager === 'dockerfile');
      const versioning = getVersioning(config.versioning ?? getDefaultVersioning(dep.datasource!));
      const [x = 0, y = 0, z = 0] = dep.currentValue!.split('.').map(Number);
      const releases = [
        `${x}.${y}.${z + 1}`,
        `${x}.${y}.${z + 1}-3-g1a2b3c4`,
        `${x}.${y}.${z + 2}-12-gdeadbee1`,
        `v${x}.${y}.${z + 3}`,
        `${x}.${y + 1}.0`,
        `${x}.${y + 1}.0-rc.1`,
        'latest',
      ];
      const allowed = filterVersions(config, dep.currentValue!, undefined, releases.map((version) => ({ version })), versioning).map((release) => release.version);
      expect(allowed, where).toEqual([`${x}.${y}.${z + 1}`, `${x}.${y + 1}.0`]);
    }
  });

  it("the TEN agent's runtime base stays on Ubuntu 22.04 (the build image's), digest updates only; elsewhere a newer Ubuntu would be offered", async () => {
    const [ubuntu] = extracted((dep) => dep.packageFile === TEN_DOCKERFILE && dep.depName === 'ubuntu', 'the runtime base image');
    const releases = ['22.04', '22.10', '24.04', '26.04'].map((version) => ({ version }));
    const allowedIn = async (packageFile: string) => {
      const config = await effective({ ...ubuntu!, packageFile });
      return filterVersions(config, ubuntu!.currentValue!, undefined, releases, getVersioning(config.versioning ?? 'docker')).map((release) => release.version);
    };
    expect(ubuntu!.currentValue).toBe('22.04');
    expect((await effective(ubuntu!)).pinDigests).toBe(true);
    expect(await allowedIn(TEN_DOCKERFILE)).toEqual([]);
    expect(await allowedIn('services/zz-other/Dockerfile')).toContain('24.04');
  });

  it('the MCP SDK packages: pinned to exact versions, labelled mcp-sdk, one group; npm dependencies pinned, engines ranges left alone', async () => {
    const sdk = extracted((dep) => MCP_PACKAGES.includes(dep.depName ?? ''), 'the MCP SDK packages');
    expect(sdk.map((dep) => `${dep.packageFile} ${dep.depName}`).sort()).toEqual(MCP_PINS.map(({ file, name }) => `${file} ${name}`).sort());
    // No workspace pins the 1.x SDK any more.
    expect(deps.filter((dep) => dep.depName === '@modelcontextprotocol/sdk')).toEqual([]);
    const configs = await Promise.all(sdk.map((dep) => effective(dep)));
    for (const config of configs) {
      expect(config.rangeStrategy).toBe('pin');
      expect(labelsOf(config)).toContain('mcp-sdk');
    }
    expect(new Set(configs.map((config) => config.groupName)).size).toBe(1);
    for (const dep of extracted((candidate) => candidate.manager === 'npm' && candidate.depType !== 'engines', 'npm dependencies')) {
      expect((await effective(dep)).rangeStrategy, `${dep.packageFile} ${dep.depName}`).toBe('pin');
    }
    for (const dep of extracted((candidate) => candidate.manager === 'npm' && candidate.depType === 'engines', 'engines')) {
      expect((await effective(dep)).rangeStrategy).not.toBe('pin');
    }
  });

  it('the MCP conformance suite and its Node 22: found in tools/mcp-conformance, pinned, one group labelled mcp-sdk', async () => {
    const tools = extracted((dep) => dep.packageFile === 'tools/mcp-conformance/package.json', 'the conformance tools');
    expect(tools.map((dep) => dep.depName).sort()).toEqual(['@modelcontextprotocol/conformance', 'node']);
    const configs = await Promise.all(tools.map((dep) => effective(dep)));
    expect(new Set(configs.map((config) => config.groupName))).toEqual(new Set(['MCP conformance suite']));
    for (const config of configs) {
      expect(config.rangeStrategy).toBe('pin');
      expect(labelsOf(config)).toContain('mcp-sdk');
    }
  });

  it('Renovate for the tests: only in tools/renovate, and on 39 (the last major that reads fileMatch)', async () => {
    const found = extracted((candidate) => candidate.manager === 'npm' && candidate.depName === 'renovate', 'renovate');
    expect(found.map((dep) => dep.packageFile)).toEqual(['tools/renovate/package.json']);
    const dep = found[0]!;
    const config = await effective(dep);
    const releases = ['39.264.1', '39.265.0', '40.0.0', '41.2.3'].map((version) => ({ version }));
    const allowed = filterVersions(config, dep.currentValue!, undefined, releases, getVersioning(config.versioning ?? 'npm')).map((release) => release.version);
    expect(allowed.every((version) => version.startsWith('39.'))).toBe(true);
    expect(allowed).toContain('39.265.0');
  });

  it('Node base image: versions.ts and the Dockerfiles in one group, digests pinned, a new major waits for approval', async () => {
    const node = extracted((dep) => dep.depName === 'node' && dep.datasource === 'docker', 'the Node base image');
    expect(node.map((dep) => dep.packageFile)).toEqual(expect.arrayContaining(['environments/versions.ts', ...DOCKERFILES]));
    const configs = await Promise.all(node.map((dep) => effective(dep, { updateType: 'minor' })));
    expect(new Set(configs.map((config) => config.groupName)).size).toBe(1);
    expect(configs[0]!.groupName).toBeTruthy();
    for (const config of configs) {
      expect(config.pinDigests).toBe(true);
      expect(config.dependencyDashboardApproval).toBe(false);
    }
    for (const dep of node) expect((await effective(dep, { updateType: 'major' })).dependencyDashboardApproval).toBe(true);
  });

  it('Postgres and Redis: a major update waits for approval on the dependency dashboard, minor and patch do not', async () => {
    for (const name of ['postgres', 'redis']) {
      // versions.ts and anywhere else (CI service containers, say), all in the same branch.
      const found = extracted((candidate) => candidate.depName === name && candidate.datasource === 'docker', name);
      const groups = await Promise.all(found.map(async (dep) => (await effective(dep, { updateType: 'minor' })).groupName ?? null));
      expect(new Set(groups).size, `${name}: one group (or none) wherever it is pinned`).toBe(1);
      for (const dep of found) {
        const where = `${name} in ${dep.packageFile}`;
        expect((await effective(dep, { updateType: 'major' })).dependencyDashboardApproval, where).toBe(true);
        for (const updateType of ['minor', 'patch']) expect((await effective(dep, { updateType })).dependencyDashboardApproval, `${where}, ${updateType}`).toBe(false);
        // versions.ts holds tags without digests, and a regex dependency cannot gain one.
        if (dep.packageFile === 'environments/versions.ts') expect((await effective(dep)).pinDigests, where).toBe(false);
      }
    }
  });

  it('GitHub Actions: pinned to digests, labelled, non-major updates in one group', async () => {
    for (const action of extracted((dep) => dep.manager === 'github-actions' && dep.depType === 'action', 'actions')) {
      const config = await effective(action, { updateType: 'minor' });
      expect(config.pinDigests, action.depName).toBe(true);
      expect(labelsOf(config)).toContain('github-actions');
      expect(config.groupName, action.depName).toBe('GitHub Actions');
    }
  });
});

describe('the Renovate tool (tools/renovate)', () => {
  it('says how to install it when a directory has none: the tests above fail with that message, never skip', () => {
    const empty = temporaryDirectory('renovate-tool-');
    expect(() => findRenovate(empty)).toThrow(/^Renovate is not installed in .*: run `npm run install:renovate` \(npm test does it first\)$/);
  });
});
