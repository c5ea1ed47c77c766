import type { Construct } from 'constructs';
import { z } from 'zod';
import type { Postgres } from './postgres.ts';
import { checkProps, failForNewService } from './props-check.ts';
import { interpolate, secret, uniqueList, type EnvValue, type ServiceEndpointRef } from './references.ts';
import type { Redis } from './redis.ts';
import { resourcesSchema, type ResourcesProps } from './service-props.ts';
import { mcpSdkVersionOfImage } from './mcp-sdk-version.ts';
import { nodeHttpHealthCheck } from './node-health-check.ts';
import { StackService } from './stack-service.ts';

/** Properties of `McpServer`. */
export interface McpServerProps {
  /** Holds the audit log of every tool call. */
  readonly postgres: Postgres;
  /** Routes legacy SSE messages between replicas. */
  readonly redis: Redis;
  /** Stateless at /mcp, so any number of replicas works without affinity. @default 1 */
  readonly replicas?: number;
  /**
   * Seconds a stopping replica keeps serving the legacy SSE streams it holds (a TEN session's
   * tools, for the whole call) before it closes them; meanwhile new streams go to other replicas.
   * @default 1800
   */
  readonly sseDrainTimeoutSeconds?: number;
  /** The Pipedream project environment Connect actions run in. @default 'production' */
  readonly pipedreamEnvironment?: 'development' | 'production';
  /** @default - 250 millicores, 256 MiB */
  readonly resources?: ResourcesProps;
}

const mcpServerPropsSchema = z.strictObject({
  postgres: z.unknown(),
  redis: z.unknown(),
  replicas: z.number().optional(),
  sseDrainTimeoutSeconds: z.number().int().min(0).max(86400).optional(),
  pipedreamEnvironment: z.enum(['development', 'production']).optional(),
  resources: resourcesSchema.optional(),
});

const PORT = 8080;
/** Tool calls still running after the SSE drain get this long (the server's SHUTDOWN_TIMEOUT_MS). */
const TOOL_DRAIN_SECONDS = 15;
/** After both drains: flushing the audit log and closing the listener. */
const STOP_MARGIN_SECONDS = 10;
/** The `node` user of the official Node image. */
const NODE_UID = 1000;

/**
 * The MCP server (services/mcp-server): the catalog of Pipedream workflows and Connect actions
 * as MCP tools. Private: the console reaches it with a bearer token at /mcp, the TEN agent with
 * its token in the legacy SSE URL.
 */
export class McpServer extends StackService {
  /** The MCP SDK release the image is built with (`@modelcontextprotocol/server` in its package.json). */
  public readonly sdkVersion: string = mcpSdkVersionOfImage();

  constructor(scope: Construct, id: string, props: McpServerProps) {
    checkProps(mcpServerPropsSchema, props, failForNewService(scope, id));
    const sseDrainTimeoutSeconds = props.sseDrainTimeoutSeconds ?? 1800;
    super(scope, id, {
      description: 'MCP server: Pipedream workflows and actions as tools',
      // Built from the repository root, so the workspace's one lock file pins its dependencies.
      build: {
        context: '.',
        // Its image installs only this workspace's dependencies: others' upgrades do not rebuild it.
        npmWorkspace: { path: 'services/mcp-server', devDependencies: false },
        dockerfile: 'services/mcp-server/Dockerfile',
        // Exactly what the image is made of: its tests or README changing redeploys nothing.
        paths: [
          'package.json',
          'package-lock.json',
          'services/mcp-server/Dockerfile',
          'services/mcp-server/package.json',
          'services/mcp-server/src',
          'services/mcp-server/catalog',
        ],
      },
      ports: [{ name: 'http', port: PORT, appProtocol: 'MCP' }],
      healthCheck: nodeHttpHealthCheck(PORT, '/health'),
      // Its only port is private already.
      metrics: { port: PORT },
      env: {
        PORT: String(PORT),
        HOST: '::',
        // Caller names decide the Connect user: the console names the signed-in user, the agent acts as itself.
        MCP_AUTH_TOKENS: interpolate`ten-agent:${secret('MCP_TEN_AGENT_TOKEN')},console:${secret('MCP_CONSOLE_TOKEN')}`,
        MCP_TRUSTED_CALLERS: 'console',
        TOOL_CATALOG: '/app/services/mcp-server/catalog/tools.yaml',
        DATABASE_URL: props.postgres.connectionUrl,
        REDIS_URL: props.redis.connectionUrl,
        PIPEDREAM_CLIENT_ID: secret('PIPEDREAM_CLIENT_ID'),
        PIPEDREAM_CLIENT_SECRET: secret('PIPEDREAM_CLIENT_SECRET'),
        PIPEDREAM_PROJECT_ID: secret('PIPEDREAM_PROJECT_ID'),
        PIPEDREAM_PROJECT_ENVIRONMENT: props.pipedreamEnvironment ?? 'production',
        PIPEDREAM_WORKFLOW_TOKEN: secret('PIPEDREAM_WORKFLOW_TOKEN'),
        LOG_LEVEL: 'info',
        SSE_DRAIN_TIMEOUT_SECONDS: String(sseDrainTimeoutSeconds),
        SHUTDOWN_TIMEOUT_MS: String(TOOL_DRAIN_SECONDS * 1000),
      },
      replicas: props.replicas ?? 1,
      resources: props.resources ?? { cpuMillicores: 250, memoryMiB: 256 },
      volumes: [{ name: 'tmp', mountPath: '/tmp' }],
      runAs: { uid: NODE_UID, gid: NODE_UID },
      // Pipedream's API and workflow endpoints.
      egressToInternet: true,
      externalServices: [{ name: 'Pipedream', protocol: 'HTTPS: Connect API and workflows' }],
      // Its SSE streams first, then the tool calls still running.
      drain: { seconds: sseDrainTimeoutSeconds + TOOL_DRAIN_SECONDS, marginSeconds: STOP_MARGIN_SECONDS },
    });
    // The Host names callers use on the private network, however the target spells it, and the
    // loopback names a port-forward or a health probe uses. Origins are the server's own: a page
    // of another origin (DNS rebinding included) never gets a tool call through.
    const hosts = [this.host(PORT), id, 'localhost', '127.0.0.1', '[::1]'];
    this.addEnv('MCP_ALLOWED_HOSTS', uniqueList(hosts));
    this.addEnv('MCP_ALLOWED_ORIGINS', uniqueList(hosts.map((host) => interpolate`http://${host}:${PORT}`)));
  }

  /** The Streamable HTTP endpoint, for callers that send a bearer token. */
  public get streamableHttpUrl(): ServiceEndpointRef {
    return this.url(PORT, { path: '/mcp' });
  }

  /**
   * The legacy SSE endpoint for a caller whose client cannot send headers (the TEN agent's
   * mcp_client_python): its token, a Doppler secret, goes in the path.
   */
  public sseUrl(tokenSecret: string): EnvValue {
    return interpolate`${this.url(PORT)}/sse/${secret(tokenSecret)}`;
  }
}
