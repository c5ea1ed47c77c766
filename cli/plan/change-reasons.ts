import { BUILD_VERSION_VARIABLE } from '../../charts/build-version.ts';
import { networkPolicyAllows } from './network-policy-rules.ts';
import { sameContent, WORKLOAD_KINDS, type UnitLayout } from './unit-content.ts';

/**
 * Short, readable reasons why a rendered unit changed: which image moved, which variables
 * changed (names only: values can be configuration a reviewer does not need, and a value is
 * never a secret here, but names are enough), and otherwise which settings.
 *
 * A reason names what changed by what it is, never by its place in a list, so it reads the same
 * whatever order the renderer wrote: a container, env var, port or volume by its name
 * (`containers[mcp-server].ports[http]`), a Compose volume by its target, a `depends_on`, `ports`
 * or `expose` entry by its value (`expose 8080 added`), a NetworkPolicy rule by the peer and port
 * it allows (`NetworkPolicy mcp-server: ingress from pods of frontend on 8080/TCP added`).
 */

/** One difference between two renderings of a unit. */
interface Difference {
  /** The Kubernetes object it is in (`Kind/name`); undefined on Compose and Railway. */
  readonly object: string | undefined;
  /** Where in it, e.g. `spec.template.spec.containers[mcp-server].image`; empty for the whole object. */
  readonly path: string;
  readonly change: 'added' | 'removed' | 'changed' | 'reordered';
  readonly was?: unknown;
  readonly now?: unknown;
}

type Fields = Record<string, unknown>;

