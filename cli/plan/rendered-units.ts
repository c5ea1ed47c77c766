import { parse as parseYaml, parseAllDocuments } from 'yaml';
import type { Target } from '../../constructs/index.ts';
import { sortKeys } from '../../charts/serialize.ts';

/**
 * One service as one target renders it in one environment: the unit a deploy acts on. Its
 * content is parsed and its keys sorted, so two renderings compare by meaning.
 */
export interface RenderedUnit {
  readonly environment: string;
  readonly service: string;
  readonly target: Target;
  /** The rendered file it comes from. */
  readonly file: string;
  readonly content: unknown;
}

/** Rendered output by path (`dist/...`), from a synth in memory or from a commit. */
export type RenderedFiles = ReadonlyMap<string, string>;

/**
 * The off-Railway Compose files of an environment. The host's name is the environment's choice,
 * and environment names may contain dashes (`staging` and `staging-eu`), so a file belongs to the
 * environment its provenance (`x-voice-agent.environment`) names, not to a path prefix.
 */
function offRailwayComposeFiles(files: RenderedFiles, environment: string): string[] {
  const found: string[] = [];
  for (const [file, text] of files) {
    if (!/^dist\/railway\/[^/]+\/compose\.yaml$/.test(file) || !file.startsWith(`dist/railway/${environment}-`)) continue;
    const parsed = parseYaml(text) as { 'x-voice-agent'?: { environment?: string } } | null;
    if (parsed?.['x-voice-agent']?.environment === environment) found.push(file);
  }
  return found.sort();
}

function composeServices(text: string): Record<string, unknown> {
  const parsed = parseYaml(text) as { services?: Record<string, unknown> } | null;
  return parsed?.services ?? {};
}

/**
 * Splits an environment's rendered files into units, by the layout synth writes:
 * - `dist/kubernetes/<env>/<service>.yaml`: every object of the file (`_namespace.yaml` is not a service);
 * - `dist/compose/<env>/compose.yaml`: each entry under `services`;
 * - `dist/railway/<env>.json`: each service or database resource;
 * - `dist/railway/<env>-<host>/compose.yaml`: services run off Railway for it (the video bridge),
 *   on the host the environment names (`railway.offRailwayHost`, `media-host` by default).
 */
export function renderedUnits(files: RenderedFiles, environment: string): RenderedUnit[] {
  const units: RenderedUnit[] = [];
  const kubernetesPrefix = `dist/kubernetes/${environment}/`;
  for (const [file, text] of files) {
    if (file.startsWith(kubernetesPrefix) && file.endsWith('.yaml') && !file.slice(kubernetesPrefix.length).startsWith('_')) {
      const service = file.slice(kubernetesPrefix.length, -'.yaml'.length);
      const objects = parseAllDocuments(text).map((document) => document.toJS() as { kind?: string; metadata?: { name?: string } });
      const content = Object.fromEntries(objects.filter((object) => object !== null).map((object) => [`${object.kind}/${object.metadata?.name}`, object]));
      units.push({ environment, service, target: 'kubernetes', file, content: sortKeys(content) });
    }
  }
  const composeFiles: Array<[string, Target]> = [[`dist/compose/${environment}/compose.yaml`, 'compose']];
  for (const file of offRailwayComposeFiles(files, environment)) composeFiles.push([file, 'railway']);
  for (const [file, target] of composeFiles) {
    const text = files.get(file);
    if (text === undefined) continue;
    for (const [service, content] of Object.entries(composeServices(text))) units.push({ environment, service, target, file, content: sortKeys(content) });
  }
  const railwayFile = `dist/railway/${environment}.json`;
  const railway = files.get(railwayFile);
  if (railway !== undefined) {
    const graph = JSON.parse(railway) as { resources?: Array<{ name: string; type: string }> };
    for (const resource of graph.resources ?? []) {
      if (resource.type === 'service' || resource.type === 'database') units.push({ environment, service: resource.name, target: 'railway', file: railwayFile, content: sortKeys(resource) });
    }
  }
  return units;
}

/** Rendered files of an environment that belong to none of its units (namespace, policies, lists). */
export function environmentFiles(files: RenderedFiles, environment: string, units: readonly RenderedUnit[]): string[] {
  const unitFiles = new Set(units.map((unit) => unit.file));
  return [...files.keys()]
    .filter((file) => !unitFiles.has(file) && !file.endsWith('.md'))
    .filter((file) => file.split('/').some((segment) => segment === environment || segment.startsWith(`${environment}.`) || segment.startsWith(`${environment}-`)))
    .sort();
}
