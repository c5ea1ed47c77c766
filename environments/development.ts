import type { Construct } from 'constructs';
import { StackEnvironment, VoiceAgentStack } from '../constructs/index.ts';
import { GRAFANA_VERSION, JITSI_VERSION, POSTGRES_VERSION, PROMETHEUS_VERSION, REDIS_VERSION } from './versions.ts';

/**
 * Local development on one machine: `docker compose -f dist/compose/development/compose.yaml up`.
 * Secrets come from `doppler run --` (config `dev`) or a git-ignored `.env`.
 */
export default function development(scope: Construct): StackEnvironment {
  const environment = new StackEnvironment(scope, 'development', {
    targets: ['compose'],
    domain: 'localhost',
    doppler: { project: 'voice-agent', config: 'dev' },
    // `docker compose --profile observability up`: Prometheus on 127.0.0.1:9090, Grafana on 127.0.0.1:3001.
    compose: { observability: { prometheusImage: `prom/prometheus:${PROMETHEUS_VERSION}`, grafanaImage: `grafana/grafana:${GRAFANA_VERSION}` } },
  });
  new VoiceAgentStack(environment, 'voice-agent', {
    // A browser on the same machine reaches the published UDP port on loopback.
    // Compose serves Jitsi over plain HTTP on localhost, where only BOSH works (see JitsiMeetProps).
    jitsi: { version: JITSI_VERSION, advertiseIps: ['127.0.0.1'], xmppWebSocket: false },
    postgres: { version: POSTGRES_VERSION },
    redis: { version: REDIS_VERSION },
    // Short drains, so `docker compose down` and an update do not wait half an hour for calls to end.
    mcpServer: { pipedreamEnvironment: 'development', sseDrainTimeoutSeconds: 30 },
    tenAgent: { workersMax: 2, drainTimeoutSeconds: 30 },
    agentBridge: { drainTimeoutSeconds: 30 },
    // Replace with your identity provider's issuer and the console's client id there. Register
    // <the console's PUBLIC_URL>/api/auth/callback as a redirect URI for each rendering; the client
    // secret is the Doppler secret OIDC_CLIENT_SECRET.
    frontend: { oidcIssuer: 'https://auth.example.com/realms/voice-agent', oidcClientId: 'voice-console' },
  });
  return environment;
}
