import type { Construct } from 'constructs';
import { z } from 'zod';
import { KNOWN_PLACEHOLDERS } from './credentials.ts';
import { checkProps, failForNewService, plainObjectSchema, textSchema } from './props-check.ts';
import { ownReplicaName, secret, type EnvValue, type ServiceEndpointRef } from './references.ts';
import type { Redis } from './redis.ts';
import { resourcesSchema, type ResourcesProps, type ServicePortRange } from './service-props.ts';
import { StackService } from './stack-service.ts';
import type { TenGraph } from './ten/ten-graph.ts';
import { TEN_METRICS_PORT, TEN_METRICS_PORT_VARIABLE } from './ten/ten-telemetry.ts';
import { tenVersionOfImage } from './ten/ten-version.ts';
import { checkTenGraph, EXAMPLE_APP_ADDONS, ownAppAddons, tenappManifest } from './ten/tenapp.ts';
import {
  AGENT_VARIABLES,
  DEFAULT_VENDORS,
  VENDOR_CHOICES,
  voiceAgentGraph,
  type VoiceAgentVendors,
} from './ten/voice-agent-graph.ts';
import { describeValue } from './zod-issues.ts';

/** Properties of `TenAgent`: the graph's vendors and what it says, per environment. */
export interface TenAgentProps {
  /** Concurrent agent sessions before the server answers "workers limit"; also sizes the worker port range. @default 10 */
  readonly workersMax?: number;
  /** Seconds a session lives without a `/ping`. @default 60 */
  readonly workerQuitTimeoutSeconds?: number;
  /** STT, LLM and TTS vendors; a choice other than the default gets a graph of its own. @default - Deepgram, OpenAI, ElevenLabs */
  readonly vendors?: Partial<VoiceAgentVendors>;
  /** Chat model. @default 'gpt-4o-mini' */
  readonly model?: string;
  /** TTS voice id (ElevenLabs). @default 'pNInz6obpgDQGcFmaJgB' (TEN's example voice) */
  readonly voice?: string;
  /** Language the STT listens for, BCP 47. @default 'en-US' */
  readonly language?: string;
  /** What the agent says when a session starts. @default - a short hello */
  readonly greeting?: string;
  /** The LLM's system prompt. @default - a voice-assistant prompt that mentions the tools */
  readonly systemPrompt?: string;
  /** Extra variables (the stack gives MCP_SERVER_URL). @default - none */
  readonly env?: Record<string, EnvValue>;
  /** @default - 1000 millicores, 2048 MiB (each session runs an STT → LLM → TTS worker) */
  readonly resources?: ResourcesProps;
  /**
   * Servers, each addressed on its own (`ten-agent-0`, `ten-agent-1`, …): a session lives in the
   * memory of the one that started it, and the bridge places each room on one. @default 1
   */
  readonly replicas?: number;
  /**
   * Seconds a stopping server keeps its running sessions before it gives up on them; meanwhile it
   * is marked draining in Redis and takes no new sessions. A voice call that lasts longer is cut.
   * @default 1800
   */
  readonly drainTimeoutSeconds?: number;
  /**
   * Where a draining server marks itself, so the bridge places no new room on it. Needed for more
   * than one replica. @default - no mark: a stopping server only waits for its sessions
   */
  readonly redis?: Redis;
}

/** The agent server's HTTP API: /start, /stop, /ping, /health. */
export const TEN_API_PORT = 8080;
/** First per-session websocket port; session n listens on TEN_WORKER_PORT_BASE + n. */
export const TEN_WORKER_PORT_BASE = 8800;
/** The image EXPOSEs 8800–8899, so at most 100 sessions. */
export const TEN_WORKERS_LIMIT = 100;
/** Name of the worker port range. */
export const TEN_WORKER_RANGE = 'workers';
/** Catches a typo (200 for 20) before it becomes that many pods or Railway services; raise it deliberately. */
export const TEN_REPLICAS_LIMIT = 20;
/**
 * The drain step of the image (services/ten-agent/drain/ten_drain.py): marks the server draining
 * and waits for its sessions. Its entrypoint runs it on SIGTERM; Kubernetes runs it first, as preStop.
 */
export const TEN_DRAIN_COMMAND = ['python3', '/app/drain/ten_drain.py', 'drain'];
/** After the drain: the server and its workers stopping. */
const STOP_MARGIN_SECONDS = 30;

/**
 * The agent server refuses to start unless AGORA_APP_ID has exactly 32 characters, although our
 * graph never joins Agora. This fixed value says so wherever it is seen; it grants nothing.
 */
export const AGORA_APP_ID_PLACEHOLDER = KNOWN_PLACEHOLDERS.AGORA_APP_ID as string;

