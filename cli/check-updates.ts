import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { CliError } from './cli-error.ts';
import { GitHubIssues, githubCredentialsFromEnv } from './check-updates/github-issues.ts';
import { readPins, type VersionPin } from './check-updates/pins.ts';
import { ghcrTags, githubTags, npmLatest, RegistryError, type Client, type Fetch } from './check-updates/registries.ts';
import { jitsiKey, newest, semverKey, statusOf, tenKey } from './check-updates/release-order.ts';
import { readRenovateConfig, renovateCoverage, renovateDependency, renovateLimits } from './check-updates/renovate-coverage.ts';
import { formatUpdateTable, type UpdateCheck } from './check-updates/update-check.ts';
import { describeOutcome, syncUpdatesIssue, type IssueOutcome } from './check-updates/updates-issue.ts';

export type { UpdateCheck, UpdateStatus } from './check-updates/update-check.ts';

/**
 * `check-updates`: the pinned TEN Framework (its sources and its build image), Jitsi Meet version
 * and MCP SDK against the newest release their registries publish, read-only and without
 * credentials:
 *
 * - the MCP SDK from the npm registry: `GET /<name>` (the abbreviated packument), `dist-tags.latest`;
 * - TEN's sources from GitHub's REST API, the git tags the agent image is built from:
 *   `GET /repos/<owner>/<repo>/tags?per_page=100`, page by page (`Link: <…>; rel="next"`);
 *   anonymous, so GitHub allows 60 requests an hour per address;
 * - TEN's build image and Jitsi from GHCR through the Docker Registry v2 flow:
 *   `GET /v2/<repo>/tags/list` answers 401 with a `WWW-Authenticate: Bearer realm=…,service=…,scope=…`
 *   challenge, the realm hands out an anonymous pull token, the tag list is then read page by
 *   page (`Link: <…>; rel="next"`).
 *
 * Only release tags count, as in renovate.json: TEN `x.y.z` (not the `x.y.z-N-g<sha>` image
 * builds of every branch push, nor the old `v`-prefixed git tags), Jitsi `stable-NNNN[-N]`, and
 * for Jitsi only a tag that web, prosody, jicofo and jvb all carry, since the four run one version.
 *
 * With `--sync-issue` it then keeps one GitHub issue (check-updates/updates-issue.ts) listing
 * what is behind, with GITHUB_TOKEN, which the GitHub tag lookups then send too.
 */

export const DEFAULT_GHCR_REGISTRY = 'https://ghcr.io';
export const DEFAULT_GITHUB_API = 'https://api.github.com';
export const NPM_REGISTRY_ENV = 'CHECK_UPDATES_NPM_REGISTRY';
export const GHCR_REGISTRY_ENV = 'CHECK_UPDATES_GHCR_REGISTRY';
export const GITHUB_API_ENV = 'CHECK_UPDATES_GITHUB_API';

/** The Jitsi components the stack runs (constructs/jitsi-meet.ts), all at JITSI_VERSION. */
export const JITSI_COMPONENTS = ['web', 'prosody', 'jicofo', 'jvb'] as const;

export interface CheckUpdatesOptions {
  /** Repository root with environments/versions.ts and services/*\/package.json (default: this repository). */
  root?: string;
  /** Injectable for tests (default: the global fetch). */
  fetch?: Fetch;
  /** Base URL of the npm registry (default: $CHECK_UPDATES_NPM_REGISTRY, else the registry npm itself is configured with). */
  npmRegistry?: string;
  /** Base URL standing in for ghcr.io (default: $CHECK_UPDATES_GHCR_REGISTRY, else https://ghcr.io). */
  ghcrRegistry?: string;
  /** Base URL of GitHub's REST API (default: $CHECK_UPDATES_GITHUB_API, else https://api.github.com). */
  githubApi?: string;
  /** Per request (default 15 s). */
  timeoutMs?: number;
  /** Sent with the GitHub tag lookups (default: none, anonymous). */
  githubToken?: string;
  env?: NodeJS.ProcessEnv;
}


