import { createRequire } from 'node:module';
import { join } from 'node:path';
import { replicaName } from '../constructs/index.ts';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { TENAPP_DIR } from '../constructs/ten/tenapp.ts';
import { FAKE_PIPEDREAM_PROJECT } from '../services/mcp-server/test/fakes/fake-pipedream.ts';
import { writeDevCatalog } from './dev-catalog.ts';
import { fromImage } from './image-paths.ts';
import { DevSecrets, testUserPassword } from './dev-secrets.ts';
import { developmentServices, serviceNamed } from './development-model.ts';
import { STAND_IN_OPTIONS } from './fakes/run-stand-in.ts';
import { nativeEnvironment } from './native-environment.ts';
import { localUrl, nativePlacement } from './native-placement.ts';
import type { Readiness } from './readiness.ts';
import { DEV_PROCESSES, type DevProcess, type DevSettings } from './settings.ts';
import type { ChildSpec } from './supervisor.ts';

/** What each process needs running first: it is started after them, and `--only` brings them along. */
export const NEEDS: Readonly<Record<DevProcess, readonly DevProcess[]>> = {
  pipedream: [],
  'identity-provider': [],
  'jitsi-web': [],
  'jitsi-embed': [],
  'mcp-server': ['pipedream'],
  // Each session's MCP client connects to the MCP server (legacy SSE, its token in the path).
  'ten-agent': ['mcp-server'],
  'jitsi-agent-bridge': ['ten-agent', 'jitsi-web'],
  frontend: ['mcp-server', 'jitsi-agent-bridge', 'identity-provider', 'jitsi-embed'],
};

/** The test user the identity provider signs in; the password is made at every start. */
export const TEST_USER = 'dev-user';

export interface StackPlan {
  readonly children: readonly ChildSpec[];
  readonly testUser: { readonly name: string; readonly password: string };
  /** The TEN sessions' websocket ports, for the preflight. */
  readonly tenWorkerPorts: readonly number[];
  /** The console's metrics listener, for the preflight; undefined when the console is not started or its metrics are off. */
  readonly frontendMetricsPort: number | undefined;
}

/** `only` and what it needs, in start order; every process without it. */
export function processesFor(only: DevProcess | undefined): DevProcess[] {
  if (only === undefined) return [...DEV_PROCESSES];
  const wanted = new Set<DevProcess>();
  const add = (name: DevProcess) => {
    if (wanted.has(name)) return;
    wanted.add(name);
    NEEDS[name].forEach(add);
  };
  add(only);
  return DEV_PROCESSES.filter((name) => wanted.has(name));
}

/**
 * What `npm run dev` starts: each of our services as its own process, natively, with the
 * environment the development model gives it (see nativeEnvironment), changed only where running
 * natively changes it (addresses, ports, files under the image's /app, the stand-ins' URLs); and
 * the stand-ins for what cannot run here. `scratch` is a directory for this run's files.
 */
