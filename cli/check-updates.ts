import { execFileSync } from 'node:child_process';
import { describeNetworkError } from './network-error.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { CliError } from './cli-error.ts';

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
 */

export const DEFAULT_GHCR_REGISTRY = 'https://ghcr.io';
export const DEFAULT_GITHUB_API = 'https://api.github.com';
export const NPM_REGISTRY_ENV = 'CHECK_UPDATES_NPM_REGISTRY';
export const GHCR_REGISTRY_ENV = 'CHECK_UPDATES_GHCR_REGISTRY';
export const GITHUB_API_ENV = 'CHECK_UPDATES_GITHUB_API';

const MCP_SDK = '@modelcontextprotocol/sdk';
/** The repository whose git tags the agent image builds from (TEN_VERSION in versions.ts). */
export const TEN_SOURCES = 'TEN-framework/ten-framework';
/** GitHub's largest page for list endpoints. */
const GITHUB_PAGE_SIZE = 100;
/** The Jitsi components the stack runs (constructs/jitsi-meet.ts), all at JITSI_VERSION. */
export const JITSI_COMPONENTS = ['web', 'prosody', 'jicofo', 'jvb'] as const;
const TAGS_PAGE_SIZE = 1000;
/** Jitsi publishes a daily `unstable-YYYY-MM-DD` tag, so lists run to thousands; stop somewhere sane. */
const MAX_TAG_PAGES = 50;

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

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
  env?: NodeJS.ProcessEnv;
}

export type UpdateStatus = 'up to date' | 'update available' | 'newer than registry';

export interface UpdateCheck {
  /** What is pinned: `TEN Framework`, `TEN build image`, `Jitsi Meet`, `@modelcontextprotocol/sdk`. */
  dependency: string;
  /** Git repository, image repository or npm package name(s) looked up. */
  package: string;
  /** File holding the pin, relative to the repository root. */
  pinnedIn: string;
  current: string;
  latest: string;
  status: UpdateStatus;
  /** Registry base URL asked. */
  registry: string;
  note?: string;
}

// ---------------------------------------------------------------------------------------------
// The pins.

interface VersionPin {
  constant: string;
  datasource: string;
  depName: string;
  value: string;
}

/** `// renovate: datasource=<datasource> depName=<name>` followed by `export const NAME = '<value>';`. */
function versionPins(source: string): VersionPin[] {
  const lines = source.split('\n');
  return lines.flatMap((line, index) => {
    const comment = /^\/\/ renovate: datasource=(\S+) depName=(\S+)/.exec(line);
    const constant = /^export const (\w+) = '([^']+)';/.exec(lines[index + 1] ?? '');
    if (!comment || !constant) return [];
    return [{ constant: constant[1]!, datasource: comment[1]!, depName: comment[2]!, value: constant[2]!.split('@')[0]! }];
  });
}

interface Pins {
  tenSources: VersionPin;
  tenImages: VersionPin[];
  jitsi: VersionPin;
  sdk: { file: string; version: string }[];
}

function readPins(root: string): Pins {
  const versionsFile = join(root, 'environments', 'versions.ts');
  const pins = versionPins(readFileSync(versionsFile, 'utf8'));
  const tenSources = pins.filter((pin) => pin.datasource === 'github-tags' && pin.depName === TEN_SOURCES);
  const tenImages = pins.filter((pin) => pin.datasource === 'docker' && pin.depName.startsWith('ghcr.io/ten-framework/'));
  const jitsi = pins.filter((pin) => pin.depName.startsWith('ghcr.io/jitsi/'));
  if (tenSources.length !== 1) {
    throw new CliError(`environments/versions.ts must pin TEN's sources exactly once (datasource=github-tags depName=${TEN_SOURCES}), found ${tenSources.length}`);
  }
  if (tenImages.length === 0) throw new CliError('environments/versions.ts pins no TEN build image (ghcr.io/ten-framework/…)');
  if (jitsi.length !== 1) throw new CliError(`environments/versions.ts must pin Jitsi exactly once (ghcr.io/jitsi/…), found ${jitsi.length}`);
  const sdk = readdirSync(join(root, 'services'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `services/${entry.name}/package.json`)
    .sort()
    .flatMap((file) => {
      let manifest: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      try {
        manifest = JSON.parse(readFileSync(join(root, file), 'utf8')) as typeof manifest;
      } catch {
        return [];
      }
      const version = manifest.dependencies?.[MCP_SDK] ?? manifest.devDependencies?.[MCP_SDK];
      return version === undefined ? [] : [{ file, version }];
    });
  if (sdk.length === 0) throw new CliError(`no services/*/package.json depends on ${MCP_SDK}`);
  return { tenSources: tenSources[0]!, tenImages, jitsi: jitsi[0]!, sdk };
}

// ---------------------------------------------------------------------------------------------
// Versions.

type Key = number[];

function compareKeys(a: Key, b: Key): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** `x.y.z` (a prerelease `x.y.z-…` sorts before `x.y.z`); undefined for anything else. */
function semverKey(version: string): Key | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3]), match[4] === undefined ? 1 : 0] : undefined;
}

