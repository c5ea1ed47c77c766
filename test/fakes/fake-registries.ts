import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in, on 127.0.0.1, for the registries `check-updates` reads, speaking their
 * public, unauthenticated protocols:
 *
 * - the npm registry: `GET /<name>` (scoped names as `@scope%2fname` or `@scope/name`) answers the
 *   abbreviated packument (`application/vnd.npm.install-v1+json`: name, modified, dist-tags,
 *   versions) or `404 {"error":"Not found"}`;
 * - GHCR's Docker Registry v2 API: `GET /v2/<repo>/tags/list` without a token answers 401 with
 *   `WWW-Authenticate: Bearer realm="<base>/token",service="ghcr.io",scope="repository:<repo>:pull"`;
 *   `GET /token?scope=…&service=ghcr.io` hands out an anonymous token for that scope
 *   (`{"token": "…"}`); with it the tag list comes sorted, `n` per page (capped at `pageSize`,
 *   as registries cap it) after `last`, and a `Link: </v2/<repo>/tags/list?last=…&n=…>; rel="next"`
 *   header while more remain. Unknown repositories answer 404 `NAME_UNKNOWN`, a token for
 *   another repository 401, as the distribution spec describes;
 * - GitHub's REST API: `GET /repos/<owner>/<repo>/tags?per_page=&page=` answers the tag objects
 *   (`name`, `zipball_url`, `tarball_url`, `commit: {sha, url}`, `node_id`) in the order given,
 *   `per_page` (default 30) capped at `pageSize`, with GitHub's `Link` header pointing at
 *   `/repositories/<id>/tags?per_page=…&page=…` (`rel="next"`, `rel="last"`, later pages also
 *   `first` and `prev`), which is served too; `x-ratelimit-*` headers count down from
 *   `githubRateLimit`, and past it the answer is 403 with `x-ratelimit-remaining: 0`; an unknown
 *   repository answers 404 `{"message": "Not Found", …}`.
 *
 * `down` makes every answer a 503, to play an outage.
 */

export interface FakeRegistriesState {
  /** npm package name → dist-tags.latest and every published version. */
  npm: Record<string, { latest: string; versions: string[] }>;
  /** GHCR repository (`jitsi/web`) → its tags. */
  ghcr: Record<string, string[]>;
  /** GitHub repository (`owner/name`) → its git tags, in the order the API lists them. */
  github: Record<string, string[]>;
  /** Requests GitHub answers before its anonymous rate limit is used up. */
  githubRateLimit: number;
  /** Largest page a tag list serves, whatever `n` or `per_page` asks for. */
  pageSize: number;
  down: boolean;
}

export interface FakeRegistryRequest {
  readonly path: string;
  readonly query: Record<string, string>;
  readonly authorization: string | undefined;
  readonly status: number;
}

export interface FakeRegistries {
  /** Base URL for CHECK_UPDATES_NPM_REGISTRY, CHECK_UPDATES_GHCR_REGISTRY and CHECK_UPDATES_GITHUB_API. */
  readonly url: string;
  readonly state: FakeRegistriesState;
  readonly requests: FakeRegistryRequest[];
  close(): Promise<void>;
}

