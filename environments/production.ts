import type { Construct } from 'constructs';
import { StackEnvironment, VoiceAgentStack } from '../constructs/index.ts';
import { JITSI_VERSION, POSTGRES_VERSION, REDIS_VERSION } from './versions.ts';

/**
 * Production: Kubernetes with managed (external) Postgres and Redis whose connection secrets live
 * in Doppler, and the Railway environment `production` with the video bridge on a media host.
 */
export default function production(scope: Construct): StackEnvironment {
  const environment = new StackEnvironment(scope, 'production', {
    targets: ['railway', 'kubernetes'],
    domain: 'voice.example.com',
    publicHostnames: { 'jitsi-web': 'meet.voice.example.com', frontend: 'console.voice.example.com' },
    doppler: { project: 'voice-agent', config: 'prd' },
    // Replace with your repository and registry: Railway builds from GitHub, Kubernetes pulls what CI pushes.
    repository: { github: 'acme/voice-agent', imageRegistry: 'ghcr.io/acme/voice-agent' },
    kubernetes: {
      databases: 'external',
      // kube-prometheus-stack's Prometheus selects monitors and rules by its Helm release label.
      monitoring: { selectorLabels: { release: 'kube-prometheus-stack' } },
    },
    railway: {
      project: 'voice-agent',
      domain: 'railway.voice.example.com',
      offRailway: ['jitsi-jvb'],
      // Replace with the media host's public IP.
      offRailwayEnv: { 'jitsi-jvb': { JVB_ADVERTISE_IPS: '198.51.100.20' } },
    },
  });
  new VoiceAgentStack(environment, 'voice-agent', {
    jitsi: {
      version: JITSI_VERSION,
      // Replace with the IP of the jitsi-jvb-udp LoadBalancer.
      advertiseIps: ['198.51.100.10'],
      webReplicas: 2,
      resources: { jvb: { cpuMillicores: 2000, memoryMiB: 2048 } },
    },
    postgres: { version: POSTGRES_VERSION },
    redis: { version: REDIS_VERSION },
    mcpServer: { replicas: 2, pipedreamEnvironment: 'production' },
    // Two of each in the voice tier, so an update drains one while the other takes new rooms.
    tenAgent: { replicas: 2, workersMax: 20, resources: { cpuMillicores: 4000, memoryMiB: 8192 } },
    agentBridge: { replicas: 2 },
    frontend: {
      // Replace with your identity provider's issuer and the console's client id there. Register
      // <the console's PUBLIC_URL>/api/auth/callback as a redirect URI for each rendering; the client
      // secret is the Doppler secret OIDC_CLIENT_SECRET.
      oidcIssuer: 'https://auth.example.com/realms/voice-agent',
      oidcClientId: 'voice-console',
      replicas: 2,
    },
  });
  return environment;
}
