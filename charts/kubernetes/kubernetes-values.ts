import {
  DatabaseOutputRef,
  Interpolation,
  isManagedDatabase,
  PublicUrlRef,
  replicaName,
  ReplicaNameRef,
  SecretRef,
  ServiceEndpointRef,
  UniqueList,
  type EnvValue,
  type ReferencedService,
  type StackEnvironment,
  type StackService,
} from '../../constructs/index.ts';
import { databaseVariable } from '../database-variables.ts';
import { buildVersionEnv } from '../build-version.ts';

/** A value as a Kubernetes container sees it. */
export type KubernetesValue =
  | { readonly kind: 'plain'; readonly text: string }
  | { readonly kind: 'secret'; readonly key: string }
  /** Text with `$(VAR)` references to secret variables defined earlier in the container's env. */
  | { readonly kind: 'composite'; readonly text: string; readonly secrets: string[] }
  /** A field of the pod, from the downward API (`metadata.name`). */
  | { readonly kind: 'field'; readonly fieldPath: string };

/** The environment of one container, split by where each value lives. */
export interface KubernetesEnvironment {
  /** Plain values: go into the service's ConfigMap. */
  readonly plain: Record<string, string>;
  /** Values read from the service's Doppler-managed Secret. */
  readonly secret: Record<string, string>;
  /** Values that mix text and secrets, assembled by Kubernetes from `$(VAR)` references. */
  readonly composite: Record<string, string>;
  /** Values the pod knows about itself (variable → field path). */
  readonly field: Record<string, string>;
  /** Every Doppler secret the container needs, sorted. */
  readonly secretNames: string[];
}

/** Name of the hidden variable that carries a secret into a composite value. */
export function compositeSecretVariable(secretName: string): string {
  return `__SECRET_${secretName}`;
}

/** True when Kubernetes runs this service itself, false when an external database stands in for it. */
export function runsInCluster(service: ReferencedService): boolean {
  return !(isManagedDatabase(service) && service.environment.settings.kubernetes.databases === 'external');
}

/** The in-cluster DNS name of a service. */
export function clusterHost(environment: StackEnvironment, serviceName: string): string {
  return `${serviceName}.${environment.namespace}.svc.cluster.local`;
}

/**
 * A StatefulSet runs services that keep data (each pod its volume claim) and services addressed
 * per replica (each pod its stable name); a Deployment runs the rest.
 */
export function runsAsStatefulSet(service: StackService): boolean {
  return service.isStateful || service.data.addressing === 'replica';
}

/** Resolves every variable of a service for Kubernetes. */
export function kubernetesEnvironment(service: StackService): KubernetesEnvironment {
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  const composite: Record<string, string> = {};
  const field: Record<string, string> = {};
  const secretNames = new Set<string>();
  for (const [name, value] of Object.entries({ ...service.env, ...buildVersionEnv(service) })) {
    const resolved = resolveKubernetesValue(value, service.environment);
    if (resolved.kind === 'plain') plain[name] = resolved.text;
    if (resolved.kind === 'secret') {
      secret[name] = resolved.key;
      secretNames.add(resolved.key);
    }
    if (resolved.kind === 'composite') {
      composite[name] = resolved.text;
      for (const key of resolved.secrets) secretNames.add(key);
    }
    if (resolved.kind === 'field') field[name] = resolved.fieldPath;
  }
  return { plain, secret, composite, field, secretNames: [...secretNames].sort() };
}

/** Resolves one value for Kubernetes. */
export function resolveKubernetesValue(value: EnvValue, environment: StackEnvironment): KubernetesValue {
  if (typeof value === 'string') return { kind: 'plain', text: value };
  if (value instanceof SecretRef) return { kind: 'secret', key: value.name };
  if (value instanceof PublicUrlRef) return { kind: 'plain', text: `https://${environment.publicHostname(value.service.name)}` };
  // A StatefulSet's pod is named after its replica: ten-agent-0, ten-agent-1.
  if (value instanceof ReplicaNameRef) return { kind: 'field', fieldPath: 'metadata.name' };
  if (value instanceof DatabaseOutputRef) {
    if (runsInCluster(value.database)) {
      const output = value.database.selfHostedOutput(value.output);
      if (output === undefined) throw new Error(`${value.database.engine} has no ${value.output} output`);
      return resolveKubernetesValue(output, environment);
    }
    const key = databaseVariable(value.database.engine, value.output);
    if (key === undefined) throw new Error(`${value.database.engine} has no ${value.output} output`);
    return { kind: 'secret', key };
  }
  if (value instanceof Interpolation) return resolveInterpolation(value, environment);
  if (value instanceof UniqueList) {
    return resolveKubernetesValue(value.distinct((item) => JSON.stringify(resolveKubernetesValue(item, environment))), environment);
  }
  return { kind: 'plain', text: endpointText(value, environment) };
}

function resolveInterpolation(value: Interpolation, environment: StackEnvironment): KubernetesValue {
  const parts = value.parts.map((part) => resolveKubernetesValue(part, environment));
  if (parts.every((part) => part.kind === 'plain')) {
    return { kind: 'plain', text: parts.map((part) => (part.kind === 'plain' ? part.text : '')).join('') };
  }
  const secrets = new Set<string>();
  const text = parts
    .map((part) => {
      // Kubernetes expands $(VAR) in `value`; a literal "$(" must be written "$$(".
      if (part.kind === 'plain') return part.text.replaceAll('$(', '$$(');
      if (part.kind === 'secret') {
        secrets.add(part.key);
        return `$(${compositeSecretVariable(part.key)})`;
      }
      // Validation keeps a replica's name a whole value.
      if (part.kind === 'field') throw new Error(`a pod field (${part.fieldPath}) cannot be part of an interpolation`);
      for (const key of part.secrets) secrets.add(key);
      return part.text;
    })
    .join('');
  return { kind: 'composite', text, secrets: [...secrets].sort() };
}

/** The headless Service name of a port range (see service-chart.ts). */
export function portRangeHost(serviceName: string, rangeName: string): string {
  return `${serviceName}-${rangeName}`;
}

function endpointHost(ref: ServiceEndpointRef, environment: StackEnvironment): string {
  // One replica is its pod's own name under the StatefulSet's headless Service, on every port.
  if (ref.replica !== undefined) return `${replicaName(ref.service.name, ref.replica)}.${clusterHost(environment, ref.service.name)}`;
  // A port of a range is reached through the range's headless Service, which resolves to the pod.
  const range = ref.service.findPortRange(ref.port);
  return clusterHost(environment, range === undefined ? ref.service.name : portRangeHost(ref.service.name, range.name));
}

function endpointText(ref: ServiceEndpointRef, environment: StackEnvironment): string {
  return ref.text(endpointHost(ref, environment));
}