export async function startFakeRegistries(initial: Partial<FakeRegistriesState> = {}): Promise<FakeRegistries> {
  const state: FakeRegistriesState = { npm: {}, ghcr: {}, github: {}, githubRateLimit: 60, pageSize: 100, down: false, ...initial };
  const requests: FakeRegistryRequest[] = [];
  const tokens = new Map<string, string>();
  let base = '';
  let githubRequests = 0;
  /** GitHub's Link headers name repositories by numeric id. */
  const githubIds = () => new Map(Object.keys(state.github).map((repository, index) => [repository, 1000 + index]));
  const sha = (text: string) => createHash('sha1').update(text).digest('hex');

  const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
    return status;
  };

  const handle = (request: IncomingMessage, response: ServerResponse): number => {
    const url = new URL(request.url ?? '/', base);
    if (state.down) return send(response, 503, { error: 'Service Unavailable' });
    if (request.method !== 'GET') return send(response, 405, { error: 'Method Not Allowed' });

    if (url.pathname === '/token') {
      const scope = url.searchParams.get('scope') ?? '';
      const repository = /^repository:([^:]+):pull$/.exec(scope)?.[1];
      if (repository === undefined || url.searchParams.get('service') !== 'ghcr.io') {
        return send(response, 400, { errors: [{ code: 'UNSUPPORTED', message: 'bad scope or service' }] });
      }
      const token = randomBytes(18).toString('base64url');
      tokens.set(token, repository);
      return send(response, 200, { token });
    }

    const tagsList = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    if (tagsList) {
      const repository = tagsList[1]!;
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (token === undefined || tokens.get(token) !== repository) {
        return send(
          response,
          401,
          { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
          { 'www-authenticate': `Bearer realm="${base}/token",service="ghcr.io",scope="repository:${repository}:pull"` },
        );
      }
      const all = state.ghcr[repository];
      if (all === undefined) return send(response, 404, { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] });
      const sorted = [...all].sort();
      const n = Math.min(Number(url.searchParams.get('n') ?? state.pageSize) || state.pageSize, state.pageSize);
      const last = url.searchParams.get('last');
      const start = last === null ? 0 : sorted.findIndex((tag) => tag > last);
      const page = start < 0 ? [] : sorted.slice(start, start + n);
      const more = start >= 0 && start + n < sorted.length;
      const headers: Record<string, string> = more
        ? { link: `</v2/${repository}/tags/list?last=${encodeURIComponent(page[page.length - 1]!)}&n=${n}>; rel="next"` }
        : {};
      return send(response, 200, { name: repository, tags: page }, headers);
    }

    const githubTags = /^\/repos\/([^/]+\/[^/]+)\/tags$/.exec(url.pathname) ?? /^\/repositories\/(\d+)\/tags$/.exec(url.pathname);
    if (githubTags) {
      const ids = githubIds();
      const repository = /^\d+$/.test(githubTags[1]!) ? [...ids].find(([, id]) => String(id) === githubTags[1])?.[0] : githubTags[1]!;
      githubRequests++;
      const remaining = Math.max(0, state.githubRateLimit - githubRequests);
      const reset = String(Math.floor(Date.now() / 1000) + 3600);
      const limits = { 'x-ratelimit-limit': String(state.githubRateLimit), 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': reset };
      if (githubRequests > state.githubRateLimit) {
        return send(
          response,
          403,
          { message: 'API rate limit exceeded for 127.0.0.1.', documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting' },
          { ...limits, 'x-ratelimit-remaining': '0' },
        );
      }
      const all = repository === undefined ? undefined : state.github[repository];
      if (all === undefined) return send(response, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/repos/repos#list-repository-tags', status: '404' }, limits);
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30) || 30, 100, state.pageSize);
      const pageNumber = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
      const last = Math.max(1, Math.ceil(all.length / perPage));
      const link = (page: number, rel: string) => `<${base}/repositories/${ids.get(repository!)}/tags?per_page=${perPage}&page=${page}>; rel="${rel}"`;
      const links = [
        ...(pageNumber > 1 ? [link(pageNumber - 1, 'prev')] : []),
        ...(pageNumber < last ? [link(pageNumber + 1, 'next'), link(last, 'last')] : []),
        ...(pageNumber > 1 ? [link(1, 'first')] : []),
      ];
      const page = all.slice((pageNumber - 1) * perPage, pageNumber * perPage).map((name) => ({
        name,
        zipball_url: `${base}/repos/${repository}/zipball/refs/tags/${name}`,
        tarball_url: `${base}/repos/${repository}/tarball/refs/tags/${name}`,
        commit: { sha: sha(`${repository}@${name}`), url: `${base}/repos/${repository}/commits/${sha(`${repository}@${name}`)}` },
        node_id: Buffer.from(`tag:${repository}:${name}`).toString('base64'),
      }));
      return send(response, 200, page, { ...limits, ...(links.length > 0 ? { link: links.join(', ') } : {}) });
    }

    const name = decodeURIComponent(url.pathname.slice(1));
    const pkg = state.npm[name];
    if (pkg === undefined) return send(response, 404, { error: 'Not found' });
    return send(
      response,
      200,
      {
        name,
        modified: '2026-01-01T00:00:00.000Z',
        'dist-tags': { latest: pkg.latest },
        versions: Object.fromEntries(pkg.versions.map((version) => [version, { name, version, dist: { tarball: `${base}/${name}/-/${version}.tgz` } }])),
      },
      { 'content-type': 'application/vnd.npm.install-v1+json' },
    );
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const status = handle(request, response);
    requests.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), authorization: request.headers.authorization, status });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    state,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
