import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError } from '../../cli/cli-error.ts';
import { checkUpdates, JITSI_COMPONENTS, type UpdateCheck } from '../../cli/check-updates.ts';
import { MCP_SDK_PACKAGES } from '../../cli/check-updates/pins.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { JITSI_VERSION, TEN_AGENT_BUILD_VERSION, TEN_VERSION } from '../../environments/versions.ts';
import { UPDATES_ISSUE_LABEL } from '../../cli/check-updates/updates-issue.ts';
import { fakeIssue, startFakeGitHub, type FakeGitHub, type FakeGitHubState } from '../fakes/fake-github.ts';
import { startFakeRegistries, type FakeRegistries, type FakeRegistriesState } from '../fakes/fake-registries.ts';

// The pins, read from the repository so Renovate's bumps never break these tests.
/** The MCP server's SDK package (the v2 server; nothing pins the 1.x `@modelcontextprotocol/sdk` any more). */
const SDK = '@modelcontextprotocol/server';
const SDK_FILES = ['services/frontend/package.json', 'services/mcp-server/package.json'];
/** Each MCP SDK package a workspace pins (the MCP server the v2 server packages, the console the v2 client). */
const sdkPins = SDK_FILES.flatMap((file) => {
  const dependencies = (JSON.parse(readFileSync(join(REPO_ROOT, file), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
  return MCP_SDK_PACKAGES.flatMap((name) => (dependencies[name] === undefined ? [] : [{ file, name, version: dependencies[name] }]));
});
/** The version of each of those packages (one per package across the workspaces). */
const sdkCurrent: Readonly<Record<string, string>> = Object.fromEntries(sdkPins.map((pin) => [pin.name, pin.version]));

const VERSIONS = readFileSync(join(REPO_ROOT, 'environments/versions.ts'), 'utf8');
/** TEN's sources on GitHub (`owner/name`) and its build image on GHCR (without `ghcr.io/`). */
const TEN_SOURCES = /datasource=github-tags depName=(\S+)\nexport const TEN_VERSION /.exec(VERSIONS)![1]!;
const TEN_BUILD_REPOSITORY = /datasource=docker depName=ghcr\.io\/(\S+)\nexport const TEN_AGENT_BUILD_VERSION /.exec(VERSIONS)![1]!;
const JITSI_REPOSITORIES = JITSI_COMPONENTS.map((component) => `jitsi/${component}`);

const bumpPatch = (version: string) => version.replace(/(\d+)$/, (patch) => String(Number(patch) + 1));
const bumpMinor = (version: string) => version.replace(/^(\d+)\.(\d+)\.\d+$/, (_, major: string, minor: string) => `${major}.${Number(minor) + 1}.0`);
const sdkBumped = Object.fromEntries(Object.entries(sdkCurrent).map(([name, version]) => [name, bumpMinor(version)]));
const [, JITSI_MAJOR = '0', JITSI_RESPIN = '0'] = /^stable-(\d+)(?:-(\d+))?$/.exec(JITSI_VERSION)!;
const jitsiStable = (offset: number, respin?: number) => `stable-${Number(JITSI_MAJOR) + offset}${respin === undefined ? '' : `-${respin}`}`;

/** Tags like the real repositories carry: releases, describe builds of branch pushes, floating tags, old v-tags. */
function registryState(options: { tenLatest: string; buildLatest?: string; jitsiLatest: string; jitsiWebOnly?: string; sdkLatest: Readonly<Record<string, string>> }): Partial<FakeRegistriesState> {
  const buildLatest = options.buildLatest ?? TEN_AGENT_BUILD_VERSION;
  const jitsiTags = [
    jitsiStable(-200),
    jitsiStable(-100),
    jitsiStable(-100, 1),
    JITSI_VERSION,
    options.jitsiLatest,
    'stable',
    'unstable',
    'unstable-2099-01-01',
    'unstable-2099-01-02',
    `${options.jitsiLatest}-arm64`,
  ];
  return {
    npm: Object.fromEntries(
      Object.entries(sdkCurrent).map(([name, current]) => [name, { latest: options.sdkLatest[name]!, versions: [...new Set([current, options.sdkLatest[name]!, '0.1.0'])] }]),
    ),
    // GitHub lists tags newest name first; TEN's history also holds v-prefixed TEN-Agent tags.
    github: {
      [TEN_SOURCES]: [...new Set([`${bumpMinor(options.tenLatest)}-rc.1`, options.tenLatest, TEN_VERSION, '0.10.38', '0.5.0', 'v9.9.9', 'v0.4.1'])],
    },
    ghcr: {
      [TEN_BUILD_REPOSITORY]: [
        '0.5.0-2-g7d064cd-vllm-cpu',
        TEN_AGENT_BUILD_VERSION,
        `${TEN_AGENT_BUILD_VERSION}-5-g2e56d96`,
        buildLatest,
        `${buildLatest}-12-gdeadbee`,
        `${bumpMinor(buildLatest)}-1-gabc1234`,
        'latest',
      ],
      ...Object.fromEntries(
        JITSI_REPOSITORIES.map((repository) => [
          repository,
          [...new Set(repository === 'jitsi/web' && options.jitsiWebOnly !== undefined ? [...jitsiTags, options.jitsiWebOnly] : jitsiTags)],
        ]),
      ),
    },
    // Small pages, so the tag lists take several round trips through the Link header.
    pageSize: 3,
  };
}

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
async function fake(state: Partial<FakeRegistriesState>): Promise<FakeRegistries> {
  const registries = await startFakeRegistries(state);
  servers.push(registries);
  return registries;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The CLI as the npm scripts run it, without blocking this process (the fakes live here). */
function runCheckUpdates(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CHECK_UPDATES_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/index.ts', 'check-updates', '--', ...args], { cwd: REPO_ROOT, env: { ...inherited, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** All three registries on one fake. */
const at = (registries: FakeRegistries) => ({ npmRegistry: registries.url, ghcrRegistry: registries.url, githubApi: registries.url });

describe('check-updates against local registries speaking the npm, GHCR (Docker Registry v2) and GitHub REST protocols', () => {
  it('reports newer releases: TEN x.y.z git tags and build image tags only, the newest Jitsi stable that all four components carry, npm latest', async () => {
    const tenLatest = bumpMinor(bumpPatch(TEN_VERSION));
    const buildLatest = bumpPatch(TEN_AGENT_BUILD_VERSION);
    const jitsiLatest = jitsiStable(100);
    const jitsiWebOnly = jitsiStable(200);
    const registries = await fake(registryState({ tenLatest, buildLatest, jitsiLatest, jitsiWebOnly, sdkLatest: sdkBumped }));
    const results = await checkUpdates({ ...at(registries), env: {} });

    expect(results).toEqual<UpdateCheck[]>([
      {
        dependency: 'TEN Framework',
        package: TEN_SOURCES,
        pinnedIn: 'environments/versions.ts (TEN_VERSION)',
        current: TEN_VERSION,
        latest: tenLatest,
        status: 'update available',
        registry: registries.url,
      },
      {
        dependency: 'TEN build image',
        package: `ghcr.io/${TEN_BUILD_REPOSITORY}`,
        pinnedIn: 'environments/versions.ts (TEN_AGENT_BUILD_VERSION)',
        current: TEN_AGENT_BUILD_VERSION,
        latest: buildLatest,
        status: 'update available',
        registry: registries.url,
      },
      {
        dependency: 'Jitsi Meet',
        package: 'ghcr.io/jitsi/{web,prosody,jicofo,jvb}',
        pinnedIn: 'environments/versions.ts (JITSI_VERSION)',
        current: JITSI_VERSION,
        latest: jitsiLatest,
        status: 'update available',
        registry: registries.url,
        note: `${jitsiWebOnly} is not yet published for prosody, jicofo, jvb`,
      },
      ...sdkPins.map((pin) => ({
        dependency: pin.name,
        package: pin.name,
        pinnedIn: pin.file,
        current: pin.version,
        latest: sdkBumped[pin.name]!,
        status: 'update available' as const,
        registry: registries.url,
      })),
    ]);

    // The real flows: one npm request per package; for each image an anonymous 401, a token
    // for exactly its pull scope, then the tag list page by page with that token; for TEN's git
    // tags GitHub's largest page, then wherever GitHub's Link header points.
    const github = registries.requests.filter((request) => request.path.startsWith('/repos/') || request.path.startsWith('/repositories/'));
    const npmRequests = registries.requests.filter((request) => !request.path.startsWith('/v2/') && request.path !== '/token' && !github.includes(request));
    expect(npmRequests.map((request) => [request.path, request.status]).sort()).toEqual(Object.keys(sdkCurrent).map((name) => [`/${name.replace('/', '%2f')}`, 200]).sort());
    expect(Object.keys(sdkCurrent)).toEqual(expect.arrayContaining([SDK, '@modelcontextprotocol/client']));
    const gitTags = registries.state.github[TEN_SOURCES]!;
    expect(github.map((request) => [request.path.replace(/\d+/, '<id>'), request.query, request.status])).toEqual([
      [`/repos/${TEN_SOURCES}/tags`, { per_page: '100' }, 200],
      ...Array.from({ length: Math.ceil(gitTags.length / 3) - 1 }, (_, index) => ['/repositories/<id>/tags', { per_page: '3', page: String(index + 2) }, 200]),
    ]);
    for (const repository of [TEN_BUILD_REPOSITORY, ...JITSI_REPOSITORIES]) {
      const tokenRequests = registries.requests.filter((request) => request.path === '/token' && request.query.scope === `repository:${repository}:pull`);
      expect(tokenRequests, repository).toEqual([expect.objectContaining({ query: { scope: `repository:${repository}:pull`, service: 'ghcr.io' }, status: 200 })]);
      const pages = registries.requests.filter((request) => request.path === `/v2/${repository}/tags/list`);
      expect(pages[0]).toMatchObject({ authorization: undefined, status: 401 });
      expect(pages.slice(1).every((page) => page.status === 200 && page.authorization?.startsWith('Bearer '))).toBe(true);
      const tags = registries.state.ghcr[repository]!;
      expect(pages.length - 1, `${repository}: pages of 3`).toBe(Math.ceil(tags.length / 3));
    }
  });

  it('reports up to date when the pins are the newest releases', async () => {
    const registries = await fake(registryState({ tenLatest: TEN_VERSION, jitsiLatest: JITSI_VERSION, sdkLatest: sdkCurrent }));
    const results = await checkUpdates({ ...at(registries), env: {} });
    expect(results.map((result) => [result.dependency, result.current, result.latest, result.status, result.note])).toEqual([
      ['TEN Framework', TEN_VERSION, TEN_VERSION, 'up to date', undefined],
      ['TEN build image', TEN_AGENT_BUILD_VERSION, TEN_AGENT_BUILD_VERSION, 'up to date', undefined],
      ['Jitsi Meet', JITSI_VERSION, JITSI_VERSION, 'up to date', undefined],
      ...sdkPins.map((pin) => [pin.name, pin.version, pin.version, 'up to date', undefined]),
    ]);
  });

  it('prints a table, or JSON with --json; --exit-code exits 3 only when an update is available', async () => {
    const upToDate = await fake(registryState({ tenLatest: TEN_VERSION, jitsiLatest: JITSI_VERSION, sdkLatest: sdkCurrent }));
    const newer = await fake(registryState({ tenLatest: bumpPatch(TEN_VERSION), jitsiLatest: JITSI_VERSION, sdkLatest: sdkCurrent }));
    const env = (registries: FakeRegistries) => ({
      CHECK_UPDATES_NPM_REGISTRY: registries.url,
      CHECK_UPDATES_GHCR_REGISTRY: registries.url,
      CHECK_UPDATES_GITHUB_API: registries.url,
    });

    const [table, json] = await Promise.all([runCheckUpdates(['--exit-code'], env(upToDate)), runCheckUpdates(['--json', '--exit-code'], env(newer))]);
    expect(table.status, table.stderr).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^dependency +pinned in +current +latest +status$/);
    expect(lines[1]).toMatch(/^-+ +-+ +-+ +-+ +-+$/);
    expect(lines.find((line) => line.startsWith('TEN Framework'))).toMatch(new RegExp(`${TEN_VERSION.replaceAll('.', '\\.')} +${TEN_VERSION.replaceAll('.', '\\.')} +up to date$`));
    expect(lines.find((line) => line.startsWith('TEN build image'))).toMatch(new RegExp(`${TEN_AGENT_BUILD_VERSION.replaceAll('.', '\\.')} +${TEN_AGENT_BUILD_VERSION.replaceAll('.', '\\.')} +up to date$`));
    expect(lines.find((line) => line.startsWith('Jitsi Meet'))).toMatch(new RegExp(`${JITSI_VERSION} +${JITSI_VERSION} +up to date$`));
    expect(lines.filter((line) => line.startsWith('@modelcontextprotocol/'))).toHaveLength(sdkPins.length);
    expect(table.stdout).toContain(`registries: ${upToDate.url}`);

    expect(json.status, json.stderr).toBe(3);
    const report = JSON.parse(json.stdout) as { updatesAvailable: number; results: UpdateCheck[] };
    expect(report.updatesAvailable).toBe(1);
    expect(report.results.find((result) => result.dependency === 'TEN Framework')).toMatchObject({ current: TEN_VERSION, latest: bumpPatch(TEN_VERSION), status: 'update available' });
  });

  it('names the registry and the cause when a registry is down (HTTP 503), and prints nothing else', async () => {
    const ghcr = await fake(registryState({ tenLatest: TEN_VERSION, jitsiLatest: JITSI_VERSION, sdkLatest: sdkCurrent }));
    const npm = await fake({ down: true });
    const error = await rejection(checkUpdates({ npmRegistry: npm.url, ghcrRegistry: ghcr.url, githubApi: ghcr.url, env: {} }));
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toContain(`npm registry (${npm.url}): answered HTTP 503 Service Unavailable for GET /${SDK.replace('/', '%2f')} (looking up ${SDK})`);
    expect(error.message).not.toContain(`GHCR (${ghcr.url})`);
    expect(error.message).not.toContain(`GitHub API (${ghcr.url})`);

    ghcr.state.down = true;
    const cli = await runCheckUpdates([], { CHECK_UPDATES_NPM_REGISTRY: npm.url, CHECK_UPDATES_GHCR_REGISTRY: ghcr.url, CHECK_UPDATES_GITHUB_API: ghcr.url });
    expect(cli.status).toBe(1);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toMatch(/^error: check-updates could not reach every registry/);
    expect(cli.stderr).toContain(`npm registry (${npm.url}): answered HTTP 503`);
    expect(cli.stderr).toContain(`GHCR (${ghcr.url}): answered HTTP 503 Service Unavailable for GET /v2/`);
    expect(cli.stderr).toContain(`GitHub API (${ghcr.url}): answered HTTP 503 Service Unavailable for GET /repos/${TEN_SOURCES}/tags (looking up tags of ${TEN_SOURCES})`);
    expect(cli.stderr).not.toContain('    at '); // no stack trace
  });

  it("GitHub's anonymous rate limit used up mid-list: the error says so and until when", async () => {
    // Three pages of git tags, two requests left.
    const registries = await fake({ ...registryState({ tenLatest: bumpPatch(TEN_VERSION), jitsiLatest: JITSI_VERSION, sdkLatest: sdkCurrent }), githubRateLimit: 2 });
    expect(registries.state.github[TEN_SOURCES]!.length).toBeGreaterThan(2 * 3);
    const error = await rejection(checkUpdates({ ...at(registries), env: {} }));
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toMatch(
      new RegExp(`GitHub API \\(${registries.url}\\): refused with HTTP 403: its anonymous rate limit \\(2 requests an hour\\) is used up until \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(looking up tags of ${TEN_SOURCES}\\)`),
    );
    expect(error.message).not.toContain('GHCR (');
  });

  it('offline: unreachable hosts (DNS failure, connection refused) give a clear error, exit 1', async () => {
    const port = await closedPort();
    const npm = 'https://registry.invalid'; // .invalid never resolves (RFC 6761)
    const ghcr = `http://127.0.0.1:${port}`;
    const github = 'https://github-api.invalid';
    const error = await rejection(checkUpdates({ npmRegistry: npm, ghcrRegistry: ghcr, githubApi: github, env: {} }));
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toMatch(new RegExp(`npm registry \\(${npm.replaceAll('.', '\\.')}\\): unreachable: .*ENOTFOUND registry\\.invalid`));
    expect(error.message).toContain(`GHCR (${ghcr}): unreachable: `);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain(`tags of ${TEN_BUILD_REPOSITORY}`);
    expect(error.message).toMatch(new RegExp(`GitHub API \\(${github.replaceAll('.', '\\.')}\\): unreachable: .*ENOTFOUND github-api\\.invalid.* \\(looking up tags of ${TEN_SOURCES}\\)`));
    expect(error.message).toContain('CHECK_UPDATES_GITHUB_API');

    const cli = await runCheckUpdates(['--json'], { CHECK_UPDATES_NPM_REGISTRY: npm, CHECK_UPDATES_GHCR_REGISTRY: ghcr, CHECK_UPDATES_GITHUB_API: github });
    expect(cli.status).toBe(1);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toContain('ENOTFOUND registry.invalid');
    expect(cli.stderr).toContain('ECONNREFUSED');
  });

  it('a registry that never answers times out with the registry named', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise<void>((resolve) => (silent.closeAllConnections(), silent.close(() => resolve()))) });
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const ghcr = await fake(registryState({ tenLatest: TEN_VERSION, jitsiLatest: JITSI_VERSION, sdkLatest: sdkCurrent }));
    const error = await rejection(checkUpdates({ npmRegistry: url, ghcrRegistry: ghcr.url, githubApi: ghcr.url, timeoutMs: 300, env: {} }));
    // One line for the registry, naming every package it was asked for.
    expect(error.message).toContain(`npm registry (${url}): no answer within 0.3 s (looking up ${Object.keys(sdkCurrent).join(', ')})`);
  });

  it('an answer that is not what the registry protocol promises is an error, not a guess (injected fetch)', async () => {
    const calls: string[] = [];
    const error = await rejection(
      checkUpdates({
        npmRegistry: 'https://npm.example',
        ghcrRegistry: 'https://ghcr.example',
        githubApi: 'https://github-api.example',
        env: {},
        fetch: async (url) => {
          calls.push(url);
          if (url.startsWith('https://npm.example/')) return new Response(JSON.stringify({ name: SDK, versions: {} }), { status: 200 });
          // GitHub's tag list is an array of objects with a name.
          if (url.startsWith('https://github-api.example/')) return new Response(JSON.stringify({ tags: ['0.11.71'] }), { status: 200 });
          return new Response('{}', { status: 401 }); // no WWW-Authenticate challenge: a private image
        },
      }),
    );
    expect(calls).toContain(`https://npm.example/${SDK.replace('/', '%2f')}`);
    expect(error.message).toContain(`npm registry (https://npm.example): answered GET /${SDK.replace('/', '%2f')} with a packument missing dist-tags`);
    expect(error.message).toContain('GHCR (https://ghcr.example): answered HTTP 401 without a Bearer challenge');
    expect(calls).toContain(`https://github-api.example/repos/${TEN_SOURCES}/tags?per_page=100`);
    expect(error.message).toContain(`GitHub API (https://github-api.example): answered GET /repos/${TEN_SOURCES}/tags with a tag list missing the expected fields`);
  });

  it('rejects a registry override that is not an http(s) URL', async () => {
    const error = await rejection(checkUpdates({ env: { CHECK_UPDATES_NPM_REGISTRY: 'npm-registry.example' } }));
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toBe('CHECK_UPDATES_NPM_REGISTRY must be an http(s) URL, got "npm-registry.example"');
  });

  it('--help explains the sources, the environment and the exit codes', async () => {
    const help = await runCheckUpdates(['--help'], {});
    expect(help.status).toBe(0);
    for (const text of [
      'Usage: voice-agent check-updates',
      '--json',
      '--exit-code',
      '--timeout',
      '--sync-issue',
      'updates-behind',
      'CHECK_UPDATES_NPM_REGISTRY',
      'CHECK_UPDATES_GHCR_REGISTRY',
      'CHECK_UPDATES_GITHUB_API',
      'GITHUB_TOKEN',
      'GITHUB_REPOSITORY',
      'Exit codes:',
    ]) {
      expect(help.stdout).toContain(text);
    }
  });
});

describe('check-updates --sync-issue: the fake registries, and a fake GitHub API that also answers the tag lookups', () => {
  const REPOSITORY = 'voice-agent/gitops';
  const TOKEN = 'ghs_fakeScheduledCheckToken0123456789abcd';

  async function fakeGitHub(registries: FakeRegistries, state: Partial<FakeGitHubState> = {}): Promise<FakeGitHub> {
    // The tag lists share CHECK_UPDATES_GITHUB_API with the issues: the fake passes them to the registries.
    const github = await startFakeGitHub({ repository: REPOSITORY, tokens: { [TOKEN]: 'write' }, otherwise: registries.url, ...state });
    servers.push(github);
    return github;
  }
  const env = (registries: FakeRegistries, github: FakeGitHub, overrides: Record<string, string> = {}) => ({
    CHECK_UPDATES_NPM_REGISTRY: registries.url,
    CHECK_UPDATES_GHCR_REGISTRY: registries.url,
    CHECK_UPDATES_GITHUB_API: github.url,
    GITHUB_TOKEN: TOKEN,
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
    ...overrides,
  });

  it('opens the issue when a pin is behind and closes it once all are current; the tag lookups carry the token, which no output shows', async () => {
    const tenLatest = bumpPatch(TEN_VERSION);
    const registries = await fake(registryState({ tenLatest, jitsiLatest: JITSI_VERSION, sdkLatest: sdkCurrent }));
    const github = await fakeGitHub(registries, { issues: [fakeIssue({ number: 1, title: 'Update TEN', labels: [UPDATES_ISSUE_LABEL], pullRequest: true })] });

    const opened = await runCheckUpdates(['--sync-issue'], env(registries, github));
    expect(opened.status, opened.stderr).toBe(0);
    expect(opened.stdout).toMatch(/^dependency +pinned in +current +latest +status$/m);
    expect(opened.stdout.trimEnd().split('\n').at(-1)).toBe(`issue: opened #2 https://github.com/${REPOSITORY}/issues/2`);
    const issue = github.state.issues.find((candidate) => candidate.number === 2)!;
    expect(issue).toMatchObject({ state: 'open', labels: [UPDATES_ISSUE_LABEL], title: 'Pinned versions behind their latest release: TEN Framework' });
    expect(issue.body).toContain(`| TEN Framework | \`environments/versions.ts\` (TEN_VERSION) | \`${TEN_VERSION}\` | \`${tenLatest}\` | **update available** |`);
    expect(issue.body).toContain(`([workflow run](https://github.com/${REPOSITORY}/actions/runs/4242))`);
    expect(issue.body).toMatch(/Written by the check of \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /);
    // Every GitHub request authenticated, the tag pages too (GitHub's first, then the Link pages at the registries).
    const tagRequests = registries.requests.filter((request) => request.path.endsWith('/tags'));
    expect(tagRequests.length).toBeGreaterThan(1);
    expect(tagRequests.every((request) => request.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(github.requests.every((request) => request.authorization === `Bearer ${TOKEN}`)).toBe(true);

    // The same again: unchanged; then everything current: commented and closed.
    const unchanged = await runCheckUpdates(['--sync-issue'], env(registries, github, { GITHUB_RUN_ID: '4243' }));
    expect(unchanged.stdout).toContain(`issue: #2 unchanged (it lists the same) https://github.com/${REPOSITORY}/issues/2`);
    expect(github.requests.filter((request) => request.method === 'PATCH')).toEqual([]);
    registries.state.github = registryState({ tenLatest: TEN_VERSION, jitsiLatest: JITSI_VERSION, sdkLatest: sdkCurrent }).github!;
    const closed = await runCheckUpdates(['--sync-issue', '--json'], env(registries, github, { GITHUB_RUN_ID: '4244' }));
    expect(closed.status, closed.stderr).toBe(0);
    expect((JSON.parse(closed.stdout) as { updatesAvailable: number; issue: unknown })).toMatchObject({
      updatesAvailable: 0,
      issue: { action: 'closed', number: 2, url: `https://github.com/${REPOSITORY}/issues/2`, alsoLabelled: [] },
    });
    expect(issue).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(issue.comments).toEqual([expect.stringContaining(`are current as of the check of`)]);
    expect(issue.comments[0]).toContain('actions/runs/4244');
    // The pull request carrying the label was never touched.
    expect(github.state.issues[0]).toMatchObject({ number: 1, state: 'open', comments: [] });

    for (const run of [opened, unchanged, closed]) expect(`${run.stdout}${run.stderr}`).not.toContain(TOKEN);
  });

  it('without GITHUB_TOKEN, or with GITHUB_REPOSITORY malformed, stops before sending anything and names it', async () => {
    const registries = await fake(registryState({ tenLatest: bumpPatch(TEN_VERSION), jitsiLatest: JITSI_VERSION, sdkLatest: sdkCurrent }));
    const github = await fakeGitHub(registries);
    const noToken = await runCheckUpdates(['--sync-issue'], env(registries, github, { GITHUB_TOKEN: '' }));
    expect(noToken.status).toBe(1);
    expect(noToken.stdout).toBe('');
    expect(noToken.stderr).toMatch(/^error: GITHUB_TOKEN is not set: --sync-issue needs a token that may write issues/);
    expect(noToken.stderr).not.toContain('    at ');
    const malformed = await runCheckUpdates(['--sync-issue'], env(registries, github, { GITHUB_REPOSITORY: 'gitops' }));
    expect(malformed.status).toBe(1);
    expect(malformed.stderr).toBe('error: GITHUB_REPOSITORY must be owner/name, got "gitops"\n');
    expect(malformed.stderr).not.toContain(TOKEN);
    expect(registries.requests).toEqual([]);
    expect(github.requests).toEqual([]);
  });

  it("GitHub's refusal is the error, with its status and message, exit 1; the table is printed first, the token nowhere", async () => {
    const registries = await fake(registryState({ tenLatest: bumpPatch(TEN_VERSION), jitsiLatest: JITSI_VERSION, sdkLatest: sdkCurrent }));
    const github = await fakeGitHub(registries, { tokens: { [TOKEN]: 'read' } });
    const refused = await runCheckUpdates(['--sync-issue'], env(registries, github));
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/^TEN Framework .* update available$/m);
    expect(refused.stderr).toBe(
      `error: GitHub API (${github.url}): opening the updates issue: POST /repos/${REPOSITORY}/issues: answered HTTP 403: Resource not accessible by integration; ` +
        `GITHUB_TOKEN may not write the issues of ${REPOSITORY}: the workflow job needs "permissions: issues: write"\n`,
    );
    const wrongToken = await runCheckUpdates(['--sync-issue'], env(registries, github, { GITHUB_TOKEN: `${TOKEN}x` }));
    expect(wrongToken.status).toBe(1);
    expect(wrongToken.stderr).toContain('answered HTTP 401: Bad credentials; GITHUB_TOKEN is not a valid, current GitHub token');
    for (const run of [refused, wrongToken]) expect(`${run.stdout}${run.stderr}`).not.toContain(TOKEN);
    expect(github.state.issues).toEqual([]);
  });
});
