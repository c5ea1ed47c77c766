import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import type { ServicePort, StackService } from '../../constructs/index.ts';
import { dopplerSecret } from './doppler-secret.ts';
import { kubernetesEnvironment, portRangeHost, runsAsStatefulSet, type KubernetesEnvironment } from './kubernetes-values.ts';
import { selectorLabels, serviceLabels } from './labels.ts';
import { servicePolicy } from './network-policies.ts';
import { serviceMonitorOf, servicePortName } from './service-monitor.ts';
import { workload } from './workload.ts';

/**
 * Every Kubernetes object of one service, in one chart (one file): its ConfigMap and
 * DopplerSecret, workload, Services, Ingress, NetworkPolicy, ServiceMonitor and PodDisruptionBudget. One file per
 * service keeps diffs, and deploy plans, per service.
 */
export class ServiceChart extends Chart {
  constructor(scope: Construct, service: StackService) {
    super(scope, service.name, { namespace: service.environment.namespace, disableResourceNameHashes: true });
    const environment = kubernetesEnvironment(service);
    const configMap = configMapOf(this, service, environment);
    if (environment.secretNames.length > 0) dopplerSecret(this, service, environment.secretNames);
    const clusterService = clusterServiceOf(this, service);
    workload(this, {
      service,
      environment,
      ...(configMap !== undefined ? { configMap } : {}),
      ...(runsAsStatefulSet(service) && clusterService !== undefined ? { headlessService: clusterService } : {}),
    });
    publicUdpService(this, service);
    // A replica addressed on its own is reached on every port, a range's included, by its pod's name.
    if (service.data.addressing === 'service') for (const range of service.data.portRanges) portRangeService(this, service, range.name);
    if (clusterService !== undefined) ingressOf(this, service, clusterService);
    servicePolicy(this, service);
    serviceMonitorOf(this, service);
    if (service.data.replicas > 1) disruptionBudget(this, service);
  }
}

/**
 * A headless Service per port range: a Service cannot forward a range, so clients resolve
 * `<service>-<range>` to the pod's address and connect to the session's port directly; the
 * NetworkPolicy decides who may.
 */
function portRangeService(scope: Construct, service: StackService, rangeName: string): void {
  new k8s.KubeService(scope, `range-${rangeName}`, {
    metadata: { name: portRangeHost(service.name, rangeName), labels: serviceLabels(service) },
    spec: { clusterIp: 'None', selector: selectorLabels(service.name), publishNotReadyAddresses: false },
  });
}

/** Plain configuration, read by the container through envFrom. */
function configMapOf(scope: Construct, service: StackService, environment: KubernetesEnvironment): kplus.ConfigMap | undefined {
  if (Object.keys(environment.plain).length === 0) return undefined;
  return new kplus.ConfigMap(scope, 'config', {
    metadata: { name: `${service.name}-env`, labels: serviceLabels(service) },
    data: environment.plain,
  });
}

/**
 * The in-cluster Service for every port except public UDP. A StatefulSet's Service is headless,
 * so its pods keep stable DNS names (`ten-agent-0.ten-agent.<ns>.svc.cluster.local`). For replicas
 * addressed one by one it also publishes pods that are not ready: a draining pod says it is not
 * ready, and its clients must still reach it to ping and stop the sessions it keeps, or they
 * would be reaped while calls are live.
 */
function clusterServiceOf(scope: Construct, service: StackService): kplus.Service | undefined {
  const ports = service.data.ports.filter((port) => !(port.exposure === 'public' && port.protocol === 'udp'));
  if (ports.length === 0) return undefined;
  const clusterService = new kplus.Service(scope, 'service', {
    metadata: { name: service.name, labels: serviceLabels(service) },
    type: kplus.ServiceType.CLUSTER_IP,
    ...(runsAsStatefulSet(service) ? { clusterIP: 'None' } : {}),
    ports: ports.map(servicePort),
  });
  clusterService.selectLabel('app.kubernetes.io/name', service.name);
  // A StatefulSet makes cdk8s-plus add its own address label to the selector; select on ours only.
  ApiObject.of(clusterService).addJsonPatch(JsonPatch.replace('/spec/selector', selectorLabels(service.name)));
  if (service.data.addressing === 'replica') ApiObject.of(clusterService).addJsonPatch(JsonPatch.add('/spec/publishNotReadyAddresses', true));
  return clusterService;
}

/** Public UDP (the video bridge's media) through a LoadBalancer that keeps client addresses. */
function publicUdpService(scope: Construct, service: StackService): void {
  const ports = service.publicPorts.filter((port) => port.protocol === 'udp');
  if (ports.length === 0) return;
  const annotations = service.environment.settings.kubernetes.loadBalancerAnnotations;
  const udp = new kplus.Service(scope, 'public-udp', {
    metadata: {
      name: `${service.name}-udp`,
      labels: serviceLabels(service),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    type: kplus.ServiceType.LOAD_BALANCER,
    ports: ports.map(servicePort),
  });
  udp.selectLabel('app.kubernetes.io/name', service.name);
  // Media must come back from the address the client sent it to.
  ApiObject.of(udp).addJsonPatch(JsonPatch.add('/spec/externalTrafficPolicy', 'Local'));
}

function servicePort(port: ServicePort): kplus.ServicePort {
  return {
    port: port.port,
    targetPort: port.port,
    name: servicePortName(port),
    protocol: port.protocol === 'udp' ? kplus.Protocol.UDP : kplus.Protocol.TCP,
  };
}

/** HTTPS for the public HTTP port: TLS ends at the ingress controller with a cert-manager certificate. */
function ingressOf(scope: Construct, service: StackService, clusterService: kplus.Service): void {
  const port = service.publicHttpPort;
  if (port === undefined) return;
  const settings = service.environment.settings.kubernetes;
  const host = service.environment.publicHostname(service.name);
  new kplus.Ingress(scope, 'ingress', {
    metadata: {
      name: service.name,
      labels: serviceLabels(service),
      annotations: { 'cert-manager.io/cluster-issuer': settings.tlsClusterIssuer, ...settings.ingressAnnotations },
    },
    className: settings.ingressClassName,
    rules: [
      {
        host,
        path: '/',
        pathType: kplus.HttpIngressPathType.PREFIX,
        backend: kplus.IngressBackend.fromService(clusterService, { port: port.port }),
      },
    ],
    tls: [{ hosts: [host], secret: kplus.Secret.fromSecretName(scope, 'tls-secret', `${service.name}-tls`) }],
  });
}

/** Keeps all but one replica running through node drains (a Deployment's pods or a StatefulSet's: it selects by label). */
function disruptionBudget(scope: Construct, service: StackService): void {
  new k8s.KubePodDisruptionBudget(scope, 'disruption-budget', {
    metadata: { name: service.name, labels: serviceLabels(service) },
    spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selectorLabels(service.name) } },
  });
}
