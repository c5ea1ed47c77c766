import type { Construct } from 'constructs';
import { z } from 'zod';
import type { JitsiAgentBridge } from './jitsi-agent-bridge.ts';
import type { JitsiMeet } from './jitsi-meet.ts';
import type { McpServer } from './mcp-server.ts';
import type { Postgres } from './postgres.ts';
import { checkProps, failForNewService } from './props-check.ts';
import { secret } from './references.ts';
import type { Redis } from './redis.ts';
import { resourcesSchema, type ResourcesProps } from './service-props.ts';
import { nodeHttpHealthCheck } from './node-health-check.ts';
import { StackService } from './stack-service.ts';

/** Properties of `Frontend`. */
export interface FrontendProps {
  /**
   * The OpenID Connect issuer users sign in with (discovery at
   * `<issuer>/.well-known/openid-configuration`), e.g. `https://auth.example.com/realms/voice-agent`.
   */
  readonly oidcIssuer: string;
  /** The console's client id at that issuer; its secret is the Doppler secret OIDC_CLIENT_SECRET. */
  readonly oidcClientId: string;
  /** Keeps conversation history. */
  readonly postgres: Postgres;
  /** Keeps sign-in state between requests and replicas. */
  readonly redis: Redis;
  /** Gives the console the agent's tools, called as the signed-in user. */
  readonly mcpServer: McpServer;
  /** Starts, stops and watches the voice agent in a room. */
  readonly agentBridge: JitsiAgentBridge;
  /** The meeting the console embeds and signs room tokens for. */
  readonly jitsi: JitsiMeet;
  /** Sessions live in a signed cookie and Redis, so any number of replicas works. @default 1 */
  readonly replicas?: number;
  /** @default - 250 millicores, 384 MiB */
  readonly resources?: ResourcesProps;
}

// The services it uses are typed references the stack passes in; they are checked where they are used.
const frontendPropsSchema = z.strictObject({
  oidcIssuer: z.string(),
  oidcClientId: z.string(),
  postgres: z.unknown(),
  redis: z.unknown(),
  mcpServer: z.unknown(),
  agentBridge: z.unknown(),
  jitsi: z.unknown(),
  replicas: z.number().optional(),
  resources: resourcesSchema.optional(),
});

const PORT = 3000;
/** The private listener of the console's Prometheus metrics (services/frontend instrumentation.ts). */
const METRICS_PORT = 9464;
/** The `node` user of the official Node image. */
const NODE_UID = 1000;
/** Where the Next.js standalone server lives in the image (built from the repository root). */
const APP_DIR = '/app/services/frontend';

/**
 * The voice console (services/frontend), the stack's front door: users sign in with OpenID
 * Connect, join a Jitsi room embedded from jitsi-web, start the voice agent in it, and use the MCP
 * server's tools. Browsers reach it and Jitsi; the console itself reaches the MCP server, the Jitsi
 * agent bridge (which runs the agent in rooms), Postgres and Redis.
 */