/** TEN release tags: exactly `x.y.z`. */
function tenKey(tag: string): Key | undefined {
  return /^\d+\.\d+\.\d+$/.test(tag) ? semverKey(tag) : undefined;
}

/** Jitsi release tags: `stable-NNNN` and its respins `stable-NNNN-N`. */
function jitsiKey(tag: string): Key | undefined {
  const match = /^stable-(\d+)(?:-(\d+))?$/.exec(tag);
  return match ? [Number(match[1]), Number(match[2] ?? 0)] : undefined;
}

function newest(tags: Iterable<string>, key: (tag: string) => Key | undefined): string | undefined {
  let best: { tag: string; key: Key } | undefined;
  for (const tag of tags) {
    const candidate = key(tag);
    if (candidate !== undefined && (best === undefined || compareKeys(candidate, best.key) > 0)) best = { tag, key: candidate };
  }
  return best?.tag;
}

function statusOf(current: string, latest: string, key: (version: string) => Key | undefined): UpdateStatus {
  const currentKey = key(current);
  const latestKey = key(latest);
  if (currentKey === undefined || latestKey === undefined) return current === latest ? 'up to date' : 'update available';
  const order = compareKeys(latestKey, currentKey);
  return order > 0 ? 'update available' : order === 0 ? 'up to date' : 'newer than registry';
}

// ---------------------------------------------------------------------------------------------
// Registries.

/** A registry that could not answer, with the registry and the cause in the message. */
export class RegistryError extends Error {
  constructor(
    readonly registry: string,
    readonly problem: string,
    readonly lookingUp: string,
  ) {
    super(`${registry}: ${problem} (looking up ${lookingUp})`);
    this.name = 'RegistryError';
  }
}

interface Client {
  fetch: Fetch;
  timeoutMs: number;
}

/** Why a fetch threw, in words, as a registry's failure: `unreachable: <cause>` or the timeout. */
export function describeFetchFailure(error: unknown, timeoutMs: number): string {
  const reason = describeNetworkError(error, timeoutMs);
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError') ? reason : `unreachable: ${reason}`;
}

async function request(client: Client, registry: string, lookingUp: string, url: string, headers: Record<string, string>): Promise<Response> {
  try {
    return await client.fetch(url, { headers, redirect: 'follow', signal: AbortSignal.timeout(client.timeoutMs) });
  } catch (error) {
    throw new RegistryError(registry, describeFetchFailure(error, client.timeoutMs), lookingUp);
  }
}

function httpFailure(response: Response, url: string): string {
  return `answered HTTP ${response.status}${response.statusText !== '' ? ` ${response.statusText}` : ''} for GET ${new URL(url).pathname}`;
}

async function readJson<T>(client: Client, response: Response, schema: z.ZodType<T>, registry: string, lookingUp: string, url: string, what: string): Promise<T> {
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new RegistryError(registry, describeFetchFailure(error, client.timeoutMs), lookingUp);
    }
    throw new RegistryError(registry, `answered GET ${new URL(url).pathname} with something that is not JSON`, lookingUp);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RegistryError(registry, `answered GET ${new URL(url).pathname} with ${what} missing ${issue?.path.join('.') || 'the expected fields'}`, lookingUp);
  }
  return parsed.data;
}

const Packument = z.object({ 'dist-tags': z.object({ latest: z.string().min(1) }) });

/** `dist-tags.latest` of an npm package. */
export async function npmLatest(client: Client, registryBase: string, name: string): Promise<string> {
  const registry = `npm registry (${registryBase})`;
  const url = `${registryBase.replace(/\/+$/, '')}/${name.replace('/', '%2f')}`;
  const response = await request(client, registry, name, url, {
    // The abbreviated packument: dist-tags and versions without the READMEs.
    accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8',
  });
  if (response.status === 404) throw new RegistryError(registry, `has no package ${name} (HTTP 404)`, name);
  if (!response.ok) throw new RegistryError(registry, httpFailure(response, url), name);
  const packument = await readJson(client, response, Packument, registry, name, url, 'a packument');
  return packument['dist-tags'].latest;
}

const TokenAnswer = z.union([z.object({ token: z.string().min(1) }), z.object({ access_token: z.string().min(1) })]);
const TagList = z.object({ tags: z.array(z.string()).nullable().optional() });

