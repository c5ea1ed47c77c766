import type { Construct } from 'constructs';
import { TEN_VERSION } from '../environments/versions.ts';
import { secret, type EnvValue, type ServiceEndpointRef } from './references.ts';
import type { ResourcesProps } from './service-props.ts';
import { StackService } from './stack-service.ts';

/** Properties of `TenAgent`. */
export interface TenAgentProps {
  /** Concurrent agent sessions before the server answers 429. @default 10 */
  readonly workersMax?: number;
  /** Seconds a session lives without a `/ping`. @default 60 */
  readonly workerQuitTimeoutSeconds?: number;
  /** Chat model of the voice-assistant graph. @default 'gpt-4o-mini' */
  readonly openaiModel?: string;
  /** Extra variables, e.g. MCP_SERVER_URL once the MCP server exists. @default - none */
  readonly env?: Record<string, EnvValue>;
  /** @default - 1000 millicores, 2048 MiB (each session runs an STT → LLM → TTS worker) */
  readonly resources?: ResourcesProps;
}

/** The agent server's HTTP API: /start, /stop, /ping, /health. */
export const TEN_API_PORT = 8080;
/** The playground UI bundled in the same image; kept private. */
export const TEN_PLAYGROUND_PORT = 3000;
const LOG_PATH = '/var/log/ten_agent';

/**
 * The TEN Framework voice agent: TEN's combined voice-assistant image, running the agent server
 * (which spawns one STT → LLM → TTS worker per session) and its playground.
 *
 * Sessions live in the server's memory, keyed by channel, so `/ping` and `/stop` must reach the
 * replica that handled `/start`: it runs as exactly one replica.
 */
export class TenAgent extends StackService {
  constructor(scope: Construct, id: string, props: TenAgentProps = {}) {
    super(scope, id, {
      description: 'TEN Framework voice agent (STT → LLM → TTS)',
      image: `ghcr.io/ten-framework/ten_agent_example_voice_assistant:${TEN_VERSION}`,
      // TEN publishes this image for linux/amd64 only.
      platform: 'linux/amd64',
      ports: [
        { name: 'api', port: TEN_API_PORT },
        { name: 'playground', port: TEN_PLAYGROUND_PORT },
      ],
      healthCheck: {
        http: { path: '/health', port: TEN_API_PORT },
        exec: ['curl', '--fail', '--silent', '--output', '/dev/null', `http://127.0.0.1:${TEN_API_PORT}/health`],
        // The image starts the Go server, tman and the Next.js playground before answering.
        startPeriodSeconds: 60,
      },
      env: {
        // The Go server reads SERVER_PORT and ignores PORT; the playground reads PORT. Setting
        // both stops a platform-injected PORT (Railway) from moving the playground onto 8080.
        SERVER_PORT: String(TEN_API_PORT),
        PORT: String(TEN_PLAYGROUND_PORT),
        LOG_PATH,
        LOG_STDOUT: 'true',
        WORKERS_MAX: String(props.workersMax ?? 10),
        WORKER_QUIT_TIMEOUT_SECONDS: String(props.workerQuitTimeoutSeconds ?? 60),
        // The worker processes and tman need a writable home.
        HOME: '/tmp',
        AGORA_APP_ID: secret('AGORA_APP_ID'),
        OPENAI_API_KEY: secret('OPENAI_API_KEY'),
        OPENAI_MODEL: props.openaiModel ?? 'gpt-4o-mini',
        DEEPGRAM_API_KEY: secret('DEEPGRAM_API_KEY'),
        ELEVENLABS_TTS_KEY: secret('ELEVENLABS_TTS_KEY'),
      },
      replicas: 1,
      resources: props.resources ?? { cpuMillicores: 1000, memoryMiB: 2048 },
      volumes: [
        { name: 'logs', mountPath: LOG_PATH },
        { name: 'tmp', mountPath: '/tmp' },
      ],
      // The image runs as root by default and was not built for a read-only root: bun, Next.js
      // and the Python workers write caches next to their code.
      runAs: { uid: 1000, gid: 1000 },
      readOnlyRootFilesystem: false,
      // Calls the STT, LLM and TTS vendors and Agora.
      egressToInternet: true,
      // A second server would not know the first one's sessions.
      rollout: 'recreate',
    });
    // Added one by one so a literal cannot quietly replace a secret declared above.
    for (const [name, value] of Object.entries(props.env ?? {})) this.addEnv(name, value);
    if (this.data.replicas > 1) {
      this.fail('replicas', `the TEN agent server keeps sessions in memory, so it must run 1 replica, got ${this.data.replicas}`);
    }
  }

  /** The agent server's API (/start, /stop, /ping), for the service that starts agents in rooms. */
  public get apiUrl(): ServiceEndpointRef {
    return this.url(TEN_API_PORT);
  }
}