export class Frontend extends StackService {
  constructor(scope: Construct, id: string, props: FrontendProps) {
    checkProps(frontendPropsSchema, props, failForNewService(scope, id));
    super(scope, id, {
      description: 'Voice console: sign-in, Jitsi room, agent control, tools',
      // Built from the repository root, so the workspace's one lock file pins its dependencies.
      build: {
        context: '.',
        // Its image installs only this workspace's dependencies: others' upgrades do not rebuild it.
        npmWorkspace: { path: 'services/frontend', devDependencies: true },
        dockerfile: 'services/frontend/Dockerfile',
        // Exactly what the image is made of: its tests or README changing redeploys nothing.
        paths: [
          'package.json',
          'package-lock.json',
          'services/frontend/Dockerfile',
          'services/frontend/package.json',
          'services/frontend/next.config.ts',
          'services/frontend/tsconfig.json',
          'services/frontend/instrumentation.ts',
          'services/frontend/app',
          'services/frontend/components',
          'services/frontend/lib',
          'services/frontend/public',
        ],
      },
      ports: [
        { name: 'http', port: PORT, exposure: 'public', appProtocol: 'voice console' },
        // The console's port is public, so its metrics have a listener of their own.
        { name: 'metrics', port: METRICS_PORT, appProtocol: 'Prometheus metrics' },
      ],
      healthCheck: nodeHttpHealthCheck(PORT, '/api/health'),
      metrics: { port: METRICS_PORT },
      env: {
        PORT: String(PORT),
        METRICS_PORT: String(METRICS_PORT),
        // The Next.js standalone server listens on HOSTNAME, which container runtimes otherwise
        // set to the container's name.
        HOSTNAME: '::',
        OIDC_ISSUER: props.oidcIssuer,
        OIDC_CLIENT_ID: props.oidcClientId,
        OIDC_CLIENT_SECRET: secret('OIDC_CLIENT_SECRET'),
        SESSION_SECRET: secret('CONSOLE_SESSION_SECRET'),
        DATABASE_URL: props.postgres.connectionUrl,
        REDIS_URL: props.redis.connectionUrl,
        MCP_SERVER_URL: props.mcpServer.streamableHttpUrl,
        // The MCP server knows this token as caller "console", whose calls may name a user.
        MCP_CONSOLE_TOKEN: secret('MCP_CONSOLE_TOKEN'),
        // The agent joins and leaves rooms through the bridge, which owns its TEN sessions.
        AGENT_BRIDGE_URL: props.agentBridge.apiUrl,
        AGENT_BRIDGE_TOKEN: secret('AGENT_BRIDGE_TOKEN'),
        // Browsers load Jitsi from here; the console never connects to it itself.
        JITSI_PUBLIC_URL: props.jitsi.web.publicUrl(),
        // Room tokens carry exactly the claims prosody checks, read from the JitsiMeet construct.
        JITSI_JWT_APP_ID: props.jitsi.jwtAppId,
        JITSI_JWT_AUDIENCE: props.jitsi.jwtAudience,
        JITSI_JWT_SUBJECT: props.jitsi.xmppDomain,
        // The key prosody verifies room tokens with.
        JWT_APP_SECRET: secret('JWT_APP_SECRET'),
        LOG_LEVEL: 'info',
      },
      replicas: props.replicas ?? 1,
      resources: props.resources ?? { cpuMillicores: 250, memoryMiB: 384 },
      // Next.js writes its image and fetch caches next to the build at run time.
      volumes: [
        { name: 'tmp', mountPath: '/tmp' },
        { name: 'next-cache', mountPath: `${APP_DIR}/.next/cache` },
      ],
      runAs: { uid: NODE_UID, gid: NODE_UID },
      // The OpenID Connect issuer.
      egressToInternet: true,
      externalServices: [{ name: 'identity provider', protocol: `${issuerScheme(props.oidcIssuer)}: OpenID Connect` }],
    });
    this.checkOidcIssuer(props.oidcIssuer);
    if (props.oidcClientId.trim() === '') this.fail('env.OIDC_CLIENT_ID', 'give the console\'s client id at the OpenID Connect issuer');
    // Sign-in redirects come back to the console's own public address, however the target serves it.
    this.addEnv('PUBLIC_URL', this.publicUrl());
  }

  /** The issuer is an http(s) URL without query or fragment (OpenID Connect Discovery 1.0, section 2). */
  private checkOidcIssuer(issuer: string): void {
    let url: URL;
    try {
      url = new URL(issuer);
    } catch {
      this.fail('env.OIDC_ISSUER', `"${issuer}" is not a URL; give the issuer of your identity provider, e.g. https://auth.example.com/realms/voice-agent`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') this.fail('env.OIDC_ISSUER', `"${issuer}" must be an http(s) URL`);
    if (url.search !== '' || url.hash !== '') this.fail('env.OIDC_ISSUER', `"${issuer}" must not have a query or fragment`);
  }
}

/** `HTTPS` or `HTTP`, as the issuer's URL says; checkOidcIssuer refuses any other. */
function issuerScheme(issuer: string): string {
  return /^http:/i.test(issuer) ? 'HTTP' : 'HTTPS';
}
