import type { ManagedDatabase } from './managed-database.ts';
import type { StackService } from './stack-service.ts';

/**
 * A value that differs per target and is resolved by each renderer, never a hand-written string.
 * Renderers switch on `kind`.
 */
export type Reference = SecretRef | ServiceEndpointRef | PublicUrlRef | DatabaseOutputRef | Interpolation;

/** What an environment variable can hold: a literal or a reference. */
export type EnvValue = string | Reference;

/**
 * A secret held by Doppler, named but never valued. Kubernetes reads it from a Secret managed by
 * the Doppler operator, Compose from the shell (`doppler run --` or a git-ignored `.env`),
 * Railway from a shared variable that Doppler syncs.
 */
export class SecretRef {
  public readonly kind = 'secret';
  constructor(public readonly name: string) {}
}

/** Which part of a service endpoint a reference stands for. */
export type EndpointForm = 'url' | 'host' | 'port';

/**
 * A private endpoint of another service: "the URL of service X's port P", or only its host or
 * port. Using one makes the referring service depend on X.
 */
export class ServiceEndpointRef {
  public readonly kind = 'endpoint';
  constructor(
    public readonly service: StackService,
    public readonly port: number,
    public readonly form: EndpointForm,
    public readonly scheme: string = 'http',
    public readonly path: string = '',
  ) {}
}

/**
 * The public HTTPS URL of a service's public port, as users' browsers reach it. It carries no
 * dependency: knowing your own public address does not mean connecting to it.
 */
export class PublicUrlRef {
  public readonly kind = 'public-url';
  constructor(public readonly service: StackService) {}
}

/** The fixed outputs every managed database offers, as Score's resource outputs do. */
export type DatabaseOutputName = 'url' | 'host' | 'port' | 'user' | 'password' | 'database';

/** One output of a managed database (Postgres or Redis). Using one depends on the database. */
export class DatabaseOutputRef {
  public readonly kind = 'database-output';
  constructor(
    public readonly database: ManagedDatabase,
    public readonly output: DatabaseOutputName,
  ) {}
}

/** A string assembled from literals and references, built with the `interpolate` tag. */
export class Interpolation {
  public readonly kind = 'interpolation';
  constructor(public readonly parts: ReadonlyArray<string | Exclude<Reference, Interpolation>>) {}
}

/** Refers to a Doppler secret by name. */
export function secret(name: string): SecretRef {
  return new SecretRef(name);
}

/**
 * Tagged template that mixes literals and references:
 * `interpolate\`frame-ancestors ${frontend.publicUrl()}\``.
 */
export function interpolate(
  strings: TemplateStringsArray,
  ...values: Array<string | number | Reference>
): string | Interpolation {
  const parts: Array<string | Exclude<Reference, Interpolation>> = [];
  strings.forEach((text, index) => {
    if (text !== '') parts.push(text);
    if (index >= values.length) return;
    const value = values[index];
    if (value === undefined) return;
    if (typeof value === 'string' || typeof value === 'number') parts.push(String(value));
    else if (value instanceof Interpolation) parts.push(...value.parts);
    else parts.push(value);
  });
  const merged = mergeAdjacentLiterals(parts);
  if (merged.every((part) => typeof part === 'string')) return merged.join('');
  return new Interpolation(merged);
}

function mergeAdjacentLiterals(
  parts: Array<string | Exclude<Reference, Interpolation>>,
): Array<string | Exclude<Reference, Interpolation>> {
  const merged: Array<string | Exclude<Reference, Interpolation>> = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (typeof part === 'string' && typeof last === 'string') merged[merged.length - 1] = last + part;
    else merged.push(part);
  }
  return merged;
}

/** True for every kind of reference, false for literal strings. */
export function isReference(value: unknown): value is Reference {
  return (
    value instanceof SecretRef ||
    value instanceof ServiceEndpointRef ||
    value instanceof PublicUrlRef ||
    value instanceof DatabaseOutputRef ||
    value instanceof Interpolation
  );
}

/** The references inside a value, flattening interpolations. */
export function referencesIn(value: EnvValue): Array<Exclude<Reference, Interpolation>> {
  if (typeof value === 'string') return [];
  if (value instanceof Interpolation) return value.parts.filter((part) => typeof part !== 'string');
  return [value];
}
