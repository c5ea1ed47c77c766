import { createHash } from 'node:crypto';
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import type { ServiceHealthCheck, StackService } from '../../constructs/index.ts';
import { imageOf } from '../images.ts';
import { managedSecretName } from './doppler-secret.ts';
import { compositeSecretVariable, runsAsStatefulSet, type KubernetesEnvironment } from './kubernetes-values.ts';
import { selectorLabels, serviceLabels } from './labels.ts';

/** What the workload needs from the other objects of its chart. */
export interface WorkloadInput {
  readonly service: StackService;
  readonly environment: KubernetesEnvironment;
  readonly configMap?: kplus.ConfigMap;
  /** The Service fronting a StatefulSet (cdk8s-plus requires one). */
  readonly headlessService?: kplus.Service;
}

/**
 * A Deployment, or a StatefulSet for services that keep data (with volume claims) or whose
 * replicas are addressed one by one. Every default of cdk8s-plus that matters is set explicitly:
 * replicas, resources, probes, security context, how an update replaces pods.
 */
export function workload(scope: Construct, input: WorkloadInput): kplus.Deployment | kplus.StatefulSet {
  const { service } = input;
  const data = service.data;
  const labels = serviceLabels(service);
  const scratch = service.scratchVolumes.map((volume) =>
    kplus.Volume.fromEmptyDir(scope, `volume-${volume.name}`, volume.name),
  );
  const common = {
    metadata: {
      name: service.name,
      labels,
      // The Doppler operator restarts the pods when the managed Secret changes.
      ...(input.environment.secretNames.length > 0 ? { annotations: { 'secrets.doppler.com/reload': 'true' } } : {}),
    },
    replicas: data.replicas,
    select: false,
    spread: false,
    isolate: false,
    automountServiceAccountToken: false,
    ...(service.stopGracePeriodSeconds !== undefined ? { terminationGracePeriod: Duration.seconds(service.stopGracePeriodSeconds) } : {}),
    podMetadata: { labels, annotations: podAnnotations(input) },
    securityContext: {
      ensureNonRoot: true,
      user: data.runAs.uid,
      group: data.runAs.gid,
      fsGroup: data.runAs.gid,
      fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
    },
    containers: [container(scope, input, scratch)],
  };
  const resource = runsAsStatefulSet(service)
    ? new kplus.StatefulSet(scope, 'workload', {
        ...common,
        service: input.headlessService,
        // One pod at a time, each started only once the one before is Ready: with two or more
        // replicas the others keep taking new work while one drains.
        podManagementPolicy: kplus.PodManagementPolicy.ORDERED_READY,
        strategy: kplus.StatefulSetUpdateStrategy.rollingUpdate({ partition: 0 }),
      })
    : new kplus.Deployment(scope, 'workload', { ...common, strategy: deploymentStrategy(service) });
  resource.select(kplus.LabelSelector.of({ labels: selectorLabels(service.name) }));
  if (data.platform !== undefined) {
    resource.scheduling.attract(
      kplus.Node.labeled(kplus.NodeLabelQuery.is('kubernetes.io/arch', data.platform.replace('linux/', ''))),
    );
  }
  harden(ApiObject.of(resource));
  if (service.isStateful) addVolumeClaims(ApiObject.of(resource), service);
  return resource;
}

/**
 * `recreate` stops the old pods first. A rolling update starts one new pod and waits for it to be
 * Ready before an old one starts draining (surge 1, none unavailable), instead of cdk8s-plus's 25 %
 * each way, which would let a one-replica service stop before its replacement is up.
 */
function deploymentStrategy(service: StackService): kplus.DeploymentStrategy {
  if (service.data.rollout === 'recreate') return kplus.DeploymentStrategy.recreate();
  return kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) });
}

function container(scope: Construct, input: WorkloadInput, scratch: kplus.Volume[]): kplus.ContainerProps {
  const { service } = input;
  const data = service.data;
  const cpuLimit = data.resources.cpuLimitMillicores ?? data.resources.cpuMillicores * 2;
  const check = data.healthCheck;
  return {
    name: service.name,
    image: imageOf(service),
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    ...(data.command !== undefined ? { command: data.command } : {}),
    ports: [
      ...data.ports.map((port) => ({
        number: port.port,
        ...(port.name !== undefined ? { name: port.name } : {}),
        protocol: port.protocol === 'udp' ? kplus.Protocol.UDP : kplus.Protocol.TCP,
      })),
      // Informational, as container ports are: every port of a range, so the pod lists what it opens.
      ...data.portRanges.flatMap((range) =>
        Array.from({ length: range.end - range.start + 1 }, (_, offset) => ({ number: range.start + offset, protocol: kplus.Protocol.TCP })),
      ),
    ],
    envVariables: containerEnv(scope, input),
    ...(input.configMap !== undefined ? { envFrom: [kplus.Env.fromConfigMap(input.configMap)] } : {}),
    resources: {
      cpu: { request: kplus.Cpu.millis(data.resources.cpuMillicores), limit: kplus.Cpu.millis(cpuLimit) },
      // Memory is not overcommitted: request and limit are equal.
      memory: { request: Size.mebibytes(data.resources.memoryMiB), limit: Size.mebibytes(data.resources.memoryMiB) },
    },
    securityContext: {
      ensureNonRoot: true,
      user: data.runAs.uid,
      group: data.runAs.gid,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: data.readOnlyRootFilesystem,
    },
    ...(check !== undefined ? probes(check) : {}),
    // Runs before SIGTERM; the grace period counts from its start.
    ...(data.drain?.preStop !== undefined ? { lifecycle: { preStop: kplus.Handler.fromCommand(data.drain.preStop) } } : {}),
    volumeMounts: service.scratchVolumes.map((volume, index) => ({ volume: scratch[index] as kplus.Volume, path: volume.mountPath })),
  };
}

