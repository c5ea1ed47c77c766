import type { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import {
  dependenciesOf,
  dependentsOf,
  isManagedDatabase,
  servicesOf,
  type ServicePort,
  type ServicePortRange,
  type StackService,
} from '../../constructs/index.ts';
import { runsInCluster } from './kubernetes-values.ts';
import { selectorLabels, serviceLabels } from './labels.ts';

/** Private address ranges: "the internet" excludes them, so pods reach each other only as declared. */
const PRIVATE_IPV4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'];
const PRIVATE_IPV6 = ['fc00::/7', 'fe80::/10'];

/** Every address: public UDP (media) must accept clients on private networks too. */
const ANYWHERE: k8s.NetworkPolicyPeer[] = [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }];

/** Public addresses only. */
const INTERNET: k8s.NetworkPolicyPeer[] = [
  { ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_IPV4 } },
  { ipBlock: { cidr: '::/0', except: PRIVATE_IPV6 } },
];

/**
 * The namespace's baseline: deny all traffic in and out, then allow DNS lookups. Every service
 * adds its own policy for exactly what it declares.
 */
export function namespacePolicies(scope: Construct): void {
  const labels = { 'app.kubernetes.io/part-of': 'voice-agent', 'app.kubernetes.io/managed-by': 'cdk8s' };
  new k8s.KubeNetworkPolicy(scope, 'default-deny', {
    metadata: { name: 'default-deny', labels },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  });
  new k8s.KubeNetworkPolicy(scope, 'allow-dns', {
    metadata: { name: 'allow-dns', labels },
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
            { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
          ],
        },
      ],
    },
  });
}

/**
 * What one service may do on the network: receive from the services that depend on it (and from
 * the ingress controller or the internet on public ports), and send to its dependencies (and to
 * the internet when it declares `egressToInternet`).
 */
export function servicePolicy(scope: Construct, service: StackService): void {
  const environment = service.environment;
  const ingress: k8s.NetworkPolicyIngressRule[] = [];
  const dependents = dependentsOf(service).filter(runsInCluster);
  const clientPorts = service.clientPorts;
  if (dependents.length > 0 && clientPorts.length > 0) {
    ingress.push({
      from: dependents.map((dependent) => ({ podSelector: { matchLabels: selectorLabels(dependent.name) } })),
      ports: clientPorts.map(policyPort),
    });
  }
  // Its replicas call each other (a request forwarded to the replica that holds its state).
  const peers = peerPorts(service);
  if (peers.length > 0) ingress.push({ from: [{ podSelector: { matchLabels: selectorLabels(service.name) } }], ports: peers });
  for (const range of service.data.portRanges) {
    const clients = service.portRangeClients(range.name).filter(runsInCluster);
    if (clients.length > 0) {
      ingress.push({
        from: clients.map((client) => ({ podSelector: { matchLabels: selectorLabels(client.name) } })),
        ports: [rangePort(range)],
      });
    }
  }
  const publicHttp = service.publicHttpPort;
  if (publicHttp !== undefined) {
    ingress.push({
      from: [
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': environment.settings.kubernetes.ingressNamespace } } },
      ],
      ports: [policyPort(publicHttp)],
    });
  }
  // The environment's Prometheus scrapes the metrics port from its own namespace.
  const monitoring = environment.settings.kubernetes.monitoring;
  const metrics = service.data.metrics;
  if (monitoring !== undefined && metrics !== undefined) {
    ingress.push({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': monitoring.namespace } } }],
      ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(metrics.port) }],
    });
  }
  const publicUdp = publicUdpPorts(service);
  if (publicUdp.length > 0) {
    const senders = udpSenders(service).map((sender) => ({ podSelector: { matchLabels: selectorLabels(sender.name) } }));
    ingress.push({ from: [...ANYWHERE, ...senders], ports: publicUdp.map(policyPort) });
  }

  const egress: k8s.NetworkPolicyEgressRule[] = [];
  for (const dependency of dependenciesOf(service)) {
    if (dependency.clientPorts.length === 0 && dependency.portRangesFor(service).length === 0) continue;
    if (runsInCluster(dependency)) {
      egress.push({
        to: [{ podSelector: { matchLabels: selectorLabels(dependency.name) } }],
        ports: [...dependency.clientPorts.map(policyPort), ...dependency.portRangesFor(service).map(rangePort)],
      });
    } else if (isManagedDatabase(dependency)) {
      // An external database lives outside the cluster at an address only Doppler knows, often
      // a private one in the same network: allow any address, on the database port only.
      egress.push({ to: ANYWHERE, ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(dependency.clientPort) }] });
    }
  }
  if (peers.length > 0) egress.push({ to: [{ podSelector: { matchLabels: selectorLabels(service.name) } }], ports: peers });
  if (service.data.egressToInternet) egress.push({ to: INTERNET });
  // UDP to public addresses may land on pods of this cluster (see udpSenders): name them.
  if (service.data.udpEgress !== undefined) {
    for (const receiver of servicesOf(environment).filter((other) => other !== service && runsInCluster(other))) {
      const ports = publicUdpPorts(receiver);
      if (ports.length > 0) egress.push({ to: [{ podSelector: { matchLabels: selectorLabels(receiver.name) } }], ports: ports.map(policyPort) });
    }
  }

  new k8s.KubeNetworkPolicy(scope, 'network-policy', {
    metadata: { name: service.name, labels: serviceLabels(service) },
    spec: {
      podSelector: { matchLabels: selectorLabels(service.name) },
      policyTypes: ['Ingress', 'Egress'],
      ingress,
      egress,
    },
  });
}

function peerPorts(service: StackService): k8s.NetworkPolicyPort[] {
  return service.data.peerPorts.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));
}

function publicUdpPorts(service: StackService): ServicePort[] {
  return service.publicPorts.filter((port) => port.protocol === 'udp');
}

/**
 * The services of the cluster that send UDP to public addresses (`udpEgress`), and so to this
 * service's public UDP ports at its advertised address. Inside the cluster such packets reach the
 * receiving pods themselves (kube-proxy short-circuits a LoadBalancer's address, and ICE may pick
 * a pod's own address), and whether an ipBlock matches a pod address is up to the network plugin:
 * so both policies name the pods as well.
 */
function udpSenders(service: StackService): StackService[] {
  return servicesOf(service.environment).filter((other) => other !== service && other.data.udpEgress !== undefined && runsInCluster(other));
}

/** A whole range in one rule: `endPort` (stable since Kubernetes 1.25). */
function rangePort(range: ServicePortRange): k8s.NetworkPolicyPort {
  return { protocol: 'TCP', port: k8s.IntOrString.fromNumber(range.start), endPort: range.end };
}

function policyPort(port: ServicePort): k8s.NetworkPolicyPort {
  return { protocol: port.protocol === 'udp' ? 'UDP' : 'TCP', port: k8s.IntOrString.fromNumber(port.port) };
}
