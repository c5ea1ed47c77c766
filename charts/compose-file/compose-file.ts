import { posix } from 'node:path';
import { dependenciesOf, instancesOf, type ServiceInstance, type StackService } from '../../constructs/index.ts';
import { imageOf } from '../images.ts';
import { fieldWarnings } from '../target-fields.ts';
import { COMPOSE_FIELDS, composeReplicas } from './compose-fields.ts';
import { composeSecretNames, escapeLiteral, resolveComposeValue, type ComposePlacement } from './compose-values.ts';

/** Everything one Compose file is rendered from. */
export interface ComposeFileInput {
  /** How warnings name this file's target: `compose`, or the host a Railway environment runs some services on. */
  readonly target: string;
  /** Compose project name (`name:`), e.g. `voice-agent-development`. */
  readonly projectName: string;
  /** Services rendered into this file. */
  readonly services: StackService[];
  readonly placement: ComposePlacement;
  /** Path of the compose file relative to the repository root, to make build contexts relative. */
  readonly filePath: string;
  /** Provenance recorded under the top-level `x-voice-agent` key, which Compose ignores. */
  readonly provenance: Record<string, unknown>;
  /** Literal variables that replace a service's own in this file. @default - none */
  readonly envOverrides?: (service: StackService) => Record<string, string>;
  /**
   * Whether the voice tier runs only under the `voice` profile, so that `docker compose up`
   * starts the core alone (a developer's machine). A host that runs only what it was given to
   * run leaves it false. @default false
   */
  readonly voiceProfile?: boolean;
}

/** The Compose profile the voice tier's services carry; the core has none, so it always runs. */
export const VOICE_PROFILE = 'voice';

/** Renders one Compose document (as plain data) and notes what Compose cannot express. */
export function composeDocument(input: ComposeFileInput): { document: Record<string, unknown>; warnings: string[] } {
  const warnings = fieldWarnings(input.target, COMPOSE_FIELDS, input.services);
  const placement: ComposePlacement = input.voiceProfile
    ? { ...input.placement, optionalSecrets: voiceOnlySecrets(input.services) }
    : input.placement;
  input = { ...input, placement };
  const services: Record<string, unknown> = {};
  const volumes: Record<string, unknown> = {};
  for (const service of input.services) {
    for (const instance of instancesOf(service)) services[instance.name] = composeService(instance, input);
    for (const volume of service.persistentVolumes) volumes[namedVolume(service, volume.name)] = {};
  }
  return {
    document: {
      name: input.projectName,
      services,
      ...(Object.keys(volumes).length > 0 ? { volumes } : {}),
      'x-voice-agent': input.provenance,
    },
    warnings,
  };
}

/**
 * One Compose service: a service, or one replica of a service addressed per replica, which runs
 * one container under the replica's name (`hostname`, so it knows itself by the name its clients
 * use).
 */
function composeService(instance: ServiceInstance, input: ComposeFileInput): Record<string, unknown> {
  const { service } = instance;
  const data = service.data;
  const environment = Object.fromEntries(
    Object.entries({ ...service.env, ...input.envOverrides?.(service) }).map(([name, value]) => [name, resolveComposeValue(value, input.placement, instance)]),
  );
  return {
    ...source(service, input.filePath),
    ...(instance.replica !== undefined ? { hostname: instance.name } : {}),
    ...(inVoiceProfile(service, input) ? { profiles: [VOICE_PROFILE] } : {}),
    ...(data.platform !== undefined ? { platform: data.platform } : {}),
    // The model's command replaces the image's entrypoint, as Kubernetes' `command` does;
    // Compose's `command` would only replace CMD and leave the entrypoint wrapping it.
    ...(data.command !== undefined ? { entrypoint: data.command.map(escapeLiteral) } : {}),
    ...(Object.keys(environment).length > 0 ? { environment } : {}),
    ...publishedPorts(service),
    ...healthcheck(service),
    ...dependsOn(service, input),
    ...mounts(service),
    read_only: data.readOnlyRootFilesystem,
    user: `${data.runAs.uid}:${data.runAs.gid}`,
    security_opt: ['no-new-privileges:true'],
    restart: 'unless-stopped',
    ...(service.stopGracePeriodSeconds !== undefined ? { stop_grace_period: `${service.stopGracePeriodSeconds}s` } : {}),
    deploy: deploy(instance),
    'x-voice-agent': { construct: service.node.path, ...(data.description ? { description: data.description } : {}) },
  };
}

/**
 * An image, or a build of this repository with `develop.watch` so `docker compose watch` rebuilds
 * on change. The replicas of a service addressed per replica each carry the same build and image
 * tag: Compose builds an image that several services name once, while a service that names the
 * image without a build would try to pull it from a registry; and each replica's watch rebuilds
 * and recreates that replica.
 */
