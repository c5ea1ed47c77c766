import { servicesOf } from './dependency-graph.ts';
import type { ServiceEndpointRef } from './references.ts';
import type { StackEnvironment } from './stack-environment.ts';
import type { StackService } from './stack-service.ts';

/**
 * One separately deployed unit of a service, as a target without per-replica DNS names (Compose,
 * Railway) renders it: the service itself, or one replica of a service addressed per replica.
 */
export interface ServiceInstance {
  /** Its name on such a target: the service's, or `<service>-<i>` for one replica. */
  readonly name: string;
  readonly service: StackService;
  /** The replica it is, for a service addressed per replica. @default - every replica of the service */
  readonly replica?: number;
  /** Containers it runs: 1 for a replica, else the service's replicas. */
  readonly replicas: number;
}

/** The stable name of replica `index` of a service addressed per replica: `ten-agent-0`. */
export function replicaName(serviceName: string, index: number): string {
  return `${serviceName}-${index}`;
}

/**
 * The units a target that cannot name replicas makes of a service: one per replica, each running
 * one container under the replica's name, when the service is addressed per replica; otherwise
 * the service, with its replica count. The one place that expansion is decided.
 */
export function instancesOf(service: StackService): ServiceInstance[] {
  if (service.data.addressing === 'service') return [{ name: service.name, service, replicas: service.data.replicas }];
  return Array.from({ length: service.data.replicas }, (_, index) => ({ name: replicaName(service.name, index), service, replica: index, replicas: 1 }));
}

/** The instance an endpoint reaches: the replica it names, or the service. */
export function endpointInstanceName(ref: ServiceEndpointRef): string {
  return ref.replica === undefined ? ref.service.name : replicaName(ref.service.name, ref.replica);
}

/** True when `ref` reaches `instance` (the replica it names, or a service that is one instance). */
export function reachesInstance(ref: ServiceEndpointRef, instance: ServiceInstance): boolean {
  return ref.service === instance.service && endpointInstanceName(ref) === instance.name;
}

/** Finds the instance of an environment's services that has this name on Compose or Railway. */
export function findInstance(environment: StackEnvironment, name: string): ServiceInstance | undefined {
  for (const service of servicesOf(environment)) {
    const instance = instancesOf(service).find((candidate) => candidate.name === name);
    if (instance !== undefined) return instance;
  }
  return undefined;
}
