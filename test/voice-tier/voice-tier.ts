import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { stringify } from 'yaml';
import { startFakePipedream, type FakePipedream } from '../../services/mcp-server/test/fakes/fake-pipedream.ts';
import { createTestDatabase, REDIS_URL, testCatalog, TOKENS, WORKFLOW_TOKEN } from '../../services/mcp-server/test/helpers/mcp.ts';
import { BridgeApi, bridgeEnv } from '../../services/jitsi-agent-bridge/test/helpers/bridge-harness.ts';
import type { ConfigInput } from '../../services/jitsi-agent-bridge/src/config.ts';
import type { FakeTenScript } from '../fakes/ten-agent/worker/protocol.ts';
import { freePort } from '../helpers/free-port.ts';
import { waitUntil } from '../../services/jitsi-agent-bridge/test/helpers/wait.ts';
import { ServiceProxy } from './service-proxy.ts';

/**
 * The voice tier on one machine, every replica a process of its own: MCP server replicas (the
 * real src/main.ts on the real Postgres and Redis, Pipedream faked), TEN replicas (the fake agent
 * server under the image's real drain wrapper, each on a loopback address of its own as each is
 * a container of its own), and bridge replicas (the real bridge with the scripted joiner, whose
 * rooms keep talking). Each tier sits behind a ServiceProxy, as behind a Kubernetes Service.
 * Used by the rolling-update test and by `npm run bench:voice-tier`.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MCP_MAIN = join(ROOT, 'services/mcp-server/src/main.ts');
const BRIDGE_ENTRY = join(ROOT, 'services/jitsi-agent-bridge/test/helpers/bridge-entry.ts');
const TEN_ENTRY = join(ROOT, 'test/voice-tier/fake-ten-entry.ts');
const TEN_DRAIN = join(ROOT, 'services/ten-agent/drain/ten_drain.py');

/** A replica's process and its output lines (parsed when JSON). */
export class TierProcess {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly startedAt = Date.now();
  stoppingAt: number | undefined;
  exitedAt: number | undefined;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    private readonly ownGroup = false,
  ) {
    const keep = (line: string) => {
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.lines.push({ msg: line });
      }
    };
    createInterface({ input: child.stdout! }).on('line', keep);
    createInterface({ input: child.stderr! }).on('line', keep);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitedAt = Date.now();
        resolve({ code, signal });
      }),
    );
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How long it took from SIGTERM to its exit, in ms. */
  get drainMs(): number | undefined {
    return this.stoppingAt === undefined || this.exitedAt === undefined ? undefined : this.exitedAt - this.stoppingAt;
  }

  sigterm(): void {
    this.stoppingAt = Date.now();
    this.child.kill('SIGTERM');
  }

  /** SIGKILL, to its whole process group when it has one of its own (a TEN replica and its server). */
  kill(): void {
    if (!this.running) return;
    if (this.ownGroup && this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
        return;
      } catch {
        // The group is gone already.
      }
    }
    this.child.kill('SIGKILL');
  }

  messages(): string[] {
    return this.lines.map((line) => String(line['msg']));
  }
}