export async function planStack(settings: DevSettings, processes: readonly DevProcess[], scratch: string): Promise<StackPlan> {
  const services = await developmentServices();
  const secrets = new DevSecrets({
    PIPEDREAM_CLIENT_ID: FAKE_PIPEDREAM_PROJECT.clientId,
    PIPEDREAM_CLIENT_SECRET: FAKE_PIPEDREAM_PROJECT.clientSecret,
    PIPEDREAM_PROJECT_ID: FAKE_PIPEDREAM_PROJECT.projectId,
  });
  const placement = nativePlacement(settings, secrets);
  const url = (name: DevProcess) => localUrl(settings, name);
  const port = (name: DevProcess) => String(settings.ports[name]);
  const testUser = { name: TEST_USER, password: testUserPassword() };

  const mcp = nativeEnvironment(serviceNamed(services, 'mcp-server'), placement);
  const bridge = nativeEnvironment(serviceNamed(services, 'jitsi-agent-bridge'), placement);
  // The one TEN stand-in is the model's first replica.
  const ten = nativeEnvironment(serviceNamed(services, 'ten-agent'), placement, replicaName('ten-agent', 0));
  const frontend = nativeEnvironment(serviceNamed(services, 'frontend'), placement);
  const tenWorkerPorts = settings.tenWorkerPorts ?? required(bridge, 'TEN_WORKER_PORTS', 'jitsi-agent-bridge');
  const frontendMetricsPort = String(settings.frontendMetricsPort ?? required(frontend, 'METRICS_PORT', 'frontend'));

  const node = (script: string, extra: Record<string, string> = {}) => ({ command: process.execPath, args: ['--import', 'tsx', script], cwd: REPO_ROOT, env: { ...baseEnvironment(), ...extra } });
  const standIn = (script: string, options: unknown) => node(script, { [STAND_IN_OPTIONS]: JSON.stringify(options) });
  const ready = (name: DevProcess, path: string, answer: Readiness['answer'] = 'ok', timeoutSeconds = 60): Readiness => ({ url: `${url(name)}${path}`, answer, timeoutSeconds });

  const all: Record<DevProcess, Omit<ChildSpec, 'name' | 'after'>> = {
    pipedream: {
      ...standIn('dev/fakes/pipedream.ts', { port: settings.ports.pipedream }),
      readiness: ready('pipedream', '/', 'any'),
      listensAt: url('pipedream'),
      about: 'stand-in for Pipedream: OAuth, Connect, and every workflow of the catalog (it answers with what it was sent)',
    },
    'identity-provider': {
      ...standIn('dev/fakes/identity-provider.ts', {
        port: settings.ports['identity-provider'],
        clientId: required(frontend, 'OIDC_CLIENT_ID', 'frontend'),
        clientSecret: secrets.get('OIDC_CLIENT_SECRET'),
        redirectUris: [`${url('frontend')}/api/auth/callback`],
        postLogoutRedirectUris: [`${url('frontend')}/`],
        users: { [testUser.name]: testUser.password },
      }),
      readiness: ready('identity-provider', '/.well-known/openid-configuration'),
      listensAt: url('identity-provider'),
      about: `stand-in OpenID Connect provider; test user "${testUser.name}", password "${testUser.password}"`,
    },
    'jitsi-web': {
      ...standIn('dev/fakes/jitsi-web.ts', {
        port: settings.ports['jitsi-web'],
        secret: secrets.get('JWT_APP_SECRET'),
        appId: required(bridge, 'JITSI_JWT_APP_ID', 'jitsi-agent-bridge'),
        audience: required(bridge, 'JITSI_JWT_AUDIENCE', 'jitsi-agent-bridge'),
        xmppDomain: required(bridge, 'JITSI_XMPP_DOMAIN', 'jitsi-agent-bridge'),
        mucDomain: required(bridge, 'JITSI_MUC_DOMAIN', 'jitsi-agent-bridge'),
        xmppWebSocket: bridge['JITSI_XMPP_TRANSPORT'] !== 'bosh',
      }),
      readiness: ready('jitsi-web', '/libs/lib-jitsi-meet.min.js'),
      listensAt: url('jitsi-web'),
      about: 'stand-in for jitsi-web as the bridge reaches it: lib-jitsi-meet and XMPP, room tokens checked as prosody does',
    },
    'jitsi-embed': {
      ...standIn('dev/fakes/jitsi-embed.ts', { port: settings.ports['jitsi-embed'] }),
      readiness: ready('jitsi-embed', '/external_api.js'),
      listensAt: url('jitsi-embed'),
      about: 'stand-in for jitsi-web as a browser loads it: the IFrame API script, a room shown as a plain box',
    },
    'ten-agent': {
      ...standIn('dev/fakes/ten-agent.ts', {
        port: settings.ports['ten-agent'],
        tenappDir: join(REPO_ROOT, TENAPP_DIR),
        env: { ...ten, LOG_PATH: join(scratch, 'ten-agent') },
        workersMax: Number(required(ten, 'WORKERS_MAX', 'ten-agent')),
        workerQuitTimeoutSeconds: Number(required(ten, 'WORKER_QUIT_TIMEOUT_SECONDS', 'ten-agent')),
        logPath: join(scratch, 'ten-agent'),
        logStdout: ten['LOG_STDOUT'] === 'true',
      }),
      readiness: ready('ten-agent', '/health'),
      listensAt: url('ten-agent'),
      about: `stand-in for the TEN agent server (test/fakes/ten-agent): the generated graph, one worker per session on ports ${tenWorkerPorts}`,
    },
    'mcp-server': {
      ...node('services/mcp-server/src/main.ts', {
        ...mcp,
        HOST: '127.0.0.1',
        PORT: port('mcp-server'),
        MCP_ALLOWED_ORIGINS: onPort(mcp['MCP_ALLOWED_ORIGINS'], mcp['PORT'], port('mcp-server')),
        TOOL_CATALOG: writeDevCatalog(fromImage(required(mcp, 'TOOL_CATALOG', 'mcp-server')), url('pipedream'), scratch),
        PIPEDREAM_BASE_URL: url('pipedream'),
      }),
      readiness: ready('mcp-server', '/ready'),
      listensAt: `${url('mcp-server')}/mcp`,
      about: 'services/mcp-server (src/main.ts); the TEN agent at /sse/<its token>',
    },
    'jitsi-agent-bridge': {
      ...node('services/jitsi-agent-bridge/src/main.ts', {
        ...withoutHome(bridge),
        HOST: '127.0.0.1',
        PORT: port('jitsi-agent-bridge'),
        BRIDGE_ALLOWED_ORIGINS: onPort(bridge['BRIDGE_ALLOWED_ORIGINS'], bridge['PORT'], port('jitsi-agent-bridge')),
        TEN_WORKER_PORTS: tenWorkerPorts,
        CHROMIUM_PATH: settings.chromiumPath,
        // Without a container's CPU quota the check reads the whole machine's idle CPU, which an
        // editor, a browser and next dev's compiles take: it would refuse rooms for their sake.
        ADMISSION_MIN_FREE_CPU: '0',
      }),
      readiness: ready('jitsi-agent-bridge', '/ready'),
      listensAt: url('jitsi-agent-bridge'),
      about: `services/jitsi-agent-bridge (src/main.ts), with headless Chromium (${settings.chromiumPath}) for the agent's rooms`,
    },
    frontend: {
      command: process.execPath,
      args: [createRequire(import.meta.url).resolve('next/dist/bin/next'), 'dev', '--port', port('frontend'), '--hostname', '127.0.0.1'],
      cwd: join(REPO_ROOT, 'services/frontend'),
      env: {
        ...baseEnvironment(),
        ...frontend,
        PORT: port('frontend'),
        // next dev listens where --hostname says; the console's metrics listener binds HOSTNAME
        // (instrumentation.ts), here loopback like every other process.
        HOSTNAME: '127.0.0.1',
        METRICS_PORT: frontendMetricsPort,
        OIDC_ISSUER: url('identity-provider'),
        NEXT_TELEMETRY_DISABLED: '1',
      },
      // next dev compiles /api/ready on its first request.
      readiness: ready('frontend', '/api/ready', 'ok', 300),
      listensAt: url('frontend'),
      about: `services/frontend (next dev): the voice console; sign in as "${testUser.name}", password "${testUser.password}"${frontendMetricsPort === '0' ? '' : `; metrics at http://127.0.0.1:${frontendMetricsPort}/metrics`}`,
    },
  };
  return {
    children: processes.map((name) => ({ name, after: NEEDS[name].filter((need) => processes.includes(need)), ...all[name] })),
    testUser,
    tenWorkerPorts: portRange(tenWorkerPorts),
    frontendMetricsPort: processes.includes('frontend') && frontendMetricsPort !== '0' ? Number(frontendMetricsPort) : undefined,
  };
}

