import type { IConstruct } from 'constructs';
import type { ServicePort, ServicePortRange } from './service-props.ts';
import { quoted, SpecError } from './spec-error.ts';
import { describeValue } from './zod-issues.ts';

/**
 * A value that differs per target and is resolved by each renderer, never a hand-written string.
 * Renderers switch on `kind`.
 */
export type Reference = SecretRef | ServiceEndpointRef | PublicUrlRef | DatabaseOutputRef | ReplicaNameRef | Interpolation | UniqueList;

/** A reference that stands for one value: what interpolations and lists are made of. */
export type SingleReference = Exclude<Reference, Interpolation | UniqueList>;

/** What an environment variable can hold: a literal or a reference. */
export type EnvValue = string | Reference;

// References point at services through the two interfaces below, which `StackService` and
// `ManagedDatabase` implement, rather than at the classes: a service is built from references
// (its variables), so naming the classes here would make the model's modules import each other.
// Validation checks that each reference points at a service of its environment.

/** The service a reference points at: what the targets need to resolve it. */
export interface ReferencedService extends IConstruct {
  /** The service name, identical in every target. */
  readonly name: string;
  /** The public HTTP port, which a public URL leads to. */
  readonly publicHttpPort: ServicePort | undefined;
  /** The port range that holds a port: some targets reach such a port under the range's own name. */
  findPortRange(port: number): ServicePortRange | undefined;
}

/** Engines that a platform may offer as a managed database. */
export type DatabaseEngine = 'postgres' | 'redis';

/** The database a database output points at. */
export interface ReferencedDatabase extends ReferencedService {
  readonly engine: DatabaseEngine;
  /** How an output is built when this stack runs the database itself; undefined when the engine has no such output. */
  selfHostedOutput(name: DatabaseOutputName): EnvValue | undefined;
}

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
 * port; with `replica`, of one replica of a service addressed per replica ("the URL of replica i
 * of X's port P"). Using one makes the referring service depend on X.
 */
export class ServiceEndpointRef {
  public readonly kind = 'endpoint';
  constructor(
    public readonly service: ReferencedService,
    public readonly port: number,
    public readonly form: EndpointForm,
    public readonly scheme: string = 'http',
    public readonly path: string = '',
    public readonly replica?: number,
  ) {}

  /**
   * The value in its form, once a target has said how `host` reaches the service there (and on
   * which `port`, where that is not the service's own: `npm run dev` runs everything on one host).
   */
  public text(host: string, port: number = this.port): string {
    switch (this.form) {
      case 'host':
        return host;
      case 'port':
        return String(port);
      case 'url':
        return `${this.scheme}://${host}:${port}${this.path}`;
    }
  }
}

/**
 * The stable name of the replica that reads the value (`ten-agent-0`, `ten-agent-1`, …), for a
 * service addressed per replica: the name its clients know it by, so it can mark itself in shared
 * state. Kubernetes gives it from the pod's name; the targets that run one service per replica
 * write it as a literal.
 */
export class ReplicaNameRef {
  public readonly kind = 'replica-name';
}

/**
 * The public HTTPS URL of a service's public port, as users' browsers reach it. It carries no
 * dependency: knowing your own public address does not mean connecting to it.
 */
export class PublicUrlRef {
  public readonly kind = 'public-url';
  constructor(public readonly service: ReferencedService) {}
}

/** The fixed outputs every managed database offers, as Score's resource outputs do. */
export type DatabaseOutputName = 'url' | 'host' | 'port' | 'user' | 'password' | 'database';

/** One output of a managed database (Postgres or Redis). Using one depends on the database. */
export class DatabaseOutputRef {
  public readonly kind = 'database-output';
  constructor(
    public readonly database: ReferencedDatabase,
    public readonly output: DatabaseOutputName,
  ) {}
}

/** A string assembled from literals and references, built with the `interpolate` tag. */
export class Interpolation {
  public readonly kind = 'interpolation';
  constructor(public readonly parts: ReadonlyArray<string | SingleReference>) {}
}

/** One item of a `UniqueList`. */
export type ListItem = string | SingleReference | Interpolation;

/**
 * A separated list whose items each target resolves, without the items that come out the same
 * as an earlier one: `uniqueList(svc.host(8080), 'mcp-server')` is one name on Compose (where the
 * host is the service name) and two on Kubernetes.
 */
export class UniqueList {
  public readonly kind = 'unique-list';
  constructor(
    public readonly items: readonly ListItem[],
    public readonly separator: string = ',',
  ) {}

  /** The items a target keeps, as one value: `resolveText` tells what an item becomes there. */
  public distinct(resolveText: (item: ListItem) => string): string | Interpolation {
    const seen = new Set<string>();
    const kept = this.items.filter((item) => {
      const text = resolveText(item);
      if (seen.has(text)) return false;
      seen.add(text);
      return true;
    });
    const parts = kept.flatMap((item, index) => {
      const own = item instanceof Interpolation ? item.parts : [item];
      return index === 0 ? own : [this.separator, ...own];
    });
    return join(parts);
  }
}

/** A comma-separated list without duplicates once resolved (see `UniqueList`). */
export function uniqueList(items: readonly ListItem[]): UniqueList {
  if (!Array.isArray(items)) throw new SpecError({}, `uniqueList() takes an array of strings and references, got ${describeValue(items)}`);
  items.forEach((item: unknown, index) => {
    if (typeof item !== 'string' && !(item instanceof Interpolation) && !(isReference(item) && !(item instanceof UniqueList))) {
      throw new SpecError({}, `uniqueList(): item ${index} must be a string, a reference or an interpolation, got ${describeValue(item)}`);
    }
  });
  return new UniqueList(items);
}

/** Refers to the name of the replica that reads it (see `ReplicaNameRef`). */
export function ownReplicaName(): ReplicaNameRef {
  return new ReplicaNameRef();
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
  if (!Array.isArray(strings)) throw new SpecError({}, 'interpolate is a template tag: write interpolate`text ${reference}`, not interpolate(...)');
  const parts: Array<string | SingleReference> = [];
  strings.forEach((text, index) => {
    if (text !== '') parts.push(text);
    if (index >= values.length) return;
    const value: unknown = values[index];
    if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) parts.push(String(value));
    else if (value instanceof Interpolation) parts.push(...value.parts);
    else if (value instanceof UniqueList) throw new SpecError({}, 'a uniqueList() cannot be part of an interpolation; make it the whole value');
    else if (isReference(value)) parts.push(value as SingleReference);
    else {
      // An undefined here is usually a property that does not exist; dropping it would render a broken value.
      throw new SpecError({}, `interpolate: the value after ${quoted(strings.slice(0, index + 1).join('${…}'))} must be a string, a finite number or a reference, got ${describeValue(value)}`);
    }
  });
  return join(parts);
}

