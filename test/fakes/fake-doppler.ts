import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the parts of Doppler's API the CLI uses, on 127.0.0.1:
 * `GET /v3/configs/config/secrets/download?project=&config=&format=json` with
 * `Authorization: Bearer <token>`. Like the real API it answers errors as
 * `{"messages": [...], "success": false}`: 401 for a missing or unknown token, 403 when a service
 * token asks for another config than its own, 400 for a format it does not speak, 404 elsewhere.
 * A success is the flat object `doppler secrets download --format json` prints, including the
 * DOPPLER_PROJECT, DOPPLER_CONFIG and DOPPLER_ENVIRONMENT entries Doppler adds.
 */

/** One config and the service token that reads it. */
export interface FakeDopplerConfig {
  readonly project: string;
  readonly config: string;
  readonly token: string;
  /** Name → value. Tests replace it between requests. */
  secrets: Record<string, string>;
}

/** A request as the fake saw it (the Authorization header included, for assertions). */
export interface FakeDopplerRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly authorization: string | undefined;
}

export interface FakeDoppler {
  /** Base URL for DOPPLER_API_URL, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  readonly configs: FakeDopplerConfig[];
  readonly requests: FakeDopplerRequest[];
  close(): Promise<void>;
}

export async function startFakeDoppler(configs: FakeDopplerConfig[]): Promise<FakeDoppler> {
  const requests: FakeDopplerRequest[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    requests.push({
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: request.headers.authorization,
    });
    handle(configs, request, url, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    configs,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

function handle(configs: FakeDopplerConfig[], request: IncomingMessage, url: URL, response: ServerResponse): void {
  if (request.method !== 'GET' || url.pathname !== '/v3/configs/config/secrets/download') {
    return send(response, 404, { messages: ['Not Found'], success: false });
  }
  const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
  const config = configs.find((candidate) => candidate.token === match?.[1]);
  if (config === undefined) return send(response, 401, { messages: ['Invalid Auth token'], success: false });
  // A service token is scoped to one config; project and config may be left out.
  const project = url.searchParams.get('project') || config.project;
  const name = url.searchParams.get('config') || config.config;
  if (project !== config.project || name !== config.config) {
    return send(response, 403, { messages: ['This token does not have access to the requested config'], success: false });
  }
  const format = url.searchParams.get('format') ?? 'json';
  if (format !== 'json') return send(response, 400, { messages: [`Unsupported format: ${format}`], success: false });
  send(response, 200, {
    ...config.secrets,
    DOPPLER_PROJECT: config.project,
    DOPPLER_CONFIG: config.config,
    DOPPLER_ENVIRONMENT: config.config.split('_')[0],
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}
