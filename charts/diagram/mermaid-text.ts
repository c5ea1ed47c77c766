/**
 * Text inside a quoted Mermaid label. Mermaid ends a label at `"` and reads `#…;` as an entity,
 * and renders labels as HTML, so those characters go in as entity codes.
 */
export function mermaidText(text: string): string {
  return text.replace(/[#"<>]/g, (character) => `#${character.codePointAt(0)};`);
}

/** Words Mermaid's flowchart grammar reserves, which no node id may be. */
const RESERVED_IDS = new Set(['end', 'graph', 'flowchart', 'subgraph', 'direction', 'style', 'linkStyle', 'classDef', 'class', 'click', 'call', 'href', 'default']);

/**
 * The node id of a service: its name with `_` for `-`, which keeps distinct names distinct
 * (service names have no `_`). Ids the page uses for its own nodes, and Mermaid's keywords, get
 * a prefix.
 */
export function serviceNodeId(name: string): string {
  const id = name.replace(/[^A-Za-z0-9]/g, '_');
  return RESERVED_IDS.has(id) || /^(internet|outside|place_\d+|external_\d+)$/.test(id) ? `service_${id}` : id;
}