/** Literal parts joined, references kept: a plain string when nothing is left to resolve. */
function join(parts: ReadonlyArray<string | SingleReference>): string | Interpolation {
  const merged = mergeAdjacentLiterals(parts);
  if (merged.every((part) => typeof part === 'string')) return merged.join('');
  return new Interpolation(merged);
}

function mergeAdjacentLiterals(parts: ReadonlyArray<string | SingleReference>): Array<string | SingleReference> {
  const merged: Array<string | SingleReference> = [];
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
    value instanceof ReplicaNameRef ||
    value instanceof Interpolation ||
    value instanceof UniqueList
  );
}

/**
 * Why a value is not made the way `interpolate` and `uniqueList` make values (a part that is
 * neither text nor a reference), or undefined when it is. Renderers rely on the shape.
 */
export function whyMalformed(value: EnvValue): string | undefined {
  if (value instanceof Interpolation) {
    if (!Array.isArray(value.parts)) return `an interpolation needs an array of parts, got ${describeValue(value.parts)}`;
    const bad = value.parts.find((part: unknown) => typeof part !== 'string' && !isSingleReference(part));
    return bad === undefined ? undefined : `an interpolation part must be a string or a reference, got ${describeValue(bad)}`;
  }
  if (value instanceof UniqueList) {
    if (!Array.isArray(value.items)) return `a unique list needs an array of items, got ${describeValue(value.items)}`;
    if (typeof value.separator !== 'string') return `a unique list's separator must be a string, got ${describeValue(value.separator)}`;
    for (const item of value.items as unknown[]) {
      if (typeof item === 'string' || isSingleReference(item)) continue;
      if (item instanceof Interpolation) {
        const problem = whyMalformed(item);
        if (problem !== undefined) return problem;
        continue;
      }
      return `a unique list item must be a string, a reference or an interpolation, got ${describeValue(item)}`;
    }
  }
  return undefined;
}

function isSingleReference(value: unknown): value is SingleReference {
  return (
    value instanceof SecretRef ||
    value instanceof ServiceEndpointRef ||
    value instanceof PublicUrlRef ||
    value instanceof DatabaseOutputRef ||
    value instanceof ReplicaNameRef
  );
}

/** The literal text inside a value: the value itself, an interpolation's literal parts, a list's literal items. */
export function literalsIn(value: EnvValue): string[] {
  if (typeof value === 'string') return [value];
  if (value instanceof Interpolation) return value.parts.filter((part) => typeof part === 'string');
  if (value instanceof UniqueList) return value.items.flatMap(literalsIn);
  return [];
}

/**
 * The service a reference makes the service that holds it depend on: an endpoint's service or a
 * database output's database. A public URL carries no dependency, and the others name no service.
 */
export function dependencyOf(ref: SingleReference): ReferencedService | undefined {
  if (ref instanceof ServiceEndpointRef) return ref.service;
  if (ref instanceof DatabaseOutputRef) return ref.database;
  return undefined;
}

/** The references inside a value, flattening interpolations. */
export function referencesIn(value: EnvValue): SingleReference[] {
  if (typeof value === 'string') return [];
  if (value instanceof Interpolation) return value.parts.filter((part) => typeof part !== 'string');
  if (value instanceof UniqueList) return value.items.flatMap(referencesIn);
  return [value];
}
