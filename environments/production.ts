import type { Construct } from 'constructs';
import { StackEnvironment, VoiceAgentStack } from '../constructs/index.ts';

/**
 * Production: Kubernetes with managed (external) Postgres and Redis whose connection secrets live
 * in Doppler, and the Railway environment `production` with the video bridge on a media host.
 */
export default function production(scope: Construct): StackEnvironment {
  const environment = new StackEnvironment(scope, 'production', {
    targets: ['railway', 'kubernetes'],
    domain: 'voice.example.com',
    publicHostnames: { 'jitsi-web': 'meet.voice.example.com' },
    doppler: { project: 'voice-agent', config: 'prd' },
    kubernetes: { databases: 'external' },
    railway: { project: 'voice-agent', offRailway: ['jitsi-jvb'] },
  });
  new VoiceAgentStack(environment, 'voice-agent', {
    // Replace with the bridge's public IPs (Kubernetes LoadBalancer, Railway media host).
    jitsi: {
      advertiseIps: ['198.51.100.10', '198.51.100.20'],
      webReplicas: 2,
      resources: { jvb: { cpuMillicores: 2000, memoryMiB: 2048 } },
    },
    tenAgent: { workersMax: 20, resources: { cpuMillicores: 4000, memoryMiB: 8192 } },
  });
  return environment;
}
