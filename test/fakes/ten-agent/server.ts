import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEN_CODES, type TenCode } from './codes.ts';
import { bindJson, CHANNEL_FIELDS, START_FIELDS, type TenChannelRequest, type TenStartRequest } from './gin-bind.ts';
import { processProperty } from './process-property.ts';
import { unixSeconds, WorkerProcess, type FakeTenWorker } from './worker-process.ts';
import { CONTAINER_ADDRESS_VARIABLE, type FakeTenScript } from './worker/protocol.ts';

/**
 * A local TEN agent server (`ai_agents/server`, Go + gin) for tests: its HTTP API, its
 * processProperty, and one real worker process per session that runs the graph. See README.md
 * in this folder for what is faithful, with the TEN source of each rule, and what is not.
 */

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
  /** The tenapp directory (`-tenapp_dir`); its property.json is read on every /graphs and /start. @default - a temporary tenapp holding `graphs` */
  readonly tenappDir?: string;
  /** Graphs of the default tenapp, each one main_python node (ignored with `tenappDir`). @default ['voice_assistant'] */
  readonly graphs?: ReadonlyArray<string | FakeTenGraph>;
  /** The server's environment, which each worker inherits: what `${env:…}` reads. @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /** What the stand-in vendors do in every session. @default {} */
  readonly script?: FakeTenScript;
  /** WORKERS_MAX (> 0, or the real server exits). @default 100 */
  readonly workersMax?: number;
  /** WORKER_QUIT_TIMEOUT_SECONDS, used when a /start has no positive `timeout`. @default 60 */
  readonly workerQuitTimeoutSeconds?: number;
  /** MAX_GEMINI_WORKER_COUNT: workers per graph whose name contains "gemini". @default 3 */
  readonly maxGeminiWorkers?: number;
  /** LOG_PATH: temporary property files and worker logs. @default - a fresh temporary directory */
  readonly logPath?: string;
  /** LOG_STDOUT: worker output to this process's stdout instead of its log file. @default false */
  readonly logStdout?: boolean;
  /**
   * The address the server listens on, standing for its container's own address: a worker told
   * to listen on every interface (`::`, `0.0.0.0`) listens on this one, so several fake servers
   * on one machine (one per TEN replica, each a container of its own in a deployment) can use
   * the same worker ports. @default '127.0.0.1'
   */
  readonly address?: string;
  /** The API's port. @default - a free one */
  readonly port?: number;
  /** Where the API listens, when not only on `address` (`0.0.0.0`: also on 127.0.0.1, as a container's loopback). @default - `address` */
  readonly listenAddress?: string;
}