function registryBase(explicit: string | undefined, env: NodeJS.ProcessEnv, variable: string, fallback: string): string {
  const value = explicit ?? (env[variable] !== undefined && env[variable] !== '' ? env[variable] : fallback);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`${variable} must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`${variable} must be an http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

/**
 * The registry npm installs from here: `npm_config_registry` when npm runs us (npm run), else
 * what `npm config get registry` says (the user's .npmrc, or npm's own default).
 */
function configuredNpmRegistry(env: NodeJS.ProcessEnv): string {
  const fromNpm = env['npm_config_registry'];
  if (fromNpm !== undefined && fromNpm !== '') return fromNpm;
  try {
    return execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    throw new CliError(`cannot tell which npm registry to ask: set ${NPM_REGISTRY_ENV} or configure npm's registry`);
  }
}

/** Checks every pin; throws CliError naming each registry that failed and why. */
export async function checkUpdates(options: CheckUpdatesOptions = {}): Promise<UpdateCheck[]> {
  const env = options.env ?? process.env;
  const root = options.root ?? REPO_ROOT;
  const npm = registryBase(options.npmRegistry, env, NPM_REGISTRY_ENV, options.npmRegistry === undefined && !env[NPM_REGISTRY_ENV] ? configuredNpmRegistry(env) : '');
  const ghcr = registryBase(options.ghcrRegistry, env, GHCR_REGISTRY_ENV, DEFAULT_GHCR_REGISTRY);
  const github = registryBase(options.githubApi, env, GITHUB_API_ENV, DEFAULT_GITHUB_API);
  const client: Client = {
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    timeoutMs: options.timeoutMs ?? 15_000,
    ...(options.githubToken !== undefined ? { githubToken: options.githubToken } : {}),
  };
  const pins = readPins(root);
  const repositoryOf = (image: string) => image.replace(/^ghcr\.io\//, '');
  const jitsiImages = JITSI_COMPONENTS.map((component) => `ghcr.io/jitsi/${component}`);

  // One lookup per distinct package, all at once.
  const lookups = new Map<string, () => Promise<string | string[]>>();
  const lookup = (key: string, run: () => Promise<string | string[]>) => {
    if (!lookups.has(key)) lookups.set(key, run);
    return key;
  };
  const sdkKeys = new Map(pins.sdk.map(({ package: name }) => [name, lookup(`npm:${name}`, () => npmLatest(client, npm, name))]));
  const tenSourcesKey = lookup(`github:${pins.tenSources.depName}`, () => githubTags(client, github, pins.tenSources.depName));
  const tenImageKeys = pins.tenImages.map((pin) => lookup(`ghcr:${pin.depName}`, () => ghcrTags(client, ghcr, repositoryOf(pin.depName))));
  const jitsiKeys = jitsiImages.map((image) => lookup(`ghcr:${image}`, () => ghcrTags(client, ghcr, repositoryOf(image))));
  const keys = [...lookups.keys()];
  const outcomes = await Promise.allSettled(keys.map((key) => lookups.get(key)!()));
  const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
  if (failures.length > 0) throw failureReport(failures, { npm, ghcr, github }, options.githubToken !== undefined);
  const settled = new Map(keys.map((key, index) => [key, (outcomes[index] as PromiseFulfilledResult<string | string[]>).value]));
  const value = <T extends string | string[]>(key: string) => settled.get(key) as T;

  const results: UpdateCheck[] = [];
  const tenRelease = (dependency: string, pin: VersionPin, tags: string[], registry: string, where: string): UpdateCheck => {
    const latest = newest(tags, tenKey);
    if (latest === undefined) throw new CliError(`${where}: ${pin.depName} has no x.y.z release tag among its ${tags.length} tags`);
    return {
      dependency,
      package: pin.depName,
      pinnedIn: `environments/versions.ts (${pin.constant})`,
      current: pin.value,
      latest,
      status: statusOf(pin.value, latest, semverKey),
      registry,
      ...(tags.includes(pin.value) ? {} : { note: `pinned tag ${pin.value} is not in the registry` }),
    };
  };
  results.push(tenRelease('TEN Framework', pins.tenSources, value<string[]>(tenSourcesKey), github, `GitHub API (${github})`));
  pins.tenImages.forEach((pin, index) => {
    results.push(tenRelease('TEN build image', pin, value<string[]>(tenImageKeys[index]!), ghcr, `GHCR (${ghcr})`));
  });

  {
    const pin = pins.jitsi;
    const stableTags = jitsiImages.map((image, index) => new Set(value<string[]>(jitsiKeys[index]!).filter((tag) => jitsiKey(tag) !== undefined)));
    const everywhere = [...stableTags[0]!].filter((tag) => stableTags.every((tags) => tags.has(tag)));
    const latest = newest(everywhere, jitsiKey);
    if (latest === undefined) throw new CliError(`GHCR (${ghcr}): no stable-NNNN tag is published for all of ${JITSI_COMPONENTS.join(', ')}`);
    const notes: string[] = [];
    const newestAnywhere = newest(stableTags.flatMap((tags) => [...tags]), jitsiKey);
    if (newestAnywhere !== undefined && newestAnywhere !== latest) {
      const missing = JITSI_COMPONENTS.filter((_, index) => !stableTags[index]!.has(newestAnywhere));
      notes.push(`${newestAnywhere} is not yet published for ${missing.join(', ')}`);
    }
    const lacking = JITSI_COMPONENTS.filter((_, index) => !stableTags[index]!.has(pin.value));
    if (lacking.length > 0) notes.push(`pinned tag ${pin.value} is not in the registry for ${lacking.join(', ')}`);
    results.push({
      dependency: 'Jitsi Meet',
      package: `ghcr.io/jitsi/{${JITSI_COMPONENTS.join(',')}}`,
      pinnedIn: `environments/versions.ts (${pin.constant})`,
      current: pin.value,
      latest,
      status: statusOf(pin.value, latest, jitsiKey),
      registry: ghcr,
      ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    });
  }

  for (const { file, package: name, version } of pins.sdk) {
    const latest = value<string>(sdkKeys.get(name)!);
    results.push({
      dependency: name,
      package: name,
      pinnedIn: file,
      current: version,
      latest,
      status: statusOf(version, latest, semverKey),
      registry: npm,
      ...(semverKey(version) === undefined ? { note: `${version} is not an exact version; renovate.json pins it` } : {}),
    });
  }
  return results;
}

/** One CliError for every failed lookup, grouped by registry and cause. */
function failureReport(failures: unknown[], registries: { npm: string; ghcr: string; github: string }, withGitHubToken: boolean): Error {
  const grouped = new Map<string, string[]>();
  for (const failure of failures) {
    if (!(failure instanceof RegistryError)) return failure instanceof Error ? failure : new Error(String(failure));
    const key = `${failure.registry}: ${failure.problem}`;
    grouped.set(key, [...(grouped.get(key) ?? []), failure.lookingUp]);
  }
  const lines = [...grouped].map(([problem, what]) => `  ${problem} (looking up ${what.join(', ')})`);
  return new CliError(
    [
      'check-updates could not reach every registry it needs, so it cannot tell what is up to date:',
      ...lines,
      `It needs HTTPS access to ${registries.npm}, ${registries.ghcr} and ${registries.github} (${withGitHubToken ? 'GitHub with GITHUB_TOKEN, the others without credentials' : 'no credentials'}); ` +
        `${NPM_REGISTRY_ENV}, ${GHCR_REGISTRY_ENV} and ${GITHUB_API_ENV} point it at mirrors.`,
    ].join('\n'),
  );
}

export interface CheckUpdatesCommandOptions {
  json?: boolean;
  exitCode?: boolean;
  timeout?: string;
  /** Open, update or close the updates issue (GITHUB_TOKEN, GITHUB_REPOSITORY). */
  syncIssue?: boolean;
}

/**
 * The command: prints the table (or JSON) on stdout, and with `syncIssue` what became of the
 * updates issue; returns the process exit code.
 */
export async function checkUpdatesCommand(options: CheckUpdatesCommandOptions, dependencies: CheckUpdatesOptions = {}): Promise<number> {
  const timeoutSeconds = Number(options.timeout ?? '15');
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new CliError(`--timeout must be a positive number of seconds, got "${options.timeout}"`);
  const env = dependencies.env ?? process.env;
  const root = dependencies.root ?? REPO_ROOT;
  // Before anything is sent: a missing token or repository is the first thing to say.
  const credentials = options.syncIssue === true ? githubCredentialsFromEnv(env) : undefined;
  const renovate = options.syncIssue === true ? readRenovateConfig(root) : undefined;
  const results = await checkUpdates({
    timeoutMs: timeoutSeconds * 1000,
    ...dependencies,
    env,
    root,
    ...(credentials !== undefined ? { githubToken: credentials.token } : {}),
  });
  const updates = results.filter((result) => result.status === 'update available').length;
  if (options.json !== true) process.stdout.write(formatUpdateTable(results));

  let issue: IssueOutcome | undefined;
  if (credentials !== undefined && renovate !== undefined) {
    const github = new GitHubIssues({
      ...credentials,
      apiBase: registryBase(dependencies.githubApi, env, GITHUB_API_ENV, DEFAULT_GITHUB_API),
      ...(dependencies.fetch !== undefined ? { fetch: dependencies.fetch } : {}),
      timeoutMs: timeoutSeconds * 1000,
    });
    const pins = readPins(root);
    const serverUrl = env['GITHUB_SERVER_URL'];
    const runId = env['GITHUB_RUN_ID'];
    issue = await syncUpdatesIssue(github, {
      results,
      renovate: results.map((result) => renovateCoverage(renovate, renovateDependency(result, pins))),
      renovateLimits: renovateLimits(renovate),
      checkedAt: new Date(),
      ...(serverUrl && runId ? { runUrl: `${serverUrl.replace(/\/+$/, '')}/${credentials.repository}/actions/runs/${runId}` } : {}),
    });
    if (options.json !== true) process.stdout.write(`\n${describeOutcome(issue)}\n`);
  }
  if (options.json === true) process.stdout.write(`${JSON.stringify({ updatesAvailable: updates, results, ...(issue !== undefined ? { issue } : {}) }, null, 2)}\n`);
  return options.exitCode === true && updates > 0 ? 3 : 0;
}
