import type { Construct } from 'constructs';
import { StackEnvironment, VoiceAgentStack } from '../constructs/index.ts';

/**
 * Staging: a Kubernetes namespace (Argo CD syncs dist/kubernetes/staging) and the Railway
 * environment `staging`. Railway has no public UDP, so there the video bridge runs on a separate
 * media host from dist/railway/staging-media-host/compose.yaml.
 */
export default function staging(scope: Construct): StackEnvironment {
  const environment = new StackEnvironment(scope, 'staging', {
    targets: ['railway', 'kubernetes'],
    domain: 'staging.voice.example.com',
    publicHostnames: { 'jitsi-web': 'meet.staging.voice.example.com' },
    doppler: { project: 'voice-agent', config: 'stg' },
    kubernetes: { databases: 'in-cluster' },
    railway: { project: 'voice-agent', offRailway: ['jitsi-jvb'] },
  });
  new VoiceAgentStack(environment, 'voice-agent', {
    // Replace with the bridge's public IPs: the Kubernetes LoadBalancer IP and the Railway
    // media host's IP. Clients try every advertised address.
    jitsi: { advertiseIps: ['203.0.113.10', '203.0.113.20'] },
    tenAgent: { workersMax: 5 },
  });
  return environment;
}