/** `Bearer realm="…",service="…",scope="…"` → its parameters. */
function parseChallenge(header: string | null): Record<string, string> | undefined {
  if (header === null || !/^bearer\s/i.test(header.trim())) return undefined;
  const parameters: Record<string, string> = {};
  for (const [, key = '', quoted, bare] of header.trim().slice(6).matchAll(/([a-zA-Z_]+)=(?:"([^"]*)"|([^,\s]+))/g)) {
    parameters[key.toLowerCase()] = quoted ?? bare ?? '';
  }
  return parameters;
}

/** `<url>; rel="next"` of a Link header. */
function nextLink(header: string | null): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(',')) {
    const match = /<([^>]+)>\s*;(?:.*;)?\s*rel="?next"?/i.exec(part.trim());
    if (match) return match[1];
  }
  return undefined;
}

/** Every tag of a GHCR repository (`jitsi/web`), anonymously. */
export async function ghcrTags(client: Client, registryBase: string, repository: string): Promise<string[]> {
  const registry = `GHCR (${registryBase})`;
  const lookingUp = `tags of ${repository}`;
  const base = registryBase.replace(/\/+$/, '');
  let url = `${base}/v2/${repository}/tags/list?n=${TAGS_PAGE_SIZE}`;
  let token: string | undefined;
  const tags: string[] = [];
  for (let page = 0; page < MAX_TAG_PAGES; page++) {
    const get = () => request(client, registry, lookingUp, url, { accept: 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) });
    let response = await get();
    if (response.status === 401 && token === undefined) {
      token = await anonymousToken(client, registry, lookingUp, base, repository, response.headers.get('www-authenticate'));
      response = await get();
    }
    if (response.status === 404) throw new RegistryError(registry, `has no repository ${repository} (HTTP 404)`, lookingUp);
    if (!response.ok) throw new RegistryError(registry, httpFailure(response, url), lookingUp);
    const list = await readJson(client, response, TagList, registry, lookingUp, url, 'a tag list');
    tags.push(...(list.tags ?? []));
    const next = nextLink(response.headers.get('link'));
    if (next === undefined) return tags;
    url = new URL(next, url).href;
  }
  throw new RegistryError(registry, `kept paginating past ${MAX_TAG_PAGES * TAGS_PAGE_SIZE} tags`, lookingUp);
}

const GitHubTagPage = z.array(z.object({ name: z.string().min(1) }));

/** Every git tag of a GitHub repository (`owner/name`), anonymously, through GitHub's REST API. */
export async function githubTags(client: Client, apiBase: string, repository: string): Promise<string[]> {
  const registry = `GitHub API (${apiBase})`;
  const lookingUp = `tags of ${repository}`;
  let url = `${apiBase.replace(/\/+$/, '')}/repos/${repository}/tags?per_page=${GITHUB_PAGE_SIZE}`;
  const tags: string[] = [];
  for (let page = 0; page < MAX_TAG_PAGES; page++) {
    const response = await request(client, registry, lookingUp, url, {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      // GitHub refuses API requests without a User-Agent.
      'user-agent': 'voice-agent-check-updates',
    });
    if (response.status === 404) throw new RegistryError(registry, `has no repository ${repository} (HTTP 404)`, lookingUp);
    if ((response.status === 403 || response.status === 429) && response.headers.get('x-ratelimit-remaining') === '0') {
      const limit = response.headers.get('x-ratelimit-limit');
      const reset = Number(response.headers.get('x-ratelimit-reset'));
      const until = Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : '';
      throw new RegistryError(registry, `refused with HTTP ${response.status}: its anonymous rate limit${limit !== null ? ` (${limit} requests an hour)` : ''} is used up${until}`, lookingUp);
    }
    if (!response.ok) throw new RegistryError(registry, httpFailure(response, url), lookingUp);
    const list = await readJson(client, response, GitHubTagPage, registry, lookingUp, url, 'a tag list');
    tags.push(...list.map((tag) => tag.name));
    const next = nextLink(response.headers.get('link'));
    if (next === undefined) return tags;
    url = new URL(next, url).href;
  }
  throw new RegistryError(registry, `kept paginating past ${MAX_TAG_PAGES * GITHUB_PAGE_SIZE} tags`, lookingUp);
}