function spawnReplica(name: string, command: string, args: string[], env: Record<string, string | undefined>, cwd = ROOT, ownGroup = false): TierProcess {
  const child = spawn(command, args, { cwd, env: { PATH: process.env['PATH'], ...env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: ownGroup });
  return new TierProcess(name, child, ownGroup);
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

export interface VoiceTierOptions {
  /** Worker ports of each TEN replica (its workers limit). @default 4 */
  readonly seats?: number;
  /** Rooms each bridge replica holds. @default 6 */
  readonly roomsMax?: number;
  /** How often the person in each room speaks (each utterance makes TEN call a tool). @default 3000 */
  readonly speakEveryMs?: number;
  /** Every drain's limit. @default 120 */
  readonly drainSeconds?: number;
  /** Bridges place rooms by leases in Redis; false: each places alone (one replica, the baseline). @default true */
  readonly sharedPlacement?: boolean;
}

interface TenReplicaSlot {
  readonly address: string;
  readonly port: number;
  process: TierProcess | undefined;
}

export class VoiceTier {
  readonly prefix = `voice-tier-test:${randomBytes(4).toString('hex')}:`;
  readonly redis = new Redis(REDIS_URL);
  readonly mcpService = new ServiceProxy('/ready');
  readonly bridgeService = new ServiceProxy('/ready');
  readonly mcp = new Map<string, TierProcess>();
  readonly bridges = new Map<string, TierProcess>();
  readonly ten = new Map<string, TenReplicaSlot>();
  /** Every process ever started, for the logs of a failure and for closing. */
  readonly all: TierProcess[] = [];
  private readonly tenProcesses = new Set<TierProcess>();
  private readonly bridgeUrls = new Map<string, string>();
  api!: BridgeApi;
  pipedream!: FakePipedream;
  private database!: Awaited<ReturnType<typeof createTestDatabase>>;
  private catalogDir!: string;
  private bridgeBase!: ConfigInput;
  private readonly options: Required<VoiceTierOptions>;

  constructor(options: VoiceTierOptions = {}) {
    this.options = { seats: 4, roomsMax: 6, speakEveryMs: 3_000, drainSeconds: 120, sharedPlacement: true, ...options };
  }

  get databaseUrl(): string {
    return this.database.url;
  }

  /** Fakes, database and the two service proxies; then add replicas. */
  async open(tenNames: readonly string[]): Promise<this> {
    this.pipedream = await startFakePipedream();
    this.pipedream.setWorkflow('lookup-order', { body: { status: 'in transit' } });
    this.database = await createTestDatabase();
    this.catalogDir = mkdtempSync(join(tmpdir(), 'voice-tier-'));
    writeFileSync(join(this.catalogDir, 'tools.yaml'), stringify(testCatalog(this.pipedream)));
    await Promise.all([this.mcpService.listen(), this.bridgeService.listen()]);
    for (const [index, name] of tenNames.entries()) this.ten.set(name, { address: `127.0.0.${index + 2}`, port: await freePort(), process: undefined });
    const env = await bridgeEnv('http://unused:1', {}, this.options.seats);
    this.bridgeBase = {
      ...env,
      TEN_AGENT_URLS: [...this.ten].map(([name, slot]) => `${name}=http://${slot.address}:${slot.port}`).join(','),
      TEN_WORKER_BIND_HOST: '::',
      ...(this.options.sharedPlacement ? { REDIS_URL } : {}),
      VOICE_TIER_KEY_PREFIX: this.prefix,
      ROOMS_MAX: String(this.options.roomsMax),
      DRAIN_TIMEOUT_SECONDS: String(this.options.drainSeconds),
      // Nobody leaves the scripted rooms; only a stop or the drain limit ends them.
      EMPTY_ROOM_GRACE_SECONDS: '600',
      LOG_LEVEL: 'info',
    };
    this.api = new BridgeApi(this.bridgeService.url, env.BRIDGE_API_TOKEN!);
    return this;
  }

  async startMcp(name: string): Promise<TierProcess> {
    const port = await freePort();
    const replica = spawnReplica(name, process.execPath, ['--import', 'tsx', MCP_MAIN], {
      PORT: String(port),
      HOST: '127.0.0.1',
      MCP_AUTH_TOKENS: `console:${TOKENS.console},ten-agent:${TOKENS.tenAgent}`,
      MCP_ALLOWED_HOSTS: '127.0.0.1',
      TOOL_CATALOG: join(this.catalogDir, 'tools.yaml'),
      DATABASE_URL: this.database.url,
      REDIS_URL,
      PIPEDREAM_CLIENT_ID: this.pipedream.clientId,
      PIPEDREAM_CLIENT_SECRET: this.pipedream.clientSecret,
      PIPEDREAM_PROJECT_ID: this.pipedream.projectId,
      PIPEDREAM_BASE_URL: this.pipedream.url,
      LOOKUP_ORDER_TOKEN: WORKFLOW_TOKEN,
      SSE_DRAIN_TIMEOUT_SECONDS: String(this.options.drainSeconds),
      LOG_LEVEL: 'info',
    }, join(ROOT, 'services/mcp-server'));
    this.track(this.mcp, replica);
    await waitUntil(`${name} to be ready`, () => answers(`http://127.0.0.1:${port}/ready`) || (!replica.running && Promise.reject(new Error(`${name} exited: ${replica.messages().join(' | ')}`))));
    this.mcpService.add(name, `http://127.0.0.1:${port}`);
    await waitUntil(`the MCP service to route to ${name}`, () => this.mcpService.ready().includes(name));
    return replica;
  }

  /** A TEN replica (again, after a roll: same name, address and port) under the drain wrapper. */
  async startTen(name: string, script: FakeTenScript): Promise<TierProcess> {
    const slot = this.ten.get(name) as TenReplicaSlot;
    const replica = spawnReplica(name, 'python3', [TEN_DRAIN, 'run', '--', process.execPath, '--import', 'tsx', TEN_ENTRY], {
      REPLICA_NAME: name,
      REDIS_URL,
      VOICE_TIER_KEY_PREFIX: this.prefix,
      DRAIN_TIMEOUT_SECONDS: String(this.options.drainSeconds),
      SERVER_PORT: String(slot.port),
      WORKERS_MAX: String(this.options.seats),
      FAKE_TEN_ADDRESS: slot.address,
      FAKE_TEN_SCRIPT: JSON.stringify(script),
      MCP_SERVER_URL: `${this.mcpService.url}/sse/${TOKENS.tenAgent}`,
    }, ROOT, true);
    slot.process = replica;
    this.all.push(replica);
    this.tenProcesses.add(replica);
    await waitUntil(`${name} to answer`, () => answers(`http://${slot.address}:${slot.port}/health`) || (!replica.running && Promise.reject(new Error(`${name} exited: ${replica.messages().join(' | ')}`))));
    return replica;
  }

  async startBridge(id: string): Promise<TierProcess> {
    const replica = spawnReplica(id, process.execPath, ['--import', 'tsx', BRIDGE_ENTRY], {
      ...this.bridgeBase,
      BRIDGE_REPLICA_ID: id,
      TEST_SPEAK_EVERY_MS: String(this.options.speakEveryMs),
    });
    this.track(this.bridges, replica);
    const listening = await waitUntil(`${id} to listen`, () => replica.lines.find((line) => line['msg'] === 'bridge listening') ?? (!replica.running && Promise.reject(new Error(`${id} exited: ${replica.messages().join(' | ')}`))));
    const url = `http://127.0.0.1:${String(listening['port'])}`;
    this.bridgeUrls.set(id, url);
    this.bridgeService.add(id, url);
    await waitUntil(`the bridge service to route to ${id}`, () => this.bridgeService.ready().includes(id));
    if (this.options.sharedPlacement) await waitUntil(`${id} to publish itself`, async () => (await this.redis.get(`${this.prefix}bridge:replica:${id}`)) !== null);
    return replica;
  }

  /** The API of one bridge replica, past the service proxy. */
  bridgeApi(id: string): BridgeApi {
    return new BridgeApi(this.bridgeUrls.get(id) as string, this.bridgeBase.BRIDGE_API_TOKEN as string);
  }

  /** Which bridge replica holds each room, and which TEN replica runs it, from the tier's own records. */
  async placements(rooms: readonly string[]): Promise<Map<string, { bridge: string; ten: string | undefined; state: string }>> {
    const records = rooms.length === 0 ? [] : await this.redis.mget(...rooms.map((room) => `${this.prefix}room:${room}:record`));
    const found = new Map<string, { bridge: string; ten: string | undefined; state: string }>();
    for (const [index, text] of records.entries()) {
      if (text === null) continue;
      const record = JSON.parse(text) as { replicaId: string; ten: { name: string } | null; state: string };
      found.set(rooms[index] as string, { bridge: record.replicaId, ten: record.ten?.name, state: record.state });
    }
    return found;
  }

  /** Every session event the TEN replicas reported (tool calls, MCP connections). */
  sessionEvents(): Array<Record<string, unknown>> {
    return [...this.tenProcesses].flatMap((replica) => replica.lines.filter((line) => line['msg'] === 'session event'));
  }

  async auditOutcomes(): Promise<Record<string, number>> {
    const client = new pg.Client({ connectionString: this.database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ outcome: string; count: string }>('SELECT outcome, count(*) FROM mcp_tool_calls GROUP BY outcome');
      return Object.fromEntries(rows.map((row) => [row.outcome, Number(row.count)]));
    } finally {
      await client.end();
    }
  }

  /** The process ids of every running replica and all their descendants (TEN's workers). */
  pids(): number[] {
    return this.all.filter((replica) => replica.running && replica.child.pid !== undefined).map((replica) => replica.child.pid as number);
  }

  /** Every replica's log lines, for a failure's description. */
  logs(): string {
    return this.all.map((replica) => `--- ${replica.name}\n${replica.messages().slice(-40).join('\n')}`).join('\n');
  }

  async close(): Promise<void> {
    // A TEN replica is asked to stop at once (SIGINT: the drain wrapper passes it on without a
    // drain), so the fake server stops its workers; SIGKILL would orphan them.
    for (const replica of this.tenProcesses) if (replica.running) replica.child.kill('SIGINT');
    await Promise.all([...this.tenProcesses].map((replica) => Promise.race([replica.exited, new Promise((resolve) => setTimeout(resolve, 10_000))])));
    for (const replica of this.all) replica.kill();
    await Promise.all(this.all.map((replica) => replica.exited));
    await Promise.all([this.mcpService.close(), this.bridgeService.close(), this.pipedream?.close()]);
    const keys = await this.redis.keys(`${this.prefix}*`);
    if (keys.length > 0) await this.redis.del(...keys);
    this.redis.disconnect();
    await this.database?.drop();
    if (this.catalogDir !== undefined) rmSync(this.catalogDir, { recursive: true, force: true });
  }

  private track(map: Map<string, TierProcess>, replica: TierProcess): void {
    map.set(replica.name, replica);
    this.all.push(replica);
  }
}