function source(service: StackService, filePath: string): Record<string, unknown> {
  const build = service.data.build;
  if (build === undefined) return { image: imageOf(service) };
  const relativePath = (path: string) => posix.relative(posix.dirname(filePath), path) || '.';
  return {
    image: `voice-agent/${service.name}:dev`,
    build: { context: relativePath(build.context), dockerfile: build.dockerfile },
    develop: {
      watch: build.paths.map((path) => ({ action: 'rebuild', path: relativePath(path), ignore: ['node_modules/', '.next/', 'dist/'] })),
    },
  };
}

/** Only public ports are published on the host; services reach each other on the project network. */
function publishedPorts(service: StackService): Record<string, unknown> {
  const ports = service.publicPorts.map((port) => {
    const published = `${port.hostPort ?? port.port}:${port.port}`;
    return port.protocol === 'udp' ? `${published}/udp` : published;
  });
  // Ranges stay on the project network, where every port is open to the other services; `expose`
  // documents them (Compose enforces no per-service access on one network).
  const expose = service.data.portRanges.map((range) => `${range.start}-${range.end}`);
  return { ...(ports.length > 0 ? { ports } : {}), ...(expose.length > 0 ? { expose } : {}) };
}

/** Compose runs only the exec form; COMPOSE_FIELDS says so for a service with only the HTTP form. */
function healthcheck(service: StackService): Record<string, unknown> {
  const check = service.data.healthCheck;
  if (check?.exec === undefined) return {};
  return {
    healthcheck: {
      test: ['CMD', ...check.exec.map(escapeLiteral)],
      interval: `${check.intervalSeconds}s`,
      timeout: `${check.timeoutSeconds}s`,
      retries: check.retries,
      start_period: `${check.startPeriodSeconds}s`,
    },
  };
}

function inVoiceProfile(service: StackService, input: ComposeFileInput): boolean {
  return input.voiceProfile === true && service.data.tier === 'voice';
}

/**
 * Waits for dependencies in this file to be healthy (or started, when they have no check): for a
 * dependency addressed per replica, for every one of its replicas. A core service waits for a
 * voice one only when the voice profile runs (`required: false`), so the core starts without it.
 */
function dependsOn(service: StackService, input: ComposeFileInput): Record<string, unknown> {
  const optional = (dependency: StackService) => inVoiceProfile(dependency, input) && !inVoiceProfile(service, input);
  const entries = dependenciesOf(service)
    .filter((dependency) => input.placement.local.has(dependency.name))
    .flatMap((dependency) =>
      instancesOf(dependency).map((instance) => [
        instance.name,
        {
          condition: dependency.data.healthCheck?.exec !== undefined ? 'service_healthy' : 'service_started',
          ...(optional(dependency) ? { required: false } : {}),
        },
      ]),
    );
  return entries.length > 0 ? { depends_on: Object.fromEntries(entries) } : {};
}

/**
 * Secrets that only voice services read. Compose interpolates the whole file before it applies
 * profiles, so a required variable there would stop the core too when it is missing; these get
 * an empty default instead, and `.env.example` and `secrets check` say they are needed for voice.
 */
export function voiceOnlySecrets(services: readonly StackService[]): Set<string> {
  const read = (tier: 'core' | 'voice') => new Set(services.filter((service) => service.data.tier === tier).flatMap((service) => [...composeSecretNames(service)]));
  const core = read('core');
  return new Set([...read('voice')].filter((name) => !core.has(name)));
}

/** Named volumes for persistent data; tmpfs for scratch directories of a read-only container. */
function mounts(service: StackService): Record<string, unknown> {
  const volumes = service.data.volumes.map((volume) =>
    volume.persistent
      ? { type: 'volume', source: namedVolume(service, volume.name), target: volume.mountPath }
      : // tmpfs defaults to root-owned 0755; the images run as non-root users, so make it
        // world-writable with the sticky bit, like /tmp.
        { type: 'tmpfs', target: volume.mountPath, tmpfs: { mode: 0o1777 } },
  );
  return volumes.length > 0 ? { volumes } : {};
}

function deploy(instance: ServiceInstance): Record<string, unknown> {
  const resources = instance.service.data.resources;
  const cpuLimit = resources.cpuLimitMillicores ?? resources.cpuMillicores * 2;
  return {
    replicas: instance.replica !== undefined ? instance.replicas : composeReplicas(instance.service).replicas,
    resources: {
      limits: { cpus: millicoresToCpus(cpuLimit), memory: `${resources.memoryMiB}M` },
      reservations: { cpus: millicoresToCpus(resources.cpuMillicores), memory: `${resources.memoryMiB}M` },
    },
  };
}

function millicoresToCpus(millicores: number): string {
  return String(millicores / 1000);
}

function namedVolume(service: StackService, volume: string): string {
  return `${service.name}-${volume}`;
}
