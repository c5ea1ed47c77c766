import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transformSync } from 'amaro';
import {
  createRailwayContext,
  project,
  validateGraph,
  type RailwayGraph,
  type RailwayProgram,
  type ResourceNode,
} from 'railway/iac';
import { EMBEDDED_REFERENCE, railwayGraph, SELF_REFERENCE } from './railway-sdk.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';

/**
 * Loads `.railway/railway.ts` the way Railway's CLI does: Node's type stripping (amaro, the
 * stripper Node uses, in strip-only mode, which rejects non-erasable TypeScript), then an ESM
 * import that resolves `railway/iac` from this repository.
 */
export async function loadRailwayProgram(sourcePath: string): Promise<RailwayProgram> {
  const source = await readFile(sourcePath, 'utf8');
  let code: string;
  try {
    code = transformSync(source, { mode: 'strip-only' }).code;
  } catch (error) {
    // amaro's errors are plain objects with a message, not Error instances.
    const message = String((error as { message?: unknown }).message ?? error).split('\n')[0];
    throw new Error(`${sourcePath} is not erasable TypeScript, so Railway cannot load it: ${message}`);
  }
  const imports = [...source.matchAll(/^\s*import\s[^;]*?from\s+["']([^"']+)["']/gm)].map((match) => match[1]);
  const foreign = imports.filter((specifier) => specifier !== 'railway/iac');
  if (foreign.length > 0) throw new Error(`${sourcePath} must import only railway/iac, but imports ${foreign.join(', ')}`);
  // The module must sit inside the repository so `railway/iac` resolves from its node_modules.
  const directory = await mkdtemp(join(REPO_ROOT, '.synth-railway-'));
  try {
    const file = join(directory, 'railway.mjs');
    await writeFile(file, code);
    const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    if (typeof module.default !== 'function') throw new Error(`${sourcePath} must default-export defineRailway(...)`);
    return module.default as RailwayProgram;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Evaluates the program for one Railway environment, as `railway config plan` would, and compiles its graph. */
export async function evaluateRailwayEnvironment(program: RailwayProgram, environment: string): Promise<RailwayGraph> {
  const definition = await program(createRailwayContext({ environment, command: 'plan' }), project);
  return railwayGraph(definition, environment);
}

/** Variables Railway provides to every service. */
const RAILWAY_PROVIDED = new Set([
  'RAILWAY_PUBLIC_DOMAIN',
  'RAILWAY_PRIVATE_DOMAIN',
  'RAILWAY_TCP_PROXY_DOMAIN',
  'RAILWAY_TCP_PROXY_PORT',
  'RAILWAY_TCP_APPLICATION_PORT',
  'RAILWAY_PROJECT_NAME',
  'RAILWAY_PROJECT_ID',
  'RAILWAY_ENVIRONMENT_NAME',
  'RAILWAY_ENVIRONMENT_ID',
  'RAILWAY_SERVICE_NAME',
  'RAILWAY_SERVICE_ID',
  'RAILWAY_REPLICA_ID',
  'RAILWAY_DEPLOYMENT_ID',
  'PORT',
]);

/** Variables Railway's managed databases define, by engine. */
const DATABASE_VARIABLES: Record<string, Set<string>> = {
  postgres: new Set(['DATABASE_URL', 'DATABASE_PUBLIC_URL', 'PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'POSTGRES_DB', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'PGDATA']),
  redis: new Set(['REDIS_URL', 'REDIS_PUBLIC_URL', 'REDISHOST', 'REDISPORT', 'REDISUSER', 'REDISPASSWORD', 'REDIS_PASSWORD']),
};

/**
 * The SDK's own `validateGraph()`, plus our invariant, read from the variables themselves rather
 * than from the compiled edges: every reference (structured, `${{name.VAR}}` or a service's own
 * `${{VAR}}` in a literal) points at a declared resource and at a variable that resource has;
 * public-domain references need a domain and TCP-proxy references need a proxy.
 */
export function checkRailwayGraph(graph: RailwayGraph): string[] {
  const where = (node: ResourceNode, key: string) => `railway ${graph.environments[0]?.name}: ${node.name}.${key}`;
  const problems = validateGraph(graph).map((problem) => `railway ${graph.environments[0]?.name}: ${problem}`);
  const byName = new Map(graph.resources.map((node) => [node.name, node]));
  const byAddress = new Map(graph.resources.map((node) => [node.address, node]));
  const check = (node: ResourceNode, key: string, target: ResourceNode | undefined, targetName: string, variable: string) => {
    if (target === undefined) {
      problems.push(`${where(node, key)} refers to "${targetName}", which is not declared in this environment`);
      return;
    }
    if (!hasVariable(target, variable)) problems.push(`${where(node, key)} refers to ${targetName}.${variable}, which ${targetName} does not define`);
  };
  for (const node of graph.resources) {
    if (node.type !== 'service' && node.type !== 'database') continue;
    for (const [key, value] of Object.entries(node.variables ?? {})) {
      if (value.type === 'reference') check(node, key, byAddress.get(value.resource), value.resource, value.output);
      if (value.type !== 'literal' || typeof value.value !== 'string') continue;
      for (const match of value.value.matchAll(EMBEDDED_REFERENCE)) {
        const [, name = '', variable = ''] = match;
        if (name !== 'shared') check(node, key, byName.get(name), name, variable);
      }
      for (const match of value.value.matchAll(SELF_REFERENCE)) check(node, key, node, node.name, match[1] ?? '');
    }
  }
  return problems;
}

function hasVariable(target: ResourceNode, variable: string): boolean {
  if (target.type === 'database') return RAILWAY_PROVIDED.has(variable) || (DATABASE_VARIABLES[target.engine]?.has(variable) ?? false);
  if (target.type !== 'service') return false;
  if (variable === 'RAILWAY_PUBLIC_DOMAIN') return Object.keys(target.networking?.customDomains ?? target.networking?.serviceDomains ?? {}).length > 0;
  if (variable.startsWith('RAILWAY_TCP_')) return Object.keys(target.networking?.tcpProxies ?? {}).length > 0;
  return RAILWAY_PROVIDED.has(variable) || Object.hasOwn(target.variables ?? {}, variable);
}