const tenAgentPropsSchema = z.strictObject({
  workersMax: z.unknown().optional(),
  workerQuitTimeoutSeconds: z.number().int().min(1).max(86400).optional(),
  vendors: z
    .strictObject({
      stt: z.enum(VENDOR_CHOICES.stt).optional(),
      llm: z.enum(VENDOR_CHOICES.llm).optional(),
      tts: z.enum(VENDOR_CHOICES.tts).optional(),
    })
    .optional(),
  model: textSchema.optional(),
  voice: textSchema.optional(),
  language: z.string().regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/, 'must be a language tag such as en-US (or a vendor code such as multi)').optional(),
  greeting: textSchema.optional(),
  systemPrompt: textSchema.optional(),
  env: plainObjectSchema.optional(),
  resources: resourcesSchema.optional(),
  replicas: z.number().int().min(1).max(TEN_REPLICAS_LIMIT).optional(),
  drainTimeoutSeconds: z.number().int().min(1).max(86400).optional(),
  redis: z.unknown().optional(),
});

const LOG_PATH = '/var/log/ten_agent';

const DEFAULT_GREETING = 'Hello, I am the voice agent. How can I help?';
const DEFAULT_PROMPT =
  'You are a voice assistant in a video meeting. Answer in one or two short spoken sentences, without lists or markup. ' +
  'When a request needs an outside action, use one of your tools, and say what you did.';

/**
 * The TEN Framework voice agent, built from this repository (services/ten-agent): TEN's agent
 * server, which spawns one worker per session running our `voice_agent` graph. Each session's
 * audio comes and goes over its own websocket port in the worker range.
 *
 * Sessions live in the server's memory, keyed by channel, so `/ping` and `/stop` must reach the
 * replica that handled `/start`: its replicas are addressed one by one (`ten-agent-0`, …), and the
 * bridge, which places rooms on them, lists every one. A stopping replica drains: it marks itself
 * in Redis, takes no new session, and keeps the running ones up to `drainTimeoutSeconds`.
 */
export class TenAgent extends StackService {
  /** The graph this environment's sessions run. */
  public readonly graph: TenGraph;
  /** Seconds a session lives without a `/ping`; what a client gives `/start` as its `timeout`. */
  public readonly workerQuitTimeoutSeconds: number;
  /** The TEN Framework release the image is built from (its Dockerfile's `ARG TEN_VERSION`). */
  public readonly tenVersion: string = tenVersionOfImage();

