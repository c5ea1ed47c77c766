import { isManagedDatabase, servicesOf, StackService, type StackEnvironment } from '../../constructs/index.ts';
import type { DeployTarget, ServicePlacement } from '../targets/deploy-target.ts';
import { mermaidText, serviceNodeId } from './mermaid-text.ts';
import { trafficLinks, type ExternalService, type TrafficLink } from './traffic-links.ts';

/** A service as one target places it. */
interface Placed {
  readonly service: StackService;
  readonly target: DeployTarget;
  readonly placement: ServicePlacement;
}

/**
 * The Mermaid flowchart of one deployment of an environment (the targets of one `targets`
 * entry: Railway with the host off it), from what those targets say: a box per place they put
 * services in, an arrow per connection. Connections from outside come from each target's public
 * endpoints, so their scheme is the target's (HTTPS where it ends TLS, HTTP where it does not).
 * Start order is not drawn: a dependency is no connection.
 */
export function trafficDiagram(environment: StackEnvironment, targets: readonly DeployTarget[]): string[] {
  const placed = new Map<StackService, Placed>();
  for (const service of servicesOf(environment)) {
    for (const target of targets) {
      const placement = target.placement(service);
      if (placement !== undefined && !placed.has(service)) placed.set(service, { service, target, placement });
    }
  }
  const links = trafficLinks(environment).filter((link) => placed.has(link.from) && (!(link.to instanceof StackService) || placed.has(link.to)));
  const externals = externalIds(links);
  const idOf = (to: StackService | ExternalService) => (to instanceof StackService ? serviceNodeId(to.name) : externals.get(to.name)!);
  return [
    'flowchart LR',
    '  subgraph outside["outside the stack"]',
    '    internet((internet))',
    ...[...externals].map(([name, id]) => `    ${id}(("${mermaidText(name)}"))`),
    '  end',
    ...placeBoxes([...placed.values()]),
    ...publicEntries(environment, targets, placed),
    ...links.map((link) => {
      const label = mermaidText([link.label, ...targetNotes(link, placed)].join(', '));
      return link.toPublicAddress ? `  ${idOf(link.from)} -. "${label}" .-> ${idOf(link.to)}` : `  ${idOf(link.from)} -- "${label}" --> ${idOf(link.to)}`;
    }),
  ];
}

/** One node per service outside the stack, by name, in the order the links first name them. */
function externalIds(links: TrafficLink[]): Map<string, string> {
  const ids = new Map<string, string>();
  for (const link of links) if (!(link.to instanceof StackService) && !ids.has(link.to.name)) ids.set(link.to.name, `external_${ids.size + 1}`);
  return ids;
}

/** A subgraph per place, in the order services first appear in it. */
function placeBoxes(placed: Placed[]): string[] {
  const places = [...new Set(placed.map((entry) => entry.placement.place))];
  return places.flatMap((place, index) => [
    `  subgraph place_${index + 1}["${mermaidText(place)}"]`,
    ...placed
      .filter((entry) => entry.placement.place === place)
      .map(({ service }) => (isManagedDatabase(service) ? `    ${serviceNodeId(service.name)}[("${service.name}")]` : `    ${serviceNodeId(service.name)}["${service.name}"]`)),
    '  end',
  ]);
}

/**
 * What reaches each service from the internet on these targets: each public HTTP endpoint by
 * the scheme of its origin there, and each public UDP port of a service they run.
 */
function publicEntries(environment: StackEnvironment, targets: readonly DeployTarget[], placed: Map<StackService, Placed>): string[] {
  const lines: string[] = [];
  for (const target of targets) {
    const { endpoints, unchecked } = target.publicEndpoints(environment);
    for (const endpoint of endpoints) {
      const origin = new URL(endpoint.origin);
      const transport = `${origin.protocol.replace(/:$/, '').toUpperCase()}${origin.port !== '' ? ` ${origin.port}` : ''}`;
      lines.push(entry(endpoint.service, transport, endpoint.service.findPort(endpoint.port)?.appProtocol));
    }
    for (const { service } of unchecked) {
      const port = service.publicHttpPort!;
      lines.push(entry(service, `TCP ${port.port}`, port.appProtocol));
    }
  }
  for (const { service, placement } of placed.values()) {
    if (!placement.runs) continue;
    for (const port of service.publicPorts.filter((candidate) => candidate.protocol === 'udp')) lines.push(entry(service, `UDP ${port.port}`, port.appProtocol));
  }
  return lines;
}

function entry(service: StackService, transport: string, appProtocol: string | undefined): string {
  const label = appProtocol === undefined ? transport : `${transport}: ${appProtocol}`;
  return `  internet -- "${mermaidText(label)}" --> ${serviceNodeId(service.name)}`;
}

/**
 * What the targets add to a connection: the way between two places where it is not a private
 * network, and media the sender's target does not promise to let out (its field table says so).
 */
function targetNotes(link: TrafficLink, placed: Map<StackService, Placed>): string[] {
  const from = placed.get(link.from)!;
  const notes: string[] = [];
  const to = link.to instanceof StackService ? placed.get(link.to) : undefined;
  const through = from.placement.reachesOtherPlacesThrough;
  if (!link.toPublicAddress && to !== undefined && to.placement.place !== from.placement.place && through !== undefined) notes.push(through);
  const udpEgress = from.target.fields.udpEgress;
  if (link.toPublicAddress && typeof udpEgress === 'function' && udpEgress(link.from) !== undefined) notes.push(`not promised on ${from.target.name}, see the notes below`);
  return notes;
}
