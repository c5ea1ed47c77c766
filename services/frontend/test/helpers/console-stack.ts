import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startFakePipedream, type FakePipedream } from '../../../mcp-server/test/fakes/fake-pipedream.ts';
import { createTestDatabase, REDIS_URL, startMcpServer, TOKENS, type RunningServer } from '../../../mcp-server/test/helpers/mcp.ts';
import type { RoomJoiner } from '../../../jitsi-agent-bridge/src/room-joiner.ts';
import type { ConfigInput as BridgeConfigInput } from '../../../jitsi-agent-bridge/src/config.ts';
import { bridgeEnv, startTestBridge, type TestBridge } from '../../../jitsi-agent-bridge/test/helpers/bridge-harness.ts';
import { ScriptedJoiner, type ScriptedJoinerOptions } from '../../../jitsi-agent-bridge/test/helpers/scripted-joiner.ts';
import { startFakeJitsi, type FakeJitsi } from '../fakes/fake-jitsi.ts';
import { startFakeTenAgent, type FakeTenAgent, type FakeTenAgentOptions } from '../../../../test/fakes/ten-agent/index.ts';
import { AGENT_BRIDGE_TOKEN, consoleEnv, JWT_APP_SECRET } from './config.ts';
import { startOidcProvider, type LocalOidcProvider } from './oidc-provider.ts';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.ts';
import { freePort } from '../../../../test/helpers/free-port.ts';
import { logLines, type LogLine } from '../../../../test/helpers/log-lines.ts';
import { GENERATED_TENAPP, VOICE_AGENT_ENV } from '../../../../test/helpers/tenapp.ts';

export const FRONTEND_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const OIDC_CLIENT = { id: 'voice-console', secret: 'oidc-client-secret-for-tests' } as const;

/** The console under test: `next start` on a free loopback port, wired to local stand-ins. */
export interface ConsoleStack {
  /** The console's origin, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  readonly databaseUrl: string;
  /** The Redis the console uses (the shared one unless the test gave its own). */
  readonly redisUrl: string;
  readonly env: Record<string, string>;
  readonly pipedream: FakePipedream;
  readonly mcp: RunningServer;
  /** The TEN agent server the bridge starts sessions on (the fake one, running the generated graph). */
  readonly ten: FakeTenAgent;
  /** The real Jitsi agent bridge (services/jitsi-agent-bridge), in this process; its logs in `bridge.logs`. */
  readonly bridge: TestBridge;
  /** Puts the bridge's agent into rooms without a browser: who is in each room, what they say. */
  readonly joiner: ScriptedJoiner;
  readonly jitsi: FakeJitsi;
  readonly oidc: LocalOidcProvider;
  /** Between the console and the MCP server, recording what the console sends; with `mcpProxy` only. */
  readonly mcpProxy: RecordingProxy | undefined;
  /** Between the console and the agent bridge, recording what the console sends; with `bridgeProxy` only. */
  readonly bridgeProxy: RecordingProxy | undefined;
  /** The `next start` process, for its memory figures. */
  readonly pid: number | undefined;
  /** Everything the console printed, stdout and stderr. */
  readonly output: () => string;
  close(): Promise<void>;
}

/**
 * What `next start` prints itself while it starts (its banner, its ready line, its warning that
 * the image runs server.js instead): Next.js's plain text, not the console's log.
 */
const NEXT_START_LINE = /^\s*(▲ Next\.js |- (Local|Network):|✓ (Starting\.\.\.|Ready in |Running next\.config)|⚠ "next start" does not work with "output: standalone")/;

/** The console's log lines in what its server printed (Next's own start lines left out); throws at a line that is not in the shared format. */
export function consoleLogLines(output: string): LogLine[] {
  return logLines(
    output.split('\n').filter((line) => !NEXT_START_LINE.test(line)),
    'console',
  );
}

/** Tells how to build when the tests run before `next build` did (npm test builds first). */
export function requireBuild(): void {
  if (!existsSync(`${FRONTEND_ROOT}.next/BUILD_ID`)) {
    throw new Error('services/frontend has no production build: run `npm run build --workspace=@voice-agent/frontend` (npm test does it first)');
  }
}

/** One `next start` of the production build. */
export interface NextServer {
  readonly url: string;
  readonly pid: number | undefined;
  /** Everything it printed, stdout and stderr. */
  readonly output: () => string;
  close(): Promise<void>;
}

/** Starts `next start` on the port with this environment and waits until it answers /api/health. */
export async function startNext(env: Record<string, string>, port: number): Promise<NextServer> {
  const next = createRequire(import.meta.url).resolve('next/dist/bin/next');
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [next, 'start', '--port', String(port), '--hostname', '127.0.0.1'], {
    cwd: FRONTEND_ROOT,
    // HOSTNAME as the image sets it for server.js: the metrics listener binds the same host.
    env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', HOSTNAME: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const close = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, child, () => output);
  } catch (error) {
    await close();
    throw error;
  }
  return { url, pid: child.pid, output: () => output, close };
}