function isFields(value: unknown): value is Fields {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Fields that name an item of a list, in the order tried: Kubernetes names containers, env vars,
 * ports and volumes, and a volume claim template by its metadata; Compose names a volume or a
 * long-form port by its target and a watch rule by its path; an Ingress names a rule by its host
 * and a route by its path; a port without a name goes by its number.
 */
const NAMING_FIELDS = ['name', 'metadata.name', 'target', 'mountPath', 'path', 'host', 'containerPort', 'port', 'key', 'secretName'];

/** `[mcp-server]` for a name, `[target=/config]` for another naming field; undefined when nothing names the item. */
function label(item: unknown): string | undefined {
  for (const path of NAMING_FIELDS) {
    const value = path.split('.').reduce<unknown>((parent, key) => (isFields(parent) ? parent[key] : undefined), item);
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    // A bare number in brackets would read as a position.
    return path === 'name' && !/^\d+$/.test(String(value)) ? `[${value}]` : `[${path}=${value}]`;
  }
  return undefined;
}

/** Items by label, when every item has one and no two share it. */
function byLabel(list: unknown[]): Map<string, unknown> | undefined {
  const items = new Map<string, unknown>();
  for (const item of list) {
    const name = label(item);
    if (name === undefined || items.has(name)) return undefined;
    items.set(name, item);
  }
  return items;
}

/** An item no field names, by its content: `ALL`, `3000:3000`, `configMapRef.name=mcp-server-env`. */
function describe(value: unknown, prefix = ''): string {
  if (isFields(value) && Object.keys(value).length > 0) {
    return Object.entries(value)
      .map(([key, child]) => describe(child, prefix === '' ? key : `${prefix}.${key}`))
      .join(' ');
  }
  const text = Array.isArray(value)
    ? value.length === 0
      ? 'none'
      : value.map((item) => (isFields(item) ? `(${describe(item)})` : describe(item))).join(',')
    : isFields(value)
      ? '{}'
      : String(value);
  return prefix === '' ? text : `${prefix}=${text}`;
}

function counted(list: unknown[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of list.map((item) => describe(item))) counts.set(text, (counts.get(text) ?? 0) + 1);
  return counts;
}

function join(path: string, separator: string, part: string): string {
  return path === '' ? part : `${path}${separator}${part}`;
}

/** Appends the differences between two values at `path` to `out`, each at the highest path where it starts. */
function compare(object: string | undefined, was: unknown, now: unknown, path: string, out: Difference[]): void {
  if (sameContent(was, now)) return;
  if (was === undefined) {
    out.push({ object, path, change: 'added', now });
  } else if (now === undefined) {
    out.push({ object, path, change: 'removed', was });
  } else if (Array.isArray(was) && Array.isArray(now)) {
    compareLists(object, was, now, path, out);
  } else if (isFields(was) && isFields(now)) {
    for (const key of [...new Set([...Object.keys(was), ...Object.keys(now)])].sort()) compare(object, was[key], now[key], join(path, '.', key), out);
  } else {
    out.push({ object, path, change: 'changed', was, now });
  }
}

/**
 * Named items are matched by name and compared field by field (`containers[web].image changed`);
 * the others, scalars included, by value: an entry is added or removed (`expose 8080 added`).
 */
function compareLists(object: string | undefined, was: unknown[], now: unknown[], path: string, out: Difference[]): void {
  const found = out.length;
  const [before, after] = [byLabel(was), byLabel(now)];
  if (before !== undefined && after !== undefined) {
    for (const name of new Set([...before.keys(), ...after.keys()])) compare(object, before.get(name), after.get(name), `${path}${name}`, out);
  } else {
    const [wasCounts, nowCounts] = [counted(was), counted(now)];
    for (const value of new Set([...wasCounts.keys(), ...nowCounts.keys()])) {
      const more = (nowCounts.get(value) ?? 0) - (wasCounts.get(value) ?? 0);
      if (more !== 0) out.push({ object, path: join(path, ' ', value), change: more > 0 ? 'added' : 'removed' });
    }
  }
  if (out.length === found) out.push({ object, path, change: 'reordered' });
}

/**
 * A NetworkPolicy's rules compare as the traffic they allow, one peer and port at a time, since
 * how the renderer groups peers into rules says nothing; its other fields compare as usual.
 */
function compareObjects(object: string, was: unknown, now: unknown, out: Difference[]): void {
  if (object.startsWith('NetworkPolicy/') && isFields(was) && isFields(now)) {
    compare(object, networkPolicyAllows(was), networkPolicyAllows(now), '', out);
    const withoutRules = ({ spec, ...rest }: Fields) => {
      const { ingress, egress, ...other } = (spec ?? {}) as Fields;
      return { ...rest, spec: other };
    };
    compare(object, withoutRules(was), withoutRules(now), '', out);
  } else {
    compare(object, was, now, '', out);
  }
}

function differences(layout: UnitLayout, was: unknown, now: unknown): Difference[] {
  const out: Difference[] = [];
  if (layout !== 'kubernetes') {
    compare(undefined, was, now, '', out);
    return out;
  }
  const [before, after] = [was as Fields, now as Fields];
  for (const object of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) compareObjects(object, before[object], after[object], out);
  return out;
}

/** Derived fields that change with others and explain nothing on their own. */
const DERIVED = [/config-hash/];

/** The variable a difference is about, on any target's layout, or undefined. */
function variableOf(difference: Difference): string | undefined {
  const path = difference.object === undefined ? difference.path : `${difference.object}.${difference.path}`;
  const patterns = [
    /\.env\[([A-Za-z_][A-Za-z0-9_]*)\]/, // Kubernetes container env
    /^ConfigMap\/[^.]+\.data\.([A-Za-z_][A-Za-z0-9_]*)$/, // Kubernetes ConfigMap
    /^environment\.([A-Za-z_][A-Za-z0-9_]*)$/, // Compose
    /^variables\.([A-Za-z_][A-Za-z0-9_]*)/, // Railway
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(path);
    if (match !== null) return match[1];
  }
  return undefined;
}

/** Where a difference is: the path in the workload (as reviewers know it), or in another object named by kind and name. */
function where(difference: Difference): string {
  if (difference.object === undefined) return difference.path;
  const slash = difference.object.indexOf('/');
  const [kind, name] = [difference.object.slice(0, slash), difference.object.slice(slash + 1)];
  if (difference.path === '') return `${kind} ${name}`;
  return WORKLOAD_KINDS.has(kind) ? difference.path : `${kind} ${name}: ${difference.path}`;
}

const MAX_REASONS = 6;

/** Why `after` differs from `before` (either may be undefined: added or removed), for a unit of this layout. */
export function changeReasons(layout: UnitLayout, before: unknown, after: unknown): string[] {
  if (before === undefined) return ['added'];
  if (after === undefined) return ['removed'];
  const reasons = new Set<string>();
  const variables = new Map<string, string>();
  for (const difference of differences(layout, before, after)) {
    if (DERIVED.some((pattern) => pattern.test(difference.path))) continue;
    const variable = variableOf(difference);
    const { was, now } = difference;
    if (variable !== undefined) {
      variables.set(variable, difference.change);
    } else if (/(^|\.)image$/.test(difference.path) && typeof was === 'string' && typeof now === 'string') {
      reasons.add(`image ${was} → ${now}`);
    } else {
      reasons.add(`${where(difference)} ${difference.change}`);
    }
  }
  // BUILD_VERSION is the content tag of the service's build (charts/build-version.ts): the plan
  // names what moved it, the build's own inputs (code, dependencies), and the image where there is one.
  variables.delete(BUILD_VERSION_VARIABLE);
  const all = [...reasons, ...[...variables].map(([name, how]) => `env ${name} ${how}`)];
  return all.length > MAX_REASONS ? [...all.slice(0, MAX_REASONS - 1), `and ${all.length - MAX_REASONS + 1} more changes`] : all;
}
