/**
 * Reads back the Mermaid flowcharts synth writes into dist/<env>.md. No Mermaid parser runs
 * without a DOM, so this checks the subset of the syntax the page uses, line by line, and fails
 * on any line outside it: a node or edge form it does not know, an unbalanced subgraph, an id
 * used twice or that Mermaid reserves, an edge to an undeclared node, a bare `"` or `#` in a label.
 */

export interface FlowchartNode {
  readonly id: string;
  readonly label: string;
  readonly shape: 'box' | 'database' | 'circle';
  /** Title of the subgraph it is declared in. */
  readonly box: string | undefined;
}

export interface FlowchartEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly dotted: boolean;
}

export interface Flowchart {
  /** By id. */
  readonly nodes: Map<string, FlowchartNode>;
  /** Subgraph title → labels of the nodes declared in it. */
  readonly boxes: Map<string, string[]>;
  readonly edges: FlowchartEdge[];
  /** Node label of an id, for readable assertions. */
  labelOf(id: string): string;
}

const RESERVED = new Set(['end', 'graph', 'flowchart', 'subgraph', 'direction', 'style', 'linkStyle', 'classDef', 'class', 'click', 'call', 'href', 'default']);
const ID = '([A-Za-z][A-Za-z0-9_]*)';
/** A quoted label: no `"` inside, and `#` only as an entity code (`#34;`). */
const LABEL = '"((?:[^"#]|#[0-9]+;|#[a-z]+;)*)"';

const FORMS: Array<[RegExp, (match: RegExpMatchArray, chart: Builder) => void]> = [
  [new RegExp(`^subgraph ${ID}\\[${LABEL}\\]$`), ([, id, title], chart) => chart.openBox(id!, decode(title!))],
  [/^end$/, (_, chart) => chart.closeBox()],
  [new RegExp(`^${ID}\\[\\(${LABEL}\\)\\]$`), ([, id, label], chart) => chart.node(id!, decode(label!), 'database')],
  [new RegExp(`^${ID}\\[${LABEL}\\]$`), ([, id, label], chart) => chart.node(id!, decode(label!), 'box')],
  [new RegExp(`^${ID}\\(\\(${LABEL}\\)\\)$`), ([, id, label], chart) => chart.node(id!, decode(label!), 'circle')],
  [new RegExp(`^${ID}\\(\\(([A-Za-z]+)\\)\\)$`), ([, id, label], chart) => chart.node(id!, label!, 'circle')],
  [new RegExp(`^${ID} -- ${LABEL} --> ${ID}$`), ([, from, label, to], chart) => chart.edge(from!, to!, decode(label!), false)],
  [new RegExp(`^${ID} -\\. ${LABEL} \\.-> ${ID}$`), ([, from, label, to], chart) => chart.edge(from!, to!, decode(label!), true)],
];

function decode(text: string): string {
  return text.replace(/#([0-9]+);/g, (_, code: string) => String.fromCodePoint(Number(code))).replaceAll('#quot;', '"');
}

class Builder {
  readonly nodes = new Map<string, FlowchartNode>();
  readonly boxes = new Map<string, string[]>();
  readonly edges: FlowchartEdge[] = [];
  private readonly ids = new Set<string>();
  private open: string | undefined;

  openBox(id: string, title: string): void {
    if (this.open !== undefined) throw new Error(`subgraph "${title}" opens inside "${this.open}"`);
    this.claim(id);
    if (this.boxes.has(title)) throw new Error(`two subgraphs are titled "${title}"`);
    this.boxes.set(title, []);
    this.open = title;
  }

  closeBox(): void {
    if (this.open === undefined) throw new Error('end without a subgraph');
    this.open = undefined;
  }

  node(id: string, label: string, shape: FlowchartNode['shape']): void {
    this.claim(id);
    this.nodes.set(id, { id, label, shape, box: this.open });
    if (this.open !== undefined) this.boxes.get(this.open)!.push(label);
  }

  edge(from: string, to: string, label: string, dotted: boolean): void {
    for (const id of [from, to]) if (!this.nodes.has(id)) throw new Error(`edge "${label}" names node ${id}, which is not declared before it`);
    this.edges.push({ from, to, label, dotted });
  }

  finish(): void {
    if (this.open !== undefined) throw new Error(`subgraph "${this.open}" has no end`);
  }

  private claim(id: string): void {
    if (RESERVED.has(id)) throw new Error(`id ${id} is a Mermaid keyword`);
    if (this.ids.has(id)) throw new Error(`id ${id} is declared twice`);
    this.ids.add(id);
  }
}

/** Parses one flowchart (the text between ```mermaid and ```), or throws naming the line it cannot read. */
export function parseFlowchart(source: string): Flowchart {
  const [header, ...lines] = source.trimEnd().split('\n');
  if (header !== 'flowchart LR') throw new Error(`a flowchart starts with "flowchart LR", got ${JSON.stringify(header)}`);
  const chart = new Builder();
  lines.forEach((line, index) => {
    const text = line.trim();
    const form = FORMS.find(([pattern]) => pattern.test(text));
    if (form === undefined) throw new Error(`line ${index + 2} is no flowchart statement the page writes: ${JSON.stringify(line)}`);
    form[1](text.match(form[0])!, chart);
  });
  chart.finish();
  return {
    nodes: chart.nodes,
    boxes: chart.boxes,
    edges: chart.edges,
    labelOf: (id) => chart.nodes.get(id)?.label ?? id,
  };
}

/** The flowchart under `## Traffic on <setting>` of a review page, or throws when there is none. */
export function trafficFlowchart(page: string, setting: string): Flowchart {
  const heading = `## Traffic on ${setting}\n\n\`\`\`mermaid\n`;
  const start = page.indexOf(heading);
  if (start === -1) throw new Error(`the page has no diagram for ${setting}`);
  const body = page.slice(start + heading.length);
  return parseFlowchart(body.slice(0, body.indexOf('```')));
}

/** The settings the page draws a diagram for, in order. */
export function trafficSettings(page: string): string[] {
  return [...page.matchAll(/^## Traffic on (\S+)$/gm)].map((match) => match[1]!);
}

/** Edges as `from -> to: label` with node labels, for readable assertions. */
export function edgeLines(chart: Flowchart): string[] {
  return chart.edges.map((edge) => `${chart.labelOf(edge.from)} ${edge.dotted ? '..>' : '->'} ${chart.labelOf(edge.to)}: ${edge.label}`);
}