async function anonymousToken(client: Client, registry: string, lookingUp: string, base: string, repository: string, challengeHeader: string | null): Promise<string> {
  const challenge = parseChallenge(challengeHeader);
  if (challenge === undefined) throw new RegistryError(registry, 'answered HTTP 401 without a Bearer challenge (is the image private?)', lookingUp);
  let realm: URL;
  try {
    realm = new URL(challenge.realm ?? `${base}/token`, base);
  } catch {
    throw new RegistryError(registry, `answered HTTP 401 with an unusable token realm "${challenge.realm}"`, lookingUp);
  }
  if (challenge.service !== undefined) realm.searchParams.set('service', challenge.service);
  realm.searchParams.set('scope', challenge.scope ?? `repository:${repository}:pull`);
  const response = await request(client, registry, lookingUp, realm.href, { accept: 'application/json' });
  if (!response.ok) throw new RegistryError(registry, `refused an anonymous pull token: ${httpFailure(response, realm.href)}`, lookingUp);
  const answer = await readJson(client, response, TokenAnswer, registry, lookingUp, realm.href, 'a token answer');
  return 'token' in answer ? answer.token : answer.access_token;
}

// ---------------------------------------------------------------------------------------------
// The check.

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
  const client: Client = { fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)), timeoutMs: options.timeoutMs ?? 15_000 };
  const pins = readPins(root);
  const repositoryOf = (image: string) => image.replace(/^ghcr\.io\//, '');
  const jitsiImages = JITSI_COMPONENTS.map((component) => `ghcr.io/jitsi/${component}`);

  // One lookup per distinct package, all at once.
  const lookups = new Map<string, () => Promise<string | string[]>>();
  const lookup = (key: string, run: () => Promise<string | string[]>) => {
    if (!lookups.has(key)) lookups.set(key, run);
    return key;
  };
  const sdkKey = lookup(`npm:${MCP_SDK}`, () => npmLatest(client, npm, MCP_SDK));
  const tenSourcesKey = lookup(`github:${pins.tenSources.depName}`, () => githubTags(client, github, pins.tenSources.depName));
  const tenImageKeys = pins.tenImages.map((pin) => lookup(`ghcr:${pin.depName}`, () => ghcrTags(client, ghcr, repositoryOf(pin.depName))));
  const jitsiKeys = jitsiImages.map((image) => lookup(`ghcr:${image}`, () => ghcrTags(client, ghcr, repositoryOf(image))));
  const keys = [...lookups.keys()];
  const outcomes = await Promise.allSettled(keys.map((key) => lookups.get(key)!()));
  const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
  if (failures.length > 0) throw failureReport(failures, { npm, ghcr, github });
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

  const sdkLatest = value<string>(sdkKey);
  for (const { file, version } of pins.sdk) {
    results.push({
      dependency: MCP_SDK,
      package: MCP_SDK,
      pinnedIn: file,
      current: version,
      latest: sdkLatest,
      status: statusOf(version, sdkLatest, semverKey),
      registry: npm,
      ...(semverKey(version) === undefined ? { note: `${version} is not an exact version; renovate.json pins it` } : {}),
    });
  }
  return results;
}

/** One CliError for every failed lookup, grouped by registry and cause. */
function failureReport(failures: unknown[], registries: { npm: string; ghcr: string; github: string }): Error {
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
      `It needs HTTPS access to ${registries.npm}, ${registries.ghcr} and ${registries.github} (no credentials); ` +
        `${NPM_REGISTRY_ENV}, ${GHCR_REGISTRY_ENV} and ${GITHUB_API_ENV} point it at mirrors.`,
    ].join('\n'),
  );
}

// ---------------------------------------------------------------------------------------------
// Output.

export function formatUpdateTable(results: UpdateCheck[]): string {
  const headers = ['dependency', 'pinned in', 'current', 'latest', 'status'];
  const rows = results.map((result) => [result.dependency, result.pinnedIn, result.current, result.latest, result.status]);
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
  const notes = results.flatMap((result) => (result.note !== undefined ? [`note: ${result.dependency} (${result.pinnedIn}): ${result.note}`] : []));
  const registries = [...new Set(results.map((result) => result.registry))];
  return [
    line(headers),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
    ...(notes.length > 0 ? ['', ...notes] : []),
    '',
    `registries: ${registries.join(', ')}`,
    '',
  ].join('\n');
}

export interface CheckUpdatesCommandOptions {
  json?: boolean;
  exitCode?: boolean;
  timeout?: string;
}

/** The command: prints the table (or JSON) on stdout; returns the process exit code. */
export async function checkUpdatesCommand(options: CheckUpdatesCommandOptions, dependencies: CheckUpdatesOptions = {}): Promise<number> {
  const timeoutSeconds = Number(options.timeout ?? '15');
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new CliError(`--timeout must be a positive number of seconds, got "${options.timeout}"`);
  const results = await checkUpdates({ timeoutMs: timeoutSeconds * 1000, ...dependencies });
  const updates = results.filter((result) => result.status === 'update available').length;
  process.stdout.write(options.json === true ? `${JSON.stringify({ updatesAvailable: updates, results }, null, 2)}\n` : formatUpdateTable(results));
  return options.exitCode === true && updates > 0 ? 3 : 0;
}
