import {
  createRailwayContext,
  github,
  image,
  postgres,
  project,
  RAILWAY_GRAPH_VERSION,
  redis,
  resourceAddress,
  service,
  volume,
  type Edge,
  type ProjectDefinition,
  type RailwayGraph,
  type ResourceAddress,
  type ResourceNode,
  type VariableValue,
} from 'railway/iac';
import type { RailwayEnvironmentPlan, RailwayServicePlan, RailwayValue } from './railway-plan.ts';

type ReferencableNode = ResourceNode & { readonly env: Record<string, VariableValue> };

/**
 * Builds an environment's Railway project with the real `railway/iac` SDK: the same calls the
 * generated .railway/railway.ts makes when Railway's CLI evaluates it for that environment.
 */
export function railwayDefinition(plan: RailwayEnvironmentPlan, environments: string[]): ProjectDefinition {
  const ctx = createRailwayContext({ environment: plan.environment });
  const nodes = new Map<string, ReferencableNode>();
  const resources: ResourceNode[] = [];
  for (const resource of plan.resources) {
    if (resource.kind !== 'service') {
      const node = (resource.kind === 'postgres' ? postgres(resource.name) : redis(resource.name)) as ReferencableNode;
      nodes.set(resource.name, node);
      resources.push(node);
      continue;
    }
    const value = (variable: RailwayValue): string | VariableValue => {
      if (variable.type === 'literal') return variable.value;
      if (variable.type === 'shared') return ctx.shared[variable.name] as VariableValue;
      const target = nodes.get(variable.resource);
      if (target === undefined) throw new Error(`railway plan refers to "${variable.resource}" before declaring it`);
      return target.env[variable.output] as VariableValue;
    };
    const attached = resource.volume !== undefined ? volume(resource.volume.name, { sizeMB: resource.volume.sizeMB }) : undefined;
    const node = service(resource.name, {
      ...serviceConfig(resource),
      env: Object.fromEntries(Object.entries(resource.env).map(([name, variable]) => [name, value(variable)])),
      ...(attached !== undefined && resource.volume !== undefined ? { volumeMounts: { [resource.volume.mountPath]: attached } } : {}),
    }) as ReferencableNode;
    nodes.set(resource.name, node);
    if (attached !== undefined) resources.push(attached);
    resources.push(node);
  }
  return project(plan.project, { environments, resources });
}

/** The service settings that need no other resource. */
function serviceConfig(resource: RailwayServicePlan) {
  return {
    source:
      resource.source.type === 'image'
        ? image(resource.source.image)
        : github(resource.source.repo, {
            branch: resource.source.branch,
            ...(resource.source.rootDirectory !== undefined ? { rootDirectory: resource.source.rootDirectory } : {}),
          }),
    ...(resource.build !== undefined
      ? { build: { builder: 'DOCKERFILE' as const, dockerfilePath: resource.build.dockerfilePath, watchPatterns: resource.build.watchPatterns } }
      : {}),
    ...(resource.start !== undefined ? { start: resource.start } : {}),
    ...(resource.healthcheck !== undefined ? { healthcheck: resource.healthcheck } : {}),
    ...(resource.healthcheckTimeout !== undefined ? { healthcheckTimeout: resource.healthcheckTimeout } : {}),
    replicas: resource.replicas,
    deploy: {
      limitOverride: { containers: { cpu: resource.limits.cpu, memoryBytes: resource.limits.memoryBytes } },
      ...(resource.drainingSeconds !== undefined ? { drainingSeconds: resource.drainingSeconds } : {}),
    },
    ...(resource.domains.length > 0 ? { domains: resource.domains.map((domain) => ({ ...domain })) } : {}),
    ...(resource.tcp.length > 0 ? { tcp: [...resource.tcp] } : {}),
  };
}

/** `${{name.VARIABLE}}` references inside literal values (to another resource or `shared`). */
export const EMBEDDED_REFERENCE = /\$\{\{\s*([A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)\s*\}\}/g;
/** `${{VARIABLE}}` references a service makes to its own variables. */
export const SELF_REFERENCE = /\$\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/**
 * Compiles a project definition into Railway's graph for one environment: its resources, and an
 * edge for every variable reference (structured or embedded in a literal) and volume mount.
 * `validateGraph()` then reports any edge whose end is not a declared resource.
 */
export function railwayGraph(definition: ProjectDefinition, environment: string): RailwayGraph {
  const resources = (definition.resources ?? []).flat() as ResourceNode[];
  const addressByName = new Map<string, ResourceAddress>(resources.map((node) => [node.name, node.address]));
  const edges: Edge[] = [];
  for (const node of resources) {
    if (node.type !== 'service' && node.type !== 'database') continue;
    for (const [key, variable] of Object.entries(node.variables ?? {})) {
      if (variable.type === 'reference') edges.push({ from: node.address, to: variable.resource, type: 'variable', key });
      if (variable.type !== 'literal' || typeof variable.value !== 'string') continue;
      for (const match of variable.value.matchAll(EMBEDDED_REFERENCE)) {
        const target = match[1] ?? '';
        if (target === 'shared') continue;
        edges.push({ from: node.address, to: addressByName.get(target) ?? resourceAddress('service', target), type: 'variable', key });
      }
    }
    for (const [mountPath, attachment] of Object.entries(node.volumeAttachments ?? {})) {
      edges.push({ from: node.address, to: attachment.volume, type: 'mount', key: attachment.mountPath || mountPath });
    }
  }
  const order = (edge: Edge) => `${edge.from}\u0000${edge.to}\u0000${edge.type}\u0000${edge.key ?? ''}`;
  const unique = [...new Map(edges.map((edge) => [order(edge), edge])).values()].sort((a, b) => order(a).localeCompare(order(b)));
  return {
    version: RAILWAY_GRAPH_VERSION,
    project: { name: definition.name },
    environments: [{ name: environment }],
    resources: [...resources].sort((a, b) => a.address.localeCompare(b.address)),
    edges: unique,
  };
}
