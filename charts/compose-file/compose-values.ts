import {
  DatabaseOutputRef,
  endpointInstanceName,
  Interpolation,
  PublicUrlRef,
  ReplicaNameRef,
  SecretRef,
  ServiceEndpointRef,
  UniqueList,
  type EnvValue,
  type ReferencedService,
  type ServiceInstance,
  type StackService,
} from '../../constructs/index.ts';

/**
 * How one Compose file reaches things: services inside the file by name, services elsewhere
 * through `remote`, and public addresses through `publicUrl`.
 */
export interface ComposePlacement {
  /** Names of the services rendered into this file. */
  readonly local: ReadonlySet<string>;
  /** How a service outside this file is reached; undefined when it cannot be. */
  remote(ref: ServiceEndpointRef): string | undefined;
  /** The public URL of a service as a browser reaches it. */
  publicUrl(service: ReferencedService): string;
  /** Secrets interpolated with an empty default instead of required (those only the voice profile reads). */
  readonly optionalSecrets?: ReadonlySet<string>;
  /** What a missing secret's message tells the user to do. @default - run through doppler run or add a .env */
  readonly secretHint?: string;
}

/**
 * Compose interpolation that fails `docker compose up` with a clear message when a secret is
 * missing. Values come from `doppler run --` or a git-ignored `.env`; they are never written.
 */
export function requiredVariable(name: string, hint: string): string {
  return `\${${name}:?${name} is not set: ${hint}}`;
}

const SECRET_HINT = 'run docker compose through doppler run -- or add it to a git-ignored .env';

/** Compose interpolation of a variable that may be unset: empty then. */
export function optionalVariable(name: string): string {
  return `\${${name}:-}`;
}

/** Escapes a literal so Compose does not interpolate `$`. */
export function escapeLiteral(text: string): string {
  return text.replaceAll('$', '$$$$');
}

/**
 * Resolves a value of the stack description to the text Compose puts in the environment of
 * `self`, the Compose service (one replica, for a service addressed per replica) that reads it.
 */
export function resolveComposeValue(value: EnvValue, placement: ComposePlacement, self: ServiceInstance): string {
  const resolve = (part: EnvValue) => resolveComposeValue(part, placement, self);
  if (typeof value === 'string') return escapeLiteral(value);
  if (value instanceof Interpolation) return value.parts.map(resolve).join('');
  if (value instanceof UniqueList) return resolve(value.distinct(resolve));
  if (value instanceof SecretRef) return placement.optionalSecrets?.has(value.name) ? optionalVariable(value.name) : requiredVariable(value.name, placement.secretHint ?? SECRET_HINT);
  if (value instanceof PublicUrlRef) return placement.publicUrl(value.service);
  if (value instanceof ReplicaNameRef) return escapeLiteral(self.name);
  if (value instanceof DatabaseOutputRef) {
    const output = value.database.selfHostedOutput(value.output);
    if (output === undefined) throw new Error(`${value.database.engine} has no ${value.output} output`);
    return resolve(output);
  }
  return resolveEndpoint(value, placement);
}

function resolveEndpoint(ref: ServiceEndpointRef, placement: ComposePlacement): string {
  if (!placement.local.has(ref.service.name)) {
    const remote = placement.remote(ref);
    if (remote === undefined) throw new Error(`service "${ref.service.name}" is not reachable from this Compose file`);
    return remote;
  }
  // Each Compose service, and so each replica addressed on its own, is its own name on the network.
  return ref.text(endpointInstanceName(ref));
}

/**
 * The secrets Compose interpolates into a service's environment, as resolveComposeValue resolves
 * them; `replaced` names variables a literal override replaces, whose secrets are not read.
 */
export function composeSecretNames(service: StackService, replaced: readonly string[] = []): Set<string> {
  const names = new Set<string>();
  const walk = (value: EnvValue | undefined): void => {
    if (value === undefined || typeof value === 'string') return;
    if (value instanceof SecretRef) names.add(value.name);
    else if (value instanceof Interpolation) value.parts.forEach(walk);
    else if (value instanceof UniqueList) value.items.forEach(walk);
    // A database Compose runs itself: its outputs are built from its host, port and secrets.
    else if (value instanceof DatabaseOutputRef) walk(value.database.selfHostedOutput(value.output));
  };
  for (const [name, value] of Object.entries(service.env)) if (!replaced.includes(name)) walk(value);
  return names;
}