  constructor(scope: Construct, id: string, props: TenAgentProps = {}) {
    const fail = failForNewService(scope, id);
    checkProps(tenAgentPropsSchema, props, fail);
    const workersMax = props.workersMax ?? 10;
    if (!Number.isInteger(workersMax) || workersMax < 1 || workersMax > TEN_WORKERS_LIMIT) {
      fail('workersMax', `must be an integer from 1 to ${TEN_WORKERS_LIMIT} (one websocket port each, ${TEN_WORKER_PORT_BASE}-${TEN_WORKER_PORT_BASE + TEN_WORKERS_LIMIT - 1}), got ${describeValue(workersMax)}`);
    }
    const workerQuitTimeoutSeconds = props.workerQuitTimeoutSeconds ?? 60;
    const drainTimeoutSeconds = props.drainTimeoutSeconds ?? 1800;
    const vendors: VoiceAgentVendors = { ...DEFAULT_VENDORS, ...props.vendors };
    const graph = voiceAgentGraph(vendors);
    const vendorKeys = graph.secretVariables.filter((name) => name !== AGENT_VARIABLES.mcpServerUrl);
    super(scope, id, {
      description: 'TEN Framework voice agent (STT → LLM → TTS), our graph',
      build: {
        context: 'services/ten-agent',
        dockerfile: 'Dockerfile',
        // TEN's sources and the collector come in by the versions pinned in the Dockerfile, so
        // these (with the drain step and the collector's supervisor its entrypoint runs) are the
        // whole image.
        paths: ['services/ten-agent/Dockerfile', 'services/ten-agent/drain', 'services/ten-agent/telemetry', 'services/ten-agent/tenapp'],
      },
      // TEN builds its runtime for linux/amd64 only.
      platform: 'linux/amd64',
      // It needs the speech and language vendors' keys, which a first local run may not have.
      tier: 'voice',
      ports: [
        { name: 'api', port: TEN_API_PORT, appProtocol: 'TEN API (/start, /stop, /ping)' },
        // The collector in the container serves what TEN's workers push (ten/ten-telemetry.ts).
        { name: 'metrics', port: TEN_METRICS_PORT, appProtocol: 'Prometheus metrics (TEN runtime, through the collector)' },
      ],
      metrics: { port: TEN_METRICS_PORT },
      portRanges: [{ name: TEN_WORKER_RANGE, start: TEN_WORKER_PORT_BASE, end: TEN_WORKER_PORT_BASE + Math.max(1, workersMax) - 1, appProtocol: 'WebSocket (session audio and messages)' }],
      healthCheck: {
        http: { path: '/health', port: TEN_API_PORT },
        exec: ['curl', '--fail', '--silent', '--output', '/dev/null', `http://127.0.0.1:${TEN_API_PORT}/health`],
        // tman and the Python runtime load before the server answers.
        startPeriodSeconds: 60,
      },
      env: {
        // The Go server reads SERVER_PORT, not PORT.
        SERVER_PORT: String(TEN_API_PORT),
        LOG_PATH,
        LOG_STDOUT: 'true',
        WORKERS_MAX: String(workersMax),
        WORKER_QUIT_TIMEOUT_SECONDS: String(workerQuitTimeoutSeconds),
        // The worker processes and tman need a writable home.
        HOME: '/tmp',
        AGORA_APP_ID: AGORA_APP_ID_PLACEHOLDER,
        [AGENT_VARIABLES.model]: props.model ?? 'gpt-4o-mini',
        [AGENT_VARIABLES.voice]: props.voice ?? 'pNInz6obpgDQGcFmaJgB',
        [AGENT_VARIABLES.language]: props.language ?? 'en-US',
        [AGENT_VARIABLES.greeting]: props.greeting ?? DEFAULT_GREETING,
        [AGENT_VARIABLES.systemPrompt]: props.systemPrompt ?? DEFAULT_PROMPT,
        // Read by the drain step: its mark's key, its limit, where it writes the mark.
        REPLICA_NAME: ownReplicaName(),
        DRAIN_TIMEOUT_SECONDS: String(drainTimeoutSeconds),
        ...(props.redis !== undefined ? { REDIS_URL: props.redis.connectionUrl } : {}),
        ...Object.fromEntries(vendorKeys.map((name) => [name, secret(name)])),
        // The entrypoint refuses to start, naming them, while any is empty (Compose renders them
        // with an empty default so the core runs without them).
        REQUIRED_VARIABLES: vendorKeys.join(','),
        // Read by the collector's configuration (services/ten-agent/telemetry/otelcol.yaml).
        [TEN_METRICS_PORT_VARIABLE]: String(TEN_METRICS_PORT),
      },
      replicas: props.replicas ?? 1,
      resources: props.resources ?? { cpuMillicores: 1000, memoryMiB: 2048 },
      volumes: [
        { name: 'logs', mountPath: LOG_PATH },
        { name: 'tmp', mountPath: '/tmp' },
      ],
      runAs: { uid: 1000, gid: 1000 },
      // Not tried read-only: tman and the Python workers may write next to their code.
      readOnlyRootFilesystem: false,
      // Calls the STT, LLM and TTS vendors: streaming speech over WebSocket, the model over HTTPS.
      egressToInternet: true,
      externalServices: [{ name: `speech and model vendors (${vendors.stt}, ${vendors.llm}, ${vendors.tts})`, protocol: 'HTTPS, WSS: vendor APIs' }],
      // A server knows only its own sessions, so its clients choose the server.
      addressing: 'replica',
      drain: { seconds: drainTimeoutSeconds, marginSeconds: STOP_MARGIN_SECONDS, preStop: TEN_DRAIN_COMMAND },
    });
    if (this.data.replicas > 1 && props.redis === undefined) {
      this.fail('redis', `${this.data.replicas} replicas need Redis: a draining replica marks itself there, or the bridge would keep placing rooms on it`);
    }
    this.graph = graph;
    this.workerQuitTimeoutSeconds = workerQuitTimeoutSeconds;
    // Added one by one so a literal cannot quietly replace a secret declared above.
    for (const [name, value] of Object.entries(props.env ?? {})) this.addEnv(name, value);
  }

  /**
   * Every replica's API (/start, /stop, /ping), in replica order, for the service that places
   * agents in rooms; a session's websocket listens on the same host as its replica's API.
   */
  public get apiUrls(): ServiceEndpointRef[] {
    return this.replicaUrls(TEN_API_PORT);
  }

  /** The graph name to give `/start`. */
  public get graphName(): string {
    return this.graph.name;
  }

  /** The per-session websocket ports. */
  public get workerPorts(): ServicePortRange {
    return this.data.portRanges[0] as ServicePortRange;
  }

  /** Lets `client` (the Jitsi bridge) connect to the sessions' websocket ports. */
  public allowWorkerConnections(client: StackService): void {
    this.admitToPortRange(TEN_WORKER_RANGE, client);
  }

  /** The graph against the service's final environment: every variable it reads is set, credentials from secrets. */
  public override checkComplete(): void {
    checkTenGraph(this.graph, {
      manifest: tenappManifest([this.graph]),
      appAddons: new Set([...EXAMPLE_APP_ADDONS, ...ownAppAddons()]),
      env: this.env,
      fail: (field, problem) => this.fail(`graph.${this.graph.name}.${field}`, problem),
    });
  }
}
