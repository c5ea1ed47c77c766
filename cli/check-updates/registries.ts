import { z } from 'zod';
import { zodIssuePath } from '../../constructs/index.ts';
import { describeNetworkError, isTimeout } from '../network-error.ts';

// The registries, read-only and anonymous: the npm registry, GHCR (Docker Registry v2 with an
// anonymous pull token) and GitHub's REST API.

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;


/** GitHub's largest page for list endpoints. */
const GITHUB_PAGE_SIZE = 100;

const TAGS_PAGE_SIZE = 1000;
/** Jitsi publishes a daily `unstable-YYYY-MM-DD` tag, so lists run to thousands; stop somewhere sane. */
const MAX_TAG_PAGES = 50;

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

export interface Client {
  fetch: Fetch;
  timeoutMs: number;
  /**
   * Sent to GitHub's REST API with the tag lookups when set (`--sync-issue` has GITHUB_TOKEN
   * anyway): GitHub then counts them against the token's rate limit, not the 60 anonymous
   * requests an hour of the address, which runners can share.
   * @default - anonymous
   */
  githubToken?: string;
}

/** Why a fetch threw, in words, as a registry's failure: `unreachable: <cause>` or the timeout. */
export function describeFetchFailure(error: unknown, timeoutMs: number): string {
  const reason = describeNetworkError(error, timeoutMs);
  return isTimeout(error) ? reason : `unreachable: ${reason}`;
}

export async function request(client: Client, registry: string, lookingUp: string, url: string, headers: Record<string, string>): Promise<Response> {
  try {
    return await client.fetch(url, { headers, redirect: 'follow', signal: AbortSignal.timeout(client.timeoutMs) });
  } catch (error) {
    throw new RegistryError(registry, describeFetchFailure(error, client.timeoutMs), lookingUp);
  }
}

export function httpFailure(response: Response, url: string): string {
  return `answered HTTP ${response.status}${response.statusText !== '' ? ` ${response.statusText}` : ''} for GET ${new URL(url).pathname}`;
}

export async function readJson<T>(client: Client, response: Response, schema: z.ZodType<T>, registry: string, lookingUp: string, url: string, what: string): Promise<T> {
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
    throw new RegistryError(registry, `answered GET ${new URL(url).pathname} with ${what} missing ${zodIssuePath(issue) ?? 'the expected fields'}`, lookingUp);
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
export function nextLink(header: string | null): string | undefined {
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
      ...(client.githubToken !== undefined ? { authorization: `Bearer ${client.githubToken}` } : {}),
    });
    if (response.status === 404) throw new RegistryError(registry, `has no repository ${repository} (HTTP 404)`, lookingUp);
    if ((response.status === 403 || response.status === 429) && response.headers.get('x-ratelimit-remaining') === '0') {
      const limit = response.headers.get('x-ratelimit-limit');
      const reset = Number(response.headers.get('x-ratelimit-reset'));
      const until = Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : '';
      const whose = client.githubToken !== undefined ? "GITHUB_TOKEN's rate limit" : 'its anonymous rate limit';
      throw new RegistryError(registry, `refused with HTTP ${response.status}: ${whose}${limit !== null ? ` (${limit} requests an hour)` : ''} is used up${until}`, lookingUp);
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
