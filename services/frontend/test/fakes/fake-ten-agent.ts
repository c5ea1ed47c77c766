import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the TEN agent server (`ai_agents/server`, Go + gin) that speaks its HTTP API
 * the way the real one does. Everything below was checked against the Go source
 * (TEN-framework/ten-framework `ai_agents/server/internal/{http_server.go,code.go,config.go,
 * worker_common.go,worker_linux.go}`, `ai_agents/server/main.go`, and the CORS middleware in
 * `internal/middleware.go` of TEN-framework/TEN-Agent, the same server's earlier home):
 *
 * - Envelope: `{"code":"…","data":…,"msg":"…"}`; `code` is a string; "0" is success, with
 *   msg "ok" for `GET /` and `/health` and "success" for everything else.
 * - **Errors come back as HTTP 200.** The handlers call `s.output(c, codeErrX, http.StatusBadRequest)`,
 *   but `output`'s signature is `(c, code, data any, httpStatus ...int)`, so the intended status lands
 *   in `data` and gin answers 200: e.g. `200 {"code":"10001","data":429,"msg":"workers limit"}`.
 *   A client must look at `code`, never at the HTTP status. This fake does exactly the same.
 * - `GET /list` answers `len(workers)` `null`s followed by the workers (the Go code `make`s a slice of
 *   that length and then `append`s), e.g. `[null,{"channelName":"a","createTs":1700000000}]`.
 * - `timeout` is honoured only when > 0; anything else (0, absent, and also -1) means the server's
 *   WORKER_QUIT_TIMEOUT_SECONDS (default 60 here). The reaper skips -1 workers, but the request path
 *   never stores -1, so `"timeout": -1` does NOT mean "never" on the real server.
 * - An unknown graph fails inside processProperty: `10100 "process property json failed"` (data 500).
 * - Validation order in /start: JSON bind (10000) → blank channel (10004) → workers limit (10001) →
 *   channel existed (10003) → per-graph limit for graph names containing "gemini" (10001) →
 *   graph / channel-name processing (10100).
 * - Unknown routes (and wrong methods: gin's HandleMethodNotAllowed is off) are
 *   `404 text/plain "404 page not found"`; a trailing slash on a known GET route is a 301 to the
 *   route without it (307 for other methods), as gin's RedirectTrailingSlash does.
 * - CORS is wide open on every response; any OPTIONS request is answered 204 with no body.
 *
 * Deliberate differences from the real server (kept small, and named here):
 * - An empty `graph_name` is rejected with 10100. The real processProperty logs "graph_name is
 *   mandatory" but returns a nil error, so the real server goes on to spawn a worker without a
 *   property file (`success`, then a worker that lives or dies depending on the app's defaults).
 * - Expiry is exact: a worker disappears `timeout` seconds after its last /start or /ping. The real
 *   reaper wakes every 5 s and compares whole Unix seconds (`updateTs + timeout < now`), so a real
 *   worker goes somewhere between timeout+1 and timeout+6 seconds after its last ping.
 * - No processes, tokens or property files: a worker is an entry in `workers`.
 */

/** The real server's codes (code.go): the string code and msg that go into the envelope. */
export const TEN_CODES = {
  ok: { code: '0', msg: 'ok' },
  success: { code: '0', msg: 'success' },
  paramsInvalid: { code: '10000', msg: 'params invalid' },
  workersLimit: { code: '10001', msg: 'workers limit' },
  channelNotExisted: { code: '10002', msg: 'channel not existed' },
  channelExisted: { code: '10003', msg: 'channel existed' },
  channelEmpty: { code: '10004', msg: 'channel empty' },
  generateTokenFailed: { code: '10005', msg: 'generate token failed' },
  saveFileFailed: { code: '10006', msg: 'save file failed' },
  parseJsonFailed: { code: '10007', msg: 'parse json failed' },
  processPropertyFailed: { code: '10100', msg: 'process property json failed' },
  startWorkerFailed: { code: '10101', msg: 'start worker failed' },
  stopWorkerFailed: { code: '10102', msg: 'stop worker failed' },
} as const;

export type TenCode = (typeof TEN_CODES)[keyof typeof TEN_CODES];

/** The body of `POST /start` (StartReq in http_server.go), as it arrives on the wire. */
export interface TenStartRequest {
  request_id?: string;
  channel_name?: string;
  graph_name?: string;
  /** uint32; becomes agora_rtc.remote_stream_id. */
  user_uid?: number;
  /** uint32; becomes agora_rtc.stream_id. */
  bot_uid?: number;
  token?: string;
  worker_http_server_port?: number;
  /** `{nodeName: {property: value}}`, merged into that node's `property`. */
  properties?: Record<string, Record<string, unknown> | null> | null;
  /** Seconds without a /ping before the worker is killed; only values > 0 are honoured. */
  timeout?: number;
  /** Ignored by the real server (security); recorded here for completeness. */
  tenapp_dir?: string;
}

/** The body of `POST /stop` and `POST /ping`. */
export interface TenChannelRequest {
  request_id?: string;
  channel_name?: string;
}

export interface FakeTenWorker {
  readonly channelName: string;
  readonly graphName: string;
  readonly requestId: string;
  /** Unix seconds, as the real `/list` reports it. */
  readonly createTs: number;
  /** Unix seconds of the last /start or /ping. */
  updateTs: number;
  /** The timeout actually applied (the request's when > 0, else the server default). */
  readonly quitTimeoutSeconds: number;
  /** The /start body as decoded (unknown fields dropped). */
  readonly startRequest: Readonly<TenStartRequest>;
}

export interface RecordedTenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingMessage['headers'];
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  readonly body: unknown;
  readonly rawBody: string;
}

export interface FakeTenGraph {
  readonly name: string;
  readonly auto_start?: boolean;
}

export interface FakeTenAgentOptions {
  /** Graph names in the agent's property.json (predefined_graphs). Default: ['voice_assistant']. */
  graphs?: ReadonlyArray<string | FakeTenGraph>;
  /** WORKERS_MAX (must be > 0, as the real server exits otherwise). Default 100. */
  workersMax?: number;
  /** WORKER_QUIT_TIMEOUT_SECONDS, used when a /start has no positive `timeout`. Default 60. */
  workerQuitTimeoutSeconds?: number;
  /** MAX_GEMINI_WORKER_COUNT: workers per graph whose name contains "gemini". Default 3. */
  maxGeminiWorkers?: number;
}

export interface FakeTenAgent {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  /** Every request received, in order (OPTIONS and 404s included). */
  readonly requests: RecordedTenRequest[];
  /** Running workers by channel name. */
  readonly workers: ReadonlyMap<string, FakeTenWorker>;
  /** Forgets all workers (cancelling their timers) and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

type FieldKind = 'string' | 'uint32' | 'int32' | 'int' | 'properties';

const START_FIELDS: Record<string, FieldKind> = {
  request_id: 'string',
  channel_name: 'string',
  graph_name: 'string',
  user_uid: 'uint32',
  bot_uid: 'uint32',
  token: 'string',
  worker_http_server_port: 'int32',
  properties: 'properties',
  timeout: 'int',
  tenapp_dir: 'string',
};

const CHANNEL_FIELDS: Record<string, FieldKind> = {
  request_id: 'string',
  channel_name: 'string',
};

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': '*',
  'access-control-allow-headers': '*',
  'access-control-expose-headers': '*',
  'access-control-allow-credentials': 'true',
} as const;

const GET_ROUTES = new Set(['/', '/health', '/list', '/graphs']);
const POST_ROUTES = new Set(['/start', '/stop', '/ping']);

interface WorkerEntry extends FakeTenWorker {
  timer: NodeJS.Timeout | undefined;
}

export async function startFakeTenAgent(options: FakeTenAgentOptions = {}): Promise<FakeTenAgent> {
  const graphs: FakeTenGraph[] = (options.graphs ?? ['voice_assistant']).map((graph) =>
    typeof graph === 'string' ? { name: graph, auto_start: false } : { name: graph.name, auto_start: graph.auto_start ?? false },
  );
  const workersMax = options.workersMax ?? 100;
  const defaultTimeout = options.workerQuitTimeoutSeconds ?? 60;
  const maxGemini = options.maxGeminiWorkers ?? 3;
  if (!Number.isInteger(workersMax) || workersMax <= 0) throw new Error('workersMax must be a positive integer (the real server exits otherwise)');
  if (!Number.isInteger(defaultTimeout) || defaultTimeout <= 0) throw new Error('workerQuitTimeoutSeconds must be a positive integer');

  const requests: RecordedTenRequest[] = [];
  const workers = new Map<string, WorkerEntry>();

  const removeWorker = (channelName: string) => {
    const worker = workers.get(channelName);
    if (worker === undefined) return;
    if (worker.timer !== undefined) clearTimeout(worker.timer);
    workers.delete(channelName);
  };

  /** (Re)arms the reaper for a worker: it goes when quitTimeoutSeconds pass without a ping. */
  const arm = (worker: WorkerEntry) => {
    if (worker.timer !== undefined) clearTimeout(worker.timer);
    worker.timer = undefined;
    const ms = worker.quitTimeoutSeconds * 1000;
    if (ms > 2_147_483_647) return; // beyond setTimeout's range (~24.8 days): outlives any test
    worker.timer = setTimeout(() => {
      if (workers.get(worker.channelName) === worker) workers.delete(worker.channelName);
    }, ms);
    worker.timer.unref();
  };

  const handle = (method: string, path: string, body: string, res: ServerResponse) => {
    if (method === 'OPTIONS') {
      res.writeHead(204, CORS_HEADERS).end();
      return;
    }
    if (method === 'GET' && GET_ROUTES.has(path)) {
      if (path === '/' || path === '/health') return envelope(res, TEN_CODES.ok, null);
      if (path === '/list') {
        // Faithful to handlerList: make([]map, n) then append → n nulls, then the n workers.
        const list: unknown[] = Array.from({ length: workers.size }, () => null);
        for (const worker of workers.values()) list.push({ channelName: worker.channelName, createTs: worker.createTs });
        return envelope(res, TEN_CODES.success, list);
      }
      // handleGraphs: a nil slice (no graphs) marshals as null.
      const data = graphs.length === 0 ? null : graphs.map((graph) => ({ auto_start: graph.auto_start, graph_id: graph.name, name: graph.name }));
      return envelope(res, TEN_CODES.success, data);
    }
    if (method === 'POST' && POST_ROUTES.has(path)) {
      if (path === '/start') {
        const workersRunning = workers.size;
        const decoded = bindJson(body, START_FIELDS);
        if (decoded === undefined) return envelope(res, TEN_CODES.paramsInvalid, 400);
        const req = decoded as TenStartRequest;
        const channelName = req.channel_name ?? '';
        if (channelName.trim() === '') return envelope(res, TEN_CODES.channelEmpty, 400);
        if (workersRunning >= workersMax) return envelope(res, TEN_CODES.workersLimit, 429);
        if (workers.has(channelName)) return envelope(res, TEN_CODES.channelExisted, 400);
        const graphName = req.graph_name ?? '';
        if (graphName.includes('gemini')) {
          const sameGraph = [...workers.values()].filter((worker) => worker.graphName === graphName).length;
          if (sameGraph >= maxGemini) return envelope(res, TEN_CODES.workersLimit, 429);
        }
        if (graphName === '' || !graphs.some((graph) => graph.name === graphName) || !channelNameIsSafe(channelName)) {
          return envelope(res, TEN_CODES.processPropertyFailed, 500);
        }
        const now = unixSeconds();
        const worker: WorkerEntry = {
          channelName,
          graphName,
          requestId: req.request_id ?? '',
          createTs: now,
          updateTs: now,
          quitTimeoutSeconds: typeof req.timeout === 'number' && req.timeout > 0 ? req.timeout : defaultTimeout,
          startRequest: req,
          timer: undefined,
        };
        workers.set(channelName, worker);
        arm(worker);
        return envelope(res, TEN_CODES.success, null);
      }
      const decoded = bindJson(body, CHANNEL_FIELDS);
      if (decoded === undefined) return envelope(res, TEN_CODES.paramsInvalid, 400);
      const channelName = (decoded as TenChannelRequest).channel_name ?? '';
      if (channelName.trim() === '') return envelope(res, TEN_CODES.channelEmpty, 400);
      const worker = workers.get(channelName);
      if (worker === undefined) return envelope(res, TEN_CODES.channelNotExisted, 400);
      if (path === '/ping') {
        worker.updateTs = unixSeconds();
        arm(worker);
      } else {
        removeWorker(channelName);
      }
      return envelope(res, TEN_CODES.success, null);
    }
    // gin's RedirectTrailingSlash: /list/ → /list (301 for GET, 307 otherwise).
    if (path.length > 1 && path.endsWith('/')) {
      const bare = path.replace(/\/+$/, '') || '/';
      if ((method === 'GET' && GET_ROUTES.has(bare)) || (method === 'POST' && POST_ROUTES.has(bare))) {
        res.writeHead(method === 'GET' ? 301 : 307, { ...CORS_HEADERS, location: bare }).end();
        return;
      }
    }
    res.writeHead(404, { ...CORS_HEADERS, 'content-type': 'text/plain' }).end('404 page not found');
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      if (rawBody !== '') {
        try {
          body = JSON.parse(rawBody);
        } catch {
          body = rawBody;
        }
      }
      const method = req.method ?? 'GET';
      requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body, rawBody });
      try {
        handle(method, url.pathname, rawBody, res);
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    workers,
    reset() {
      for (const channelName of [...workers.keys()]) removeWorker(channelName);
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const channelName of [...workers.keys()]) removeWorker(channelName);
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** gin's c.JSON with gin.H{"code","msg","data"}: always HTTP 200 here (see the header comment). */
function envelope(res: ServerResponse, code: TenCode, data: unknown): void {
  // encoding/json sorts map keys: code, data, msg.
  res
    .writeHead(200, { ...CORS_HEADERS, 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify({ code: code.code, data, msg: code.msg }));
}

function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** sanitizeChannelName's rejections (http_server.go): these fail /start with 10100. */
function channelNameIsSafe(name: string): boolean {
  if (Buffer.byteLength(name, 'utf8') > 100) return false;
  if (name.includes('..') || name.includes('/') || name.includes('\\') || name.includes('\0')) return false;
  return !name.startsWith('.');
}

/**
 * What gin's `ShouldBindBodyWith(&req, binding.JSON)` accepts: one JSON value that is an object
 * (or null) whose known fields have the Go types; field names match case-insensitively, unknown
 * fields are ignored, null leaves a field unset. Returns undefined where Go would return an error.
 */
function bindJson(raw: string, fields: Record<string, FieldKind>): Record<string, unknown> | undefined {
  if (raw.trim() === '') return undefined; // io.EOF
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Record<string, unknown> = {};
  const names = Object.keys(fields);
  for (const [key, fieldValue] of Object.entries(value as Record<string, unknown>)) {
    const name = names.find((candidate) => candidate === key) ?? names.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
    if (name === undefined || fieldValue === null) continue;
    const kind = fields[name];
    if (kind === undefined || !fitsGoType(kind, fieldValue)) return undefined;
    out[name] = fieldValue;
  }
  return out;
}

function fitsGoType(kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'uint32':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
    case 'int32':
      return typeof value === 'number' && Number.isInteger(value) && value >= -0x8000_0000 && value <= 0x7fff_ffff;
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'properties':
      return (
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.values(value).every((inner) => inner === null || (typeof inner === 'object' && !Array.isArray(inner)))
      );
  }
}
