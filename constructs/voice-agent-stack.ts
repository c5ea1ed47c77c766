import { Construct } from 'constructs';
import { z } from 'zod';
import { Frontend, type FrontendProps } from './frontend.ts';
import { JitsiAgentBridge, type JitsiAgentBridgeProps } from './jitsi-agent-bridge.ts';
import { JitsiMeet, type JitsiMeetProps } from './jitsi-meet.ts';
import { McpServer, type McpServerProps } from './mcp-server.ts';
import { Postgres, type PostgresProps } from './postgres.ts';
import { checkProps, failForNewConstruct, plainObjectSchema } from './props-check.ts';
import { Redis, type RedisProps } from './redis.ts';
import { TenAgent, type TenAgentProps } from './ten-agent.ts';

/** Properties of `VoiceAgentStack`. */
export interface VoiceAgentStackProps {
  /** Jitsi Meet settings; `version` and `advertiseIps` have no default. */
  readonly jitsi: JitsiMeetProps;
  /** @default - TenAgent defaults */
  readonly tenAgent?: Omit<TenAgentProps, 'redis'>;
  /** Postgres settings; `version` has no default. */
  readonly postgres: PostgresProps;
  /** Redis settings; `version` has no default. */
  readonly redis: RedisProps;
  /** @default - one replica, Pipedream production */
  readonly mcpServer?: Omit<McpServerProps, 'postgres' | 'redis'>;
  /** @default - JitsiAgentBridge defaults (12 rooms, or fewer where the TEN agent has fewer worker ports) */
  readonly agentBridge?: Omit<JitsiAgentBridgeProps, 'tenAgent' | 'jitsi' | 'redis'>;
  /** The voice console; the OpenID Connect issuer and client id have no default. */
  readonly frontend: Omit<FrontendProps, 'postgres' | 'redis' | 'mcpServer' | 'agentBridge' | 'jitsi'>;
}

// Each part checks its own props; here only what the stack itself reads or spreads.
const voiceAgentStackPropsSchema = z.strictObject({
  jitsi: plainObjectSchema,
  tenAgent: plainObjectSchema.and(z.object({ env: plainObjectSchema.optional() })).optional(),
  postgres: plainObjectSchema,
  redis: plainObjectSchema,
  mcpServer: plainObjectSchema.optional(),
  agentBridge: plainObjectSchema.optional(),
  frontend: plainObjectSchema,
});

/**
 * The whole voice-agent product in one construct: shared databases, Jitsi Meet for WebRTC, the
 * MCP server with the agent's tools, the TEN voice agent, the bridge that brings the agent into
 * Jitsi rooms, and the voice console in front of them.
 * Every environment builds exactly this; adding a service here adds it to every environment and
 * every target.
 */
export class VoiceAgentStack extends Construct {
  public readonly postgres: Postgres;
  public readonly redis: Redis;
  public readonly jitsi: JitsiMeet;
  public readonly mcpServer: McpServer;
  public readonly tenAgent: TenAgent;
  public readonly agentBridge: JitsiAgentBridge;
  public readonly frontend: Frontend;

  constructor(scope: Construct, id: string, props: VoiceAgentStackProps) {
    checkProps(voiceAgentStackPropsSchema, props, failForNewConstruct(scope, id));
    super(scope, id);
    this.postgres = new Postgres(this, 'postgres', props.postgres);
    this.redis = new Redis(this, 'redis', props.redis);
    this.jitsi = new JitsiMeet(this, 'jitsi', props.jitsi);
    this.mcpServer = new McpServer(this, 'mcp-server', { ...props.mcpServer, postgres: this.postgres, redis: this.redis });
    this.tenAgent = new TenAgent(this, 'ten-agent', {
      ...props.tenAgent,
      redis: this.redis,
      // Read by the mcp_client_python node of the agent's graph (property url: ${env:MCP_SERVER_URL}).
      env: { MCP_SERVER_URL: this.mcpServer.sseUrl('MCP_TEN_AGENT_TOKEN'), ...props.tenAgent?.env },
    });
    this.agentBridge = new JitsiAgentBridge(this, 'jitsi-agent-bridge', { ...props.agentBridge, tenAgent: this.tenAgent, jitsi: this.jitsi, redis: this.redis });
    // Created last: it uses every other service.
    this.frontend = new Frontend(this, 'frontend', {
      ...props.frontend,
      postgres: this.postgres,
      redis: this.redis,
      mcpServer: this.mcpServer,
      agentBridge: this.agentBridge,
      jitsi: this.jitsi,
    });
    // The console embeds the meeting in an iframe, which jitsi-web's CSP must allow.
    this.jitsi.allowEmbeddingBy(this.frontend);
  }
}
