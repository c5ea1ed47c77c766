import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in, on 127.0.0.1, for the two registries `check-updates` reads, speaking their
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
 *   another repository 401, as the distribution spec describes.
 *
 * `down` makes every answer a 503, to play an outage.
 */

export interface FakeRegistriesState {
  /** npm package name → dist-tags.latest and every published version. */
  npm: Record<string, { latest: string; versions: string[] }>;
  /** GHCR repository (`jitsi/web`) → its tags. */
  ghcr: Record<string, string[]>;
  /** Largest page the tag list serves, whatever `n` asks for. */
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
  /** Base URL for both CHECK_UPDATES_NPM_REGISTRY and CHECK_UPDATES_GHCR_REGISTRY. */
  readonly url: string;
  readonly state: FakeRegistriesState;
  readonly requests: FakeRegistryRequest[];
  close(): Promise<void>;
}

export async function startFakeRegistries(initial: Partial<FakeRegistriesState> = {}): Promise<FakeRegistries> {
  const state: FakeRegistriesState = { npm: {}, ghcr: {}, pageSize: 100, down: false, ...initial };
  const requests: FakeRegistryRequest[] = [];
  const tokens = new Map<string, string>();
  let base = '';

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