/** What every process gets from ours: enough to find programs, a home and a temporary directory. */
function baseEnvironment(): Record<string, string> {
  const passed = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TMPDIR', 'TERM'];
  return Object.fromEntries(passed.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name] as string]])));
}

function required(environment: Readonly<Record<string, string>>, variable: string, service: string): string {
  const value = environment[variable];
  if (value === undefined || value === '') throw new Error(`the development model gives ${service} no ${variable}, which npm run dev needs (dev/stack-plan.ts)`);
  return value;
}

/** A service's own origins name the port it listens on, which differs here. */
function onPort(origins: string | undefined, modelPort: string | undefined, nativePort: string): string {
  if (origins === undefined || modelPort === undefined) return origins ?? '';
  return origins
    .split(',')
    .map((origin) => origin.replace(new RegExp(`:${modelPort}$`), `:${nativePort}`))
    .join(',');
}

/** The image's HOME is /tmp, its one writable directory; natively the user's own serves Chromium's profile. */
function withoutHome(environment: Record<string, string>): Record<string, string> {
  return withoutKeys(environment, ['HOME']);
}

function withoutKeys(environment: Record<string, string>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).filter(([key]) => !keys.includes(key)));
}

function portRange(range: string): number[] {
  const [first = 0, last = first] = range.split('-').map(Number);
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, index) => first + index);
}
