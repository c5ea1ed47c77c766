import type { Config } from '../../lib/config.ts';
import { loadConfig } from '../../lib/config.ts';

export const JWT_APP_SECRET = 'jitsi-app-secret-for-tests-0123456789';
export const SESSION_SECRET = 'console-session-secret-for-tests-0123456789';
/** The console's bearer token at the agent bridge (the bridge's BRIDGE_API_TOKEN). */
export const AGENT_BRIDGE_TOKEN = 'agent-bridge-token-for-console-tests-5c1e9a7d';

/** The environment a console under test runs with; every URL points at a local stand-in. */
export function consoleEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PUBLIC_URL: 'http://127.0.0.1:3000',
    OIDC_ISSUER: 'http://127.0.0.1:9/',
    OIDC_CLIENT_ID: 'voice-console',
    OIDC_CLIENT_SECRET: 'oidc-client-secret-for-tests',
    SESSION_SECRET,
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test',
    REDIS_URL: 'redis://127.0.0.1:6379',
    MCP_SERVER_URL: 'http://127.0.0.1:9/mcp',
    MCP_CONSOLE_TOKEN: 'console-token-7f3a9c2e5b8d1f4a',
    AGENT_BRIDGE_URL: 'http://127.0.0.1:9',
    AGENT_BRIDGE_TOKEN,
    JITSI_PUBLIC_URL: 'http://127.0.0.1:9',
    JITSI_JWT_APP_ID: 'voice-agent',
    JITSI_JWT_AUDIENCE: 'voice-agent',
    JWT_APP_SECRET,
    LOG_LEVEL: 'silent',
    // Consoles of several test files run side by side: one fixed metrics port would be taken
    // twice. metrics.test.ts gives its console a free one.
    METRICS_PORT: '0',
    ...overrides,
  };
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig(consoleEnv(overrides));
}