/** Secrets by reference to the Doppler-managed Secret; composite values by `$(VAR)` over hidden secret variables. */
function containerEnv(scope: Construct, input: WorkloadInput): Record<string, kplus.EnvValue> {
  const { service, environment } = input;
  // The Secret object itself is created and owned by the Doppler operator.
  const secret = kplus.Secret.fromSecretName(scope, 'managed-secret', managedSecretName(service));
  const fromSecret = (key: string) => kplus.EnvValue.fromSecretValue({ secret, key });
  const env: Record<string, kplus.EnvValue> = {};
  const hidden = new Set(Object.values(environment.composite).length > 0 ? compositeSecrets(environment) : []);
  // Hidden variables come first: Kubernetes only expands $(VAR) for variables defined earlier.
  for (const key of [...hidden].sort()) env[compositeSecretVariable(key)] = fromSecret(key);
  for (const [name, key] of Object.entries(environment.secret).sort(([a], [b]) => a.localeCompare(b))) env[name] = fromSecret(key);
  for (const [name, text] of Object.entries(environment.composite).sort(([a], [b]) => a.localeCompare(b))) {
    env[name] = kplus.EnvValue.fromValue(text);
  }
  for (const [name, fieldPath] of Object.entries(environment.field).sort(([a], [b]) => a.localeCompare(b))) {
    env[name] = kplus.EnvValue.fromFieldRef(fieldPath as kplus.EnvFieldPaths);
  }
  return env;
}

function compositeSecrets(environment: KubernetesEnvironment): string[] {
  const names = new Set<string>();
  for (const text of Object.values(environment.composite)) {
    for (const match of text.matchAll(/\$\(__SECRET_([A-Za-z0-9_]+)\)/g)) if (match[1]) names.add(match[1]);
  }
  return [...names];
}

/**
 * Readiness and liveness from the health check (HTTP when there is an HTTP form, else exec), and
 * a startup probe that gives the service its start period before liveness counts. Readiness asks
 * the readiness path where there is one: a draining pod leaves its Services but is not restarted.
 */
function probes(check: ServiceHealthCheck) {
  const timing = {
    periodSeconds: Duration.seconds(check.intervalSeconds),
    timeoutSeconds: Duration.seconds(check.timeoutSeconds),
  };
  const make = (failureThreshold: number, path = check.http?.path) =>
    check.http !== undefined && path !== undefined
      ? kplus.Probe.fromHttpGet(path, { port: check.http.port, failureThreshold, ...timing })
      : kplus.Probe.fromCommand(check.exec ?? [], { failureThreshold, ...timing });
  const startupThreshold = Math.ceil(check.startPeriodSeconds / check.intervalSeconds) + check.retries;
  return { readiness: make(check.retries, check.http?.readinessPath ?? check.http?.path), liveness: make(check.retries), startup: make(startupThreshold) };
}

/** A hash of the ConfigMap's content on the pod template, so a config change rolls the pods. */
function podAnnotations(input: WorkloadInput): Record<string, string> {
  const content = JSON.stringify(Object.entries(input.environment.plain).sort());
  return { 'voice-agent/config-hash': createHash('sha256').update(content).digest('hex').slice(0, 16) };
}

/** What cdk8s-plus cannot express: seccomp and dropping every capability (Pod Security "restricted"). */
function harden(object: ApiObject): void {
  object.addJsonPatch(
    JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
    JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', { drop: ['ALL'] }),
  );
}

/** cdk8s-plus has no volumeClaimTemplates: add them, and mount each into the container. */
function addVolumeClaims(object: ApiObject, service: StackService): void {
  const storageClassName = service.environment.settings.kubernetes.storageClassName;
  const claims = service.persistentVolumes.map((volume) => ({
    metadata: { name: volume.name },
    spec: {
      accessModes: ['ReadWriteOnce'],
      // Patches apply before cdk8s-plus converts to JSON, so quantities must be Quantity objects.
      resources: { requests: { storage: k8s.Quantity.fromString(`${volume.sizeGiB}Gi`) } },
      ...(storageClassName !== undefined ? { storageClassName } : {}),
    },
  }));
  object.addJsonPatch(JsonPatch.add('/spec/volumeClaimTemplates', claims));
  const mounts = service.persistentVolumes.map((volume) => ({ name: volume.name, mountPath: volume.mountPath }));
  if (service.scratchVolumes.length === 0) {
    object.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/volumeMounts', mounts));
  } else {
    for (const mount of mounts) object.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/volumeMounts/-', mount));
  }
}
