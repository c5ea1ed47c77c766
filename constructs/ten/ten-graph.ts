import type { TenConnection, TenNode, TenPredefinedGraph, TenPropertyObject, TenPropertyValue, TenRoute } from './ten-schemas.ts';

/**
 * Where a node's addon comes from, which decides how the tenapp gets it:
 * - `shared`: one of TEN's extensions under `ai_agents/agents/ten_packages/extension/<name>`,
 *   packaged by `task release` only when the app's manifest depends on it by path;
 * - `app`: a package inside the tenapp's own `ten_packages/extension/`, found without a
 *   manifest entry (TEN's example `main_python`, our `websocket_session_python`).
 */
export interface TenAddon {
  readonly name: string;
  readonly source: 'shared' | 'app';
}

/** The four kinds of message a TEN graph routes. */
export type TenMessageKind = 'cmd' | 'data' | 'audio_frame' | 'video_frame';

export interface TenGraphNodeProps {
  readonly name: string;
  readonly addon: TenAddon;
  /** Nodes of one group share a thread. @default - the node name */
  readonly group?: string;
  readonly property: TenPropertyObject;
}

/** One message route: `kind` messages named `message` go from node `from` to node `to`. */
export interface TenGraphRoute {
  readonly kind: TenMessageKind;
  readonly message: string;
  readonly from: string;
  readonly to: string;
}

/** A `${env:VAR}` or `${env:VAR|default}` found in a node property. */
export interface TenEnvReference {
  readonly variable: string;
  /** The text after `|`; undefined when the variable is required. */
  readonly defaultValue: string | undefined;
  /** Where it was found, e.g. `nodes[2].property.params.api_key`. */
  readonly field: string;
}

const ENV_REFERENCE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?:\|([^}]*))?\}/g;
const KINDS: readonly TenMessageKind[] = ['cmd', 'data', 'audio_frame', 'video_frame'];

/**
 * A TEN predefined graph, described in code: nodes (an addon with its properties) and the
 * routes between them. It checks nothing by itself, so a wrong graph can be described and then
 * refused, with its location, by `checkTenGraph`.
 */
export class TenGraph {
  public readonly name: string;
  private readonly nodeList: TenGraphNodeProps[] = [];
  private readonly routeList: TenGraphRoute[] = [];
  private readonly secrets = new Set<string>();

  constructor(name: string) {
    this.name = name;
  }

  /** Adds a node and returns its name, for routes. */
  public node(props: TenGraphNodeProps): string {
    this.nodeList.push(props);
    return props.name;
  }

  /** Routes `kind` messages named `message` from one node to another. */
  public route(kind: TenMessageKind, message: string, from: string, to: string): this {
    this.routeList.push({ kind, message, from, to });
    return this;
  }

  /** Marks an environment variable the graph reads as a credential: it must come from a secret. */
  public requireSecret(variable: string): this {
    this.secrets.add(variable);
    return this;
  }

  public get nodes(): readonly TenGraphNodeProps[] {
    return this.nodeList;
  }

  public get routes(): readonly TenGraphRoute[] {
    return this.routeList;
  }

  /** Variables that must be secrets, sorted. */
  public get secretVariables(): string[] {
    return [...this.secrets].sort();
  }

  /** Every `${env:…}` in the node properties, in node order. */
  public get envReferences(): TenEnvReference[] {
    const found: TenEnvReference[] = [];
    const visit = (value: TenPropertyValue, field: string): void => {
      if (typeof value === 'string') {
        for (const match of value.matchAll(ENV_REFERENCE)) {
          found.push({ variable: match[1] as string, defaultValue: match[2], field });
        }
      } else if (Array.isArray(value)) {
        value.forEach((item, index) => visit(item, `${field}[${index}]`));
      } else if (typeof value === 'object' && value !== null) {
        for (const [key, inner] of Object.entries(value)) visit(inner, `${field}.${key}`);
      }
    };
    this.nodeList.forEach((node, index) => visit(node.property, `nodes[${index}].property`));
    return found;
  }

  /**
   * TEN's JSON form: nodes in the order added, and one connection per sending node holding its
   * routes in `dest` form, in the order added (TEN accepts `dest` and `source` alike).
   */
  public toJson(): TenPredefinedGraph {
    const nodes: TenNode[] = this.nodeList.map((node) => ({
      type: 'extension',
      name: node.name,
      addon: node.addon.name,
      extension_group: node.group ?? node.name,
      property: node.property,
    }));
    const connections: TenConnection[] = [];
    for (const from of unique(this.routeList.map((route) => route.from))) {
      const connection: { extension: string } & Partial<Record<TenMessageKind, TenRoute[]>> = { extension: from };
      for (const kind of KINDS) {
        const routes = this.routeList.filter((route) => route.from === from && route.kind === kind);
        if (routes.length === 0) continue;
        connection[kind] = unique(routes.map((route) => route.message)).map((message) => ({
          name: message,
          dest: unique(routes.filter((route) => route.message === message).map((route) => route.to)).map((to) => ({ extension: to })),
        }));
      }
      connections.push(connection);
    }
    return { name: this.name, auto_start: false, graph: { nodes, connections } };
  }
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