export interface FakeTenAgent {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  readonly tenappDir: string;
  readonly logPath: string;
  /** Every request received, in order (OPTIONS and 404s included). */
  readonly requests: RecordedTenRequest[];
  /** Running workers by channel name, as the server's map holds them. */
  readonly workers: ReadonlyMap<string, FakeTenWorker>;
  /** Every worker started since the last reset, running or not, in order. */
  readonly sessions: readonly FakeTenWorker[];
  /** The server's own log lines (recovered panics, missing variables, stops). */
  readonly logs: readonly string[];
  /** Kills every worker and forgets them and the recorded requests. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': '*',
  'access-control-allow-headers': '*',
  'access-control-expose-headers': '*',
  'access-control-allow-credentials': 'true',
} as const;

const GET_ROUTES = new Set(['/', '/health', '/list', '/graphs']);
const POST_ROUTES = new Set(['/start', '/stop', '/ping']);
/** timeoutWorkers sleeps this long between passes. */
const REAPER_SLEEP_MS = 5_000;

export async function startFakeTenAgent(options: FakeTenAgentOptions = {}): Promise<FakeTenAgent> {
  const workersMax = options.workersMax ?? 100;
  const defaultTimeout = options.workerQuitTimeoutSeconds ?? 60;
  const maxGemini = options.maxGeminiWorkers ?? 3;
  if (!Number.isInteger(workersMax) || workersMax <= 0) throw new Error(`workersMax must be a positive integer (the real server exits otherwise), got ${workersMax}`);
  if (!Number.isInteger(defaultTimeout) || defaultTimeout <= 0) throw new Error(`workerQuitTimeoutSeconds must be a positive integer, got ${defaultTimeout}`);
  const ownDirs: string[] = [];
  const tenappDir = options.tenappDir ?? defaultTenapp(options.graphs ?? ['voice_assistant'], ownDirs);
  const logPath = options.logPath ?? ownDir('fake-ten-log-', ownDirs);
  // main.go creates LOG_PATH when it is missing.
  mkdirSync(logPath, { recursive: true });
  const env = options.env ?? {};
  const address = options.address ?? '127.0.0.1';
  const script = options.script ?? {};

  const requests: RecordedTenRequest[] = [];
  const workers = new Map<string, WorkerProcess>();
  const sessions: WorkerProcess[] = [];
  const logs: string[] = [];
  const log = (line: string) => logs.push(line);
  // getHttpServerPort: a counter from 10000, incremented before use, back to 10000 past 30000.
  let httpServerPort = 10_000;
  const nextHttpServerPort = () => {
    if (httpServerPort > 30_000) httpServerPort = 10_000;
    httpServerPort += 1;
    return httpServerPort;
  };

  const stopWorker = async (channelName: string, worker: WorkerProcess): Promise<boolean> => {
    const stopped = await worker.stop();
    if (stopped) workers.delete(channelName);
    log(stopped ? `Worker stop end channelName=${channelName}` : `Worker stop failed channelName=${channelName}`);
    return stopped;
  };

  // timeoutWorkers: a pass over the workers, then a 5 s sleep; a pass stops (and waits for)
  // every worker whose last ping is older than its timeout, in whole Unix seconds.
  let reaping = true;
  let reaperTimer: NodeJS.Timeout | undefined;
  const reap = async () => {
    for (const channelName of [...workers.keys()]) {
      const worker = workers.get(channelName);
      if (worker === undefined || worker.quitTimeoutSeconds === -1) continue;
      if (worker.updateTs + worker.quitTimeoutSeconds < unixSeconds()) await stopWorker(channelName, worker);
    }
    if (reaping) {
      reaperTimer = setTimeout(() => void reap(), REAPER_SLEEP_MS);
      reaperTimer.unref();
    }
  };

  const start = (body: string, res: ServerResponse) => {
    const workersRunning = workers.size;
    const decoded = bindJson(body, START_FIELDS);
    if (decoded === undefined) return envelope(res, TEN_CODES.paramsInvalid, 400);
    const request = decoded as TenStartRequest;
    const channelName = request.channel_name ?? '';
    if (channelName.trim() === '') return envelope(res, TEN_CODES.channelEmpty, 400);
    if (workersRunning >= workersMax) return envelope(res, TEN_CODES.workersLimit, 429);
    if (workers.has(channelName)) return envelope(res, TEN_CODES.channelExisted, 400);
    const graphName = request.graph_name ?? '';
    if (graphName.includes('gemini') && [...workers.values()].filter((worker) => worker.graphName === graphName).length >= maxGemini) {
      return envelope(res, TEN_CODES.workersLimit, 429);
    }
    const outcome = processProperty({ request, tenappDir, logPath, workerHttpServerPort: nextHttpServerPort(), env, log });
    if (outcome.kind === 'panicked') {
      // gin.Default()'s Recovery: c.AbortWithStatus(500), no body; CORS headers were already set.
      log(`[Recovery] panic recovered: ${outcome.reason}`);
      res.writeHead(500, CORS_HEADERS).end();
      return;
    }
    if (outcome.kind === 'failed') {
      log(`handlerStart process property channelName=${channelName}: ${outcome.reason}`);
      return envelope(res, TEN_CODES.processPropertyFailed, 500);
    }
    let worker: WorkerProcess;
    try {
      worker = new WorkerProcess({
        channelName,
        graphName,
        startRequest: request,
        quitTimeoutSeconds: typeof request.timeout === 'number' && request.timeout > 0 ? request.timeout : defaultTimeout,
        tenappDir,
        propertyFile: outcome.propertyFile,
        logFile: outcome.logFile,
        logStdout: options.logStdout ?? false,
        env: { ...env, [CONTAINER_ADDRESS_VARIABLE]: address },
        script,
        // The real Wait goroutine removes by channel name, whichever worker holds it by then.
        onExit: (exited) => {
          log(`Worker process ended channelName=${exited.channelName} exit=${JSON.stringify(exited.exit)}`);
          workers.delete(exited.channelName);
        },
      });
    } catch (error) {
      log(`handlerStart start worker failed: ${String(error)}`);
      return envelope(res, TEN_CODES.startWorkerFailed, 500);
    }
    if (!workers.has(channelName)) workers.set(channelName, worker);
    sessions.push(worker);
    envelope(res, TEN_CODES.success, null);
  };

  const handle = async (method: string, path: string, body: string, res: ServerResponse): Promise<void> => {
    if (method === 'OPTIONS') {
      res.writeHead(204, CORS_HEADERS).end();
      return;
    }
    if (method === 'GET' && GET_ROUTES.has(path)) {
      if (path === '/' || path === '/health') return envelope(res, TEN_CODES.ok, null);
      if (path === '/list') {
        // handlerList: make([]map, n) then append, so n nulls come before the n workers.
        const list: unknown[] = Array.from({ length: workers.size }, () => null);
        for (const worker of workers.values()) list.push({ channelName: worker.channelName, createTs: worker.createTs });
        return envelope(res, TEN_CODES.success, list);
      }
      return graphsOf(tenappDir, res);
    }
    if (method === 'POST' && POST_ROUTES.has(path)) {
      if (path === '/start') return start(body, res);
      const decoded = bindJson(body, CHANNEL_FIELDS);
      if (decoded === undefined) return envelope(res, TEN_CODES.paramsInvalid, 400);
      const channelName = (decoded as TenChannelRequest).channel_name ?? '';
      if (channelName.trim() === '') return envelope(res, TEN_CODES.channelEmpty, 400);
      const worker = workers.get(channelName);
      if (worker === undefined) return envelope(res, TEN_CODES.channelNotExisted, 400);
      if (path === '/ping') {
        worker.updateTs = unixSeconds();
        return envelope(res, TEN_CODES.success, null);
      }
      if (!(await stopWorker(channelName, worker))) return envelope(res, TEN_CODES.stopWorkerFailed, 500);
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
      handle(method, url.pathname, rawBody, res).catch((error: unknown) => {
        // A defect of the fake itself, told apart from gin's empty 500 by its body.
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake TEN agent error: ${String(error)}`);
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.listenAddress ?? address, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  void reap();

  const killAll = async () => {
    await Promise.all(sessions.map((worker) => worker.kill()));
    workers.clear();
  };

  return {
    url: `http://${address}:${port}`,
    tenappDir,
    logPath,
    requests,
    workers,
    sessions,
    logs,
    async reset() {
      await killAll();
      sessions.length = 0;
      requests.length = 0;
      logs.length = 0;
    },
    async close() {
      reaping = false;
      if (reaperTimer !== undefined) clearTimeout(reaperTimer);
      await killAll();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      for (const dir of ownDirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** handleGraphs: name, graph_id and auto_start of each predefined graph, read afresh. */
function graphsOf(tenappDir: string, res: ServerResponse): void {
  let content: string;
  try {
    content = readFileSync(join(tenappDir, 'property.json'), 'utf8');
  } catch {
    return envelope(res, TEN_CODES.readFileFailed, 500);
  }
  let property: unknown;
  try {
    property = JSON.parse(content);
  } catch {
    return envelope(res, TEN_CODES.parseJsonFailed, 500);
  }
  const ten = (property as { ten?: unknown } | null)?.ten;
  if (typeof ten !== 'object' || ten === null || Array.isArray(ten)) return envelope(res, TEN_CODES.parseJsonFailed, 500);
  const predefined = (ten as { predefined_graphs?: unknown }).predefined_graphs;
  if (!Array.isArray(predefined)) return envelope(res, TEN_CODES.parseJsonFailed, 500);
  const graphs = predefined
    .filter((graph): graph is Record<string, unknown> => typeof graph === 'object' && graph !== null && !Array.isArray(graph))
    .map((graph) => ({ auto_start: graph['auto_start'] ?? null, graph_id: graph['name'] ?? null, name: graph['name'] ?? null }));
  // A nil slice (no graphs) marshals as null.
  envelope(res, TEN_CODES.success, graphs.length === 0 ? null : graphs);
}

/** output(c, code, data): gin's c.JSON(200, gin.H{"code","msg","data"}), keys sorted by encoding/json. */
function envelope(res: ServerResponse, code: TenCode, data: unknown): void {
  res.writeHead(200, { ...CORS_HEADERS, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ code: code.code, data, msg: code.msg }));
}

function ownDir(prefix: string, ownDirs: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  ownDirs.push(dir);
  return dir;
}

/** A tenapp whose graphs each hold one main_python node: a graph TEN can start that does nothing. */
function defaultTenapp(graphs: ReadonlyArray<string | FakeTenGraph>, ownDirs: string[]): string {
  const dir = ownDir('fake-tenapp-', ownDirs);
  const predefined = graphs.map((graph) => {
    const { name, auto_start: autoStart } = typeof graph === 'string' ? { name: graph, auto_start: false } : graph;
    return {
      name,
      auto_start: autoStart ?? false,
      graph: { nodes: [{ type: 'extension', name: 'main_control', addon: 'main_python', extension_group: 'control', property: {} }], connections: [] },
    };
  });
  writeFileSync(join(dir, 'property.json'), `${JSON.stringify({ ten: { predefined_graphs: predefined } }, null, 2)}\n`);
  return dir;
}
