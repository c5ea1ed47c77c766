import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Pipedream that speaks its wire protocol: the OAuth client-credentials
 * token endpoint, the Connect REST API the SDK calls (accounts, actions/run, tokens), and
 * HTTP-triggered workflow endpoints with scripted replies, delays and errors. It records every
 * request so tests can check what our server sent.
 */

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

/** How a workflow endpoint answers, like a workflow's `$.respond()` would. */
export interface WorkflowBehaviour {
  readonly status?: number;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly delayMs?: number;
  /** Further response headers (a Location with a 3xx status). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Answer like a workflow that never calls $.respond. */
  readonly noRespond?: boolean;
}

/** How a Connect action run answers. */
export interface ActionBehaviour {
  readonly status?: number;
  readonly ret?: unknown;
  readonly summary?: string;
  readonly delayMs?: number;
}

export interface FakePipedream {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly projectId: string;
  readonly requests: RecordedRequest[];
  /** Requests whose path starts with the prefix. */
  requestsTo(pathPrefix: string): RecordedRequest[];
  setWorkflow(name: string, behaviour: WorkflowBehaviour): void;
  setAction(key: string, behaviour: ActionBehaviour): void;
  /** Gives (or, with undefined, takes away) an end user's connected account for an app. */
  setAccount(externalUserId: string, app: string, accountId: string | undefined): void;
  close(): Promise<void>;
}

/** The OAuth client and project the fake knows: what the MCP server's PIPEDREAM_* variables must say. */
export const FAKE_PIPEDREAM_PROJECT = { clientId: 'client_fake', clientSecret: 'client-secret-of-the-fake', projectId: 'proj_fake123' } as const;

export interface FakePipedreamOptions {
  /** @default 0 (any free port) */
  readonly port?: number;
  /** The address to listen on; the smoke test's containers reach it on the Docker host's. @default 127.0.0.1 */
  readonly host?: string;
}

export async function startFakePipedream(options: FakePipedreamOptions = {}): Promise<FakePipedream> {
  const { clientId, clientSecret, projectId } = FAKE_PIPEDREAM_PROJECT;
  const requests: RecordedRequest[] = [];
  const workflows = new Map<string, WorkflowBehaviour>();
  const actions = new Map<string, ActionBehaviour>();
  const accounts = new Map<string, string>();
  const issuedTokens = new Set<string>();
  let tokenCounter = 0;

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const text = await readBody(req);
    let body: unknown = text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // keep the raw text
    }
    requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body });
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };

    if (req.method === 'POST' && url.pathname === '/v1/oauth/token') {
      const credentials = body as { client_id?: string; client_secret?: string; grant_type?: string } | undefined;
      if (credentials?.grant_type !== 'client_credentials' || credentials.client_id !== clientId || credentials.client_secret !== clientSecret) {
        return json(401, { error: 'invalid_client' });
      }
      const token = `pd-access-${(tokenCounter += 1)}`;
      issuedTokens.add(token);
      return json(200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
    }

    const workflow = /^\/workflows\/([\w-]+)$/.exec(url.pathname);
    if (workflow !== null) {
      const behaviour = workflows.get(workflow[1] ?? '') ?? { body: { echo: body } };
      if (behaviour.delayMs !== undefined) await sleep(behaviour.delayMs);
      if (behaviour.noRespond === true) return void res.writeHead(400, { 'content-type': 'text/plain' }).end('No $.respond called in workflow');
      const status = behaviour.status ?? 200;
      const payload = behaviour.body === undefined ? { echo: body } : behaviour.body;
      const contentType = behaviour.contentType ?? (typeof payload === 'string' ? 'text/plain' : 'application/json');
      return void res.writeHead(status, { 'content-type': contentType, ...behaviour.headers }).end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    }

    const connect = new RegExp(`^/v1/connect/${projectId}/(accounts|actions/run|tokens)$`).exec(url.pathname);
    if (connect !== null) {
      const authorization = req.headers.authorization ?? '';
      if (!issuedTokens.has(authorization.replace(/^Bearer /, ''))) return json(401, { error: 'invalid token' });
      if (req.headers['x-pd-environment'] === undefined) return json(400, { error: 'x-pd-environment header required' });
      const route = connect[1];
      if (route === 'accounts' && req.method === 'GET') {
        const user = url.searchParams.get('external_user_id') ?? '';
        const app = url.searchParams.get('app') ?? '';
        const id = accounts.get(`${user}\u0000${app}`);
        const data = id === undefined ? [] : [{ id, name: `${app} account`, external_id: user, healthy: true, dead: false }];
        return json(200, { data, page_info: { count: data.length, total_count: data.length } });
      }
      if (route === 'actions/run' && req.method === 'POST') {
        const run = body as { id?: string };
        const behaviour = actions.get(run.id ?? '') ?? {};
        if (behaviour.delayMs !== undefined) await sleep(behaviour.delayMs);
        if (behaviour.status !== undefined && behaviour.status >= 400) return json(behaviour.status, { error: 'action failed' });
        return json(200, { exports: { $summary: behaviour.summary ?? `ran ${run.id}` }, os: [], ret: behaviour.ret ?? { ok: true } });
      }
      if (route === 'tokens' && req.method === 'POST') {
        const token = `ctok_${(tokenCounter += 1)}`;
        return json(200, { token, expires_at: '2099-01-01T00:00:00Z', connect_link_url: `https://pipedream.com/_static/connect.html?token=${token}&connectLink=true` });
      }
    }
    json(404, { error: `no route ${req.method} ${url.pathname}` });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    clientId,
    clientSecret,
    projectId,
    requests,
    requestsTo: (prefix) => requests.filter((request) => request.path.startsWith(prefix)),
    setWorkflow: (name, behaviour) => void workflows.set(name, behaviour),
    setAction: (key, behaviour) => void actions.set(key, behaviour),
    setAccount: (user, app, id) => {
      const key = `${user}\u0000${app}`;
      if (id === undefined) accounts.delete(key);
      else accounts.set(key, id);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
