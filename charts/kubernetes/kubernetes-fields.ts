import type { TargetFields } from '../target-fields.ts';
import { runsAsStatefulSet } from './kubernetes-values.ts';

/**
 * What the Kubernetes rendering makes of each field of the service model: nearly everything,
 * since the model was written against what Kubernetes enforces. Nothing here is an error.
 */
export const KUBERNETES_FIELDS: TargetFields = {
  description: 'not-needed', // documentation: dist/<env>.md shows it
  image: 'rendered',
  build: 'rendered', // the image CI pushes, tagged by the build's content hash
  // Their appProtocol is documentation for dist/<env>.md, not Kubernetes' appProtocol (a registered name).
  ports: 'rendered', // Services, Ingress, a UDP LoadBalancer
  portRanges: 'rendered', // container ports, a headless Service, NetworkPolicy endPort
  healthCheck: 'rendered', // probes: HTTP, else the command
  replicas: 'rendered', // and a PodDisruptionBudget above one
  resources: 'rendered', // requests and limits
  volumes: 'rendered', // volume claim templates and emptyDirs
  runAs: 'rendered', // pod and container security context
  readOnlyRootFilesystem: 'rendered',
  platform: 'rendered', // node affinity on kubernetes.io/arch
  command: 'rendered',
  egressToInternet: 'rendered', // NetworkPolicy egress
  udpEgress: 'rendered', // the internet egress has no port limit; in-cluster public UDP ports by pod selector
  rollout: (service) =>
    // A StatefulSet has no strategy that starts a pod before its predecessor stops (they would
    // share the volume claim, or the pod's name), so its only pod is replaced by stopping it first.
    runsAsStatefulSet(service) && service.data.rollout === 'rolling' && service.data.replicas <= 1
      ? { value: '"rolling"', problem: 'a StatefulSet stops its only pod before it starts the new one, so an update has a short outage' }
      : undefined,
  addressing: 'rendered', // a StatefulSet whose headless Service publishes every pod, ready or not, by name
  drain: 'rendered', // terminationGracePeriodSeconds, and the preStop hook
  peerPorts: 'rendered', // NetworkPolicy ingress from and egress to its own pods
  tier: 'not-needed', // a cluster runs the whole stack; the tier only chooses what Compose starts by default
  externalServices: 'not-needed', // documentation: dist/<env>.md draws them; egressToInternet lets the calls out
  metrics: 'rendered', // a ServiceMonitor and NetworkPolicy ingress from the monitoring namespace, where the environment turns monitoring on
};