/** A second console process on the same stores and neighbours, as another replica behind the same public URL. */
export async function startReplica(stack: ConsoleStack): Promise<NextServer> {
  return startNext(stack.env, await freePort());
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`the console exited with ${child.exitCode}:\n${output()}`);
    if (await fetch(`${url}/api/health`).then((response) => response.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the console did not answer /api/health within 30 s:\n${output()}`);
}

export interface ConsoleStackOptions {
  /** The fake TEN agent server's options, over the generated tenapp with test values for its variables. */
  readonly ten?: FakeTenAgentOptions;
  /** The bridge's environment, over the bridge harness's defaults (bridgeEnv). */
  readonly bridgeEnv?: BridgeConfigInput;
  /** Who the scripted joiner finds in each room. @default one person, Alice */
  readonly joiner?: ScriptedJoinerOptions;
  /**
   * What the bridge puts its agent into rooms with instead of the scripted joiner: the real
   * browser joiner of an end-to-end test. The stack's `joiner` is then left unused.
   * @default - the scripted joiner
   */
  readonly roomJoiner?: RoomJoiner;
  /** The TEN sessions' mcp_client uses this stack's MCP server (legacy SSE, the ten-agent token in the path). @default false */
  readonly agentUsesMcp?: boolean;
  /** Put a recording proxy between the console and the agent bridge. @default false */
  readonly bridgeProxy?: boolean;
  /** The console's environment, over the defaults. */
  readonly env?: Record<string, string>;
  /** The MCP server's environment, over its test defaults. */
  readonly mcpEnv?: Record<string, string>;
  /** A Redis of the test's own for the console (the MCP server keeps the shared one). @default the shared Redis */
  readonly redisUrl?: string;
  /** A database of the test's own for the console's history (the MCP server gets a fresh one on the shared server). @default a fresh database on the shared server */
  readonly databaseUrl?: string;
  /** Put a recording proxy between the console and the MCP server. @default false */
  readonly mcpProxy?: boolean;
}

/**
 * Starts the console's whole neighbourhood: the real MCP server (services/mcp-server) with its
 * fake Pipedream, the real Jitsi agent bridge (services/jitsi-agent-bridge) with a scripted
 * joiner in place of its browser and the fake TEN agent server running the generated graph
 * behind it, a stand-in for Jitsi's external_api.js, a local OpenID provider, one fresh Postgres
 * database, the shared Redis, then `next start` against them.
 */
export async function startConsoleStack(options: ConsoleStackOptions = {}): Promise<ConsoleStack> {
  requireBuild();
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const database = await createTestDatabase();
    closers.push(database.drop);
    const pipedream = await startFakePipedream();
    closers.push(() => pipedream.close());
    const mcp = await startMcpServer({ fake: pipedream, databaseUrl: database.url, ...(options.mcpEnv !== undefined ? { env: options.mcpEnv } : {}) });
    closers.push(() => mcp.close());
    const mcpProxy = options.mcpProxy === true ? await startRecordingProxy(mcp.url) : undefined;
    if (mcpProxy !== undefined) closers.push(() => mcpProxy.close());
    // The generated graph, so a session has websocket_server for the bridge and transcripts for the page.
    const agentEnv = options.agentUsesMcp === true ? { ...VOICE_AGENT_ENV, MCP_SERVER_URL: `${mcp.url}/sse/${TOKENS.tenAgent}` } : VOICE_AGENT_ENV;
    const ten = await startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env: agentEnv, ...options.ten, script: { voice: 'chirp', ...options.ten?.script } });
    closers.push(() => ten.close());
    const jitsi = await startFakeJitsi();
    closers.push(() => jitsi.close());
    const joiner = new ScriptedJoiner(options.joiner);
    const bridge = await startTestBridge(
      options.roomJoiner ?? joiner,
      await bridgeEnv(ten.url, { BRIDGE_API_TOKEN: AGENT_BRIDGE_TOKEN, JITSI_URL: jitsi.url, JWT_APP_SECRET, LOG_LEVEL: 'info', ...options.bridgeEnv }),
    );
    closers.push(() => bridge.close());
    const bridgeProxy = options.bridgeProxy === true ? await startRecordingProxy(bridge.bridge.url) : undefined;
    if (bridgeProxy !== undefined) closers.push(() => bridgeProxy.close());
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const oidc = await startOidcProvider({
      clientId: OIDC_CLIENT.id,
      clientSecret: OIDC_CLIENT.secret,
      redirectUris: [`${url}/api/auth/callback`],
      postLogoutRedirectUris: [`${url}/`],
    });
    closers.push(() => oidc.close());

    const env = consoleEnv({
      PUBLIC_URL: url,
      OIDC_ISSUER: oidc.issuer,
      OIDC_CLIENT_ID: OIDC_CLIENT.id,
      OIDC_CLIENT_SECRET: OIDC_CLIENT.secret,
      DATABASE_URL: options.databaseUrl ?? database.url,
      REDIS_URL: options.redisUrl ?? REDIS_URL,
      MCP_SERVER_URL: `${(mcpProxy ?? mcp).url}/mcp`,
      AGENT_BRIDGE_URL: (bridgeProxy ?? bridge.bridge).url,
      JITSI_PUBLIC_URL: jitsi.url,
      LOG_LEVEL: 'info',
      // Test files run side by side on one Redis, all from 127.0.0.1: at the default per-address
      // limit they would throttle each other's anonymous requests. rate-limits.test.ts sets its own.
      RATE_LIMIT_ADDRESS_PER_MINUTE: '1000',
      ...options.env,
    });
    const server = await startNext(env, port);
    closers.push(server.close);
    return {
      url,
      databaseUrl: env['DATABASE_URL'] ?? database.url,
      redisUrl: env['REDIS_URL'] ?? REDIS_URL,
      env,
      pipedream,
      mcp,
      ten,
      bridge,
      joiner,
      jitsi,
      oidc,
      mcpProxy,
      bridgeProxy,
      pid: server.pid,
      output: server.output,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
