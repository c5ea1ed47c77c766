import type { Construct } from 'constructs';
import { StackEnvironment, VoiceAgentStack } from '../constructs/index.ts';
import { JITSI_VERSION, POSTGRES_VERSION, REDIS_VERSION } from './versions.ts';

/**
 * Staging: a Kubernetes namespace (Argo CD syncs dist/kubernetes/staging) and the Railway
 * environment `staging`. Railway has no public UDP, so there the video bridge runs on a separate
 * media host from dist/railway/staging-media-host/compose.yaml.
 */
export default function staging(scope: Construct): StackEnvironment {
  const environment = new StackEnvironment(scope, 'staging', {
    targets: ['railway', 'kubernetes'],
    domain: 'staging.voice.example.com',
    publicHostnames: { 'jitsi-web': 'meet.staging.voice.example.com', frontend: 'console.staging.voice.example.com' },
    doppler: { project: 'voice-agent', config: 'stg' },
    // Replace with your repository and registry: Railway builds from GitHub, Kubernetes pulls what CI pushes.
    repository: { github: 'acme/voice-agent', imageRegistry: 'ghcr.io/acme/voice-agent' },
    kubernetes: {
      databases: 'in-cluster',
      // kube-prometheus-stack's Prometheus selects monitors and rules by its Helm release label.
      monitoring: { selectorLabels: { release: 'kube-prometheus-stack' } },
    },
    railway: {
      project: 'voice-agent',
      // Railway gets hostnames of its own, so both renderings can be deployed side by side.
      domain: 'railway.staging.voice.example.com',
      offRailway: ['jitsi-jvb'],
      // Replace with the media host's public IP.
      offRailwayEnv: { 'jitsi-jvb': { JVB_ADVERTISE_IPS: '203.0.113.20' } },
    },
  });
  new VoiceAgentStack(environment, 'voice-agent', {
    // Replace with the IP of the jitsi-jvb-udp LoadBalancer.
    jitsi: { version: JITSI_VERSION, advertiseIps: ['203.0.113.10'] },
    postgres: { version: POSTGRES_VERSION },
    redis: { version: REDIS_VERSION },
    mcpServer: { pipedreamEnvironment: 'development' },
    tenAgent: { workersMax: 5 },
    // Replace with your identity provider's issuer and the console's client id there. Register
    // <the console's PUBLIC_URL>/api/auth/callback as a redirect URI for each rendering; the client
    // secret is the Doppler secret OIDC_CLIENT_SECRET.
    frontend: { oidcIssuer: 'https://auth.example.com/realms/voice-agent', oidcClientId: 'voice-console' },
  });
  return environment;
}
