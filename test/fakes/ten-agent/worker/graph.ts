/**
 * The graph a worker runs, read from its temporary property file the way the TEN runtime reads
 * it: the predefined graph with `auto_start: true`, its nodes, and its connections turned into
 * routes. A connection is `{extension, cmd|data|audio_frame|video_frame: [{name | names,
 * dest | source: [{extension}]}]}` (TEN's property.schema.json): `dest` routes from `extension`
 * to each destination, `source` routes from each source to `extension`.
 */

export type MessageKind = 'cmd' | 'data' | 'audio_frame' | 'video_frame';

export interface GraphNode {
  readonly name: string;
  readonly addon: string;
  readonly property: Record<string, unknown>;
}

export interface Route {
  readonly kind: MessageKind;
  readonly message: string;
  readonly from: string;
  readonly to: string;
}

export interface Graph {
  readonly name: string;
  readonly nodes: readonly GraphNode[];
  readonly routes: readonly Route[];
}

const KINDS: readonly MessageKind[] = ['cmd', 'data', 'audio_frame', 'video_frame'];

type Json = Record<string, unknown>;

const asMap = (value: unknown): Json | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined);
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** The first auto-started graph of a property file, or why there is none to run. */
export function readAutoStartGraph(propertyJson: unknown): { graph: Graph } | { refused: string } {
  const graphs = asList(asMap(asMap(propertyJson)?.['ten'])?.['predefined_graphs']).map(asMap);
  const selected = graphs.find((graph) => graph?.['auto_start'] === true);
  if (selected === undefined) return { refused: 'no predefined graph has auto_start true' };
  const name = String(selected['name'] ?? '');
  const body = asMap(selected['graph']) ?? {};
  const nodes: GraphNode[] = [];
  for (const node of asList(body['nodes']).map(asMap)) {
    if (node === undefined || node['type'] !== 'extension') continue;
    nodes.push({ name: String(node['name']), addon: String(node['addon']), property: asMap(node['property']) ?? {} });
  }
  // ten_rust's Graph: "It's invalid that a graph does not contain any nodes."
  if (nodes.length === 0) return { refused: `graph "${name}" has no nodes` };
  const defined = new Set(nodes.map((node) => node.name));
  const routes: Route[] = [];
  for (const connection of asList(body['connections']).map(asMap)) {
    const owner = String(connection?.['extension'] ?? '');
    if (!defined.has(owner)) return { refused: `connection of "${owner}": no node of that name` };
    for (const kind of KINDS) {
      for (const flow of asList(connection?.[kind]).map(asMap)) {
        const names = flow?.['names'] !== undefined ? asList(flow['names']).map(String) : [String(flow?.['name'] ?? '')];
        for (const [side, ends] of [['dest', flow?.['dest']], ['source', flow?.['source']]] as const) {
          for (const end of asList(ends).map(asMap)) {
            const other = String(end?.['extension'] ?? '');
            // ten_rust's check_if_dest_of_connection_are_defined_in_nodes (and its source twin).
            if (!defined.has(other)) return { refused: `connection of "${owner}", ${kind} ${names.join(',')}: ${side} "${other}" is not a node` };
            for (const message of names) routes.push(side === 'dest' ? { kind, message, from: owner, to: other } : { kind, message, from: other, to: owner });
          }
        }
      }
    }
  }
  return { graph: { name, nodes, routes } };
}
