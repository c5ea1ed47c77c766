import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkProps } from '../props-check.ts';
import { referencesIn, SecretRef, type EnvValue } from '../references.ts';
import { REPO_ROOT } from '../repo-root.ts';
import type { TenGraph } from './ten-graph.ts';
import { tenTelemetryServices } from './ten-telemetry.ts';
import {
  tenManifestSchema,
  tenPredefinedGraphSchema,
  tenPropertyFileSchema,
  type TenManifest,
  type TenPredefinedGraph,
  type TenPropertyFile,
} from './ten-schemas.ts';

/** Our tenapp, relative to the repository root; the image overlays it on TEN's websocket example. */
export const TENAPP_DIR = 'services/ten-agent/tenapp';
export const TENAPP_PROPERTY_PATH = `${TENAPP_DIR}/property.json`;
export const TENAPP_MANIFEST_PATH = `${TENAPP_DIR}/manifest.json`;

/** TEN's shared extensions, as a tenapp at `ai_agents/agents/examples/<example>/tenapp` reaches them. */
const SHARED_EXTENSION_PATH = '../../../ten_packages/extension';

/**
 * The system packages TEN's websocket example depends on at the pinned TEN version
 * (`ai_agents/agents/examples/websocket-example/tenapp/manifest.json`).
 */
const SYSTEM_DEPENDENCIES = [
  { type: 'system', name: 'ten_runtime_go', version: '0.11' },
  { type: 'system', name: 'ten_ai_base', version: '0.7' },
] as const;

/**
 * Packages inside the tenapp itself, which need no manifest entry: `main_python` comes with TEN's
 * websocket example that the image overlays; the others are ours, in this repository.
 */
export const EXAMPLE_APP_ADDONS = ['main_python'] as const;

/** Our own extensions in `services/ten-agent/tenapp/ten_packages/extension/`, by the name their manifest gives. */
export function ownAppAddons(tenappDir = join(REPO_ROOT, TENAPP_DIR)): string[] {
  const extensions = join(tenappDir, 'ten_packages', 'extension');
  if (!existsSync(extensions)) return [];
  const names: string[] = [];
  for (const entry of readdirSync(extensions).sort()) {
    const manifest = join(extensions, entry, 'manifest.json');
    if (existsSync(manifest)) names.push((JSON.parse(readFileSync(manifest, 'utf8')) as { name: string }).name);
  }
  return names.sort();
}


/** The app's manifest.json: TEN's system packages and every shared extension the graphs use, by path. */
export function tenappManifest(graphs: readonly TenGraph[]): TenManifest {
  const shared = new Set<string>();
  for (const graph of graphs) for (const node of graph.nodes) if (node.addon.source === 'shared') shared.add(node.addon.name);
  return {
    type: 'app',
    name: 'voice_agent_app',
    version: '0.1.0',
    dependencies: [...SYSTEM_DEPENDENCIES, ...[...shared].sort().map((name) => ({ path: `${SHARED_EXTENSION_PATH}/${name}` }))],
    // TEN's example start script, which the overlay keeps.
    scripts: { start: 'scripts/start.sh' },
  };
}

/**
 * The app's property.json: the graphs, sorted by name, TEN's metrics pushed to the collector in the
 * container (`ten-telemetry.ts`), and logs to stdout as plain text. TEN's
 * `ten.log.handlers[].formatter` also takes `{type: "json"}` (its property schema,
 * `core/src/ten_rust/src/json_schema/data/property.schema.json`, and `log/mod.rs`), but that
 * formatter writes TEN's own keys (`timestamp`, `level` in capitals, `message`…), escapes only
 * double quotes (a traceback is not valid JSON), and could not be confirmed at the pinned tag: a
 * setting TEN's runtime refuses would stop every worker, which no test here can show.
 */
export function tenappProperty(graphs: readonly TenGraph[]): TenPropertyFile {
  return {
    ten: {
      predefined_graphs: [...graphs].sort((a, b) => a.name.localeCompare(b.name)).map((graph) => graph.toJson()),
      log: {
        handlers: [{ matchers: [{ level: 'info' }], formatter: { type: 'plain', colored: false }, emitter: { type: 'console', config: { stream: 'stdout' } } }],
      },
      services: tenTelemetryServices(),
    },
  };
}

/** What a graph is checked against. */
export interface TenGraphContext {
  readonly manifest: TenManifest;
  /** Addons found inside the tenapp (no manifest entry needed). */
  readonly appAddons: ReadonlySet<string>;
  /** The ten-agent service's environment variables. */
  readonly env: Readonly<Record<string, EnvValue>>;
  /** Throws a located error; `field` is relative to the graph, e.g. `nodes[2].addon`. */
  readonly fail: (field: string, problem: string) => never;
}

/**
 * Checks a graph the way TEN and its agent server will use it, so synth fails where a deploy
 * would: TEN's JSON schema; unique node names; every addon packaged (a manifest dependency or a
 * package of the app); every route between existing nodes; every required `${env:VAR}` given to
 * the service; every credential from a secret.
 */
export function checkTenGraph(graph: TenGraph, context: TenGraphContext): void {
  const json = graph.toJson();
  checkProps(tenPredefinedGraphSchema, json, (field, problem) => context.fail(field?.replace(/^graph\./, '') ?? '', problem));

  const names = new Map<string, number>();
  graph.nodes.forEach((node, index) => {
    const first = names.get(node.name);
    if (first !== undefined) context.fail(`nodes[${index}].name`, `node name "${node.name}" is used twice (nodes[${first}] and nodes[${index}])`);
    names.set(node.name, index);
  });

  const dependencies = new Set(context.manifest.dependencies.flatMap((dependency) => ('path' in dependency ? [dependency.path.split('/').pop() ?? ''] : [])));
  graph.nodes.forEach((node, index) => {
    const packaged = node.addon.source === 'app' ? context.appAddons.has(node.addon.name) : dependencies.has(node.addon.name);
    if (!packaged) {
      const where =
        node.addon.source === 'app'
          ? `no package of the tenapp is named "${node.addon.name}" (known: ${[...context.appAddons].sort().join(', ') || 'none'})`
          : `manifest.json has no dependency on ${SHARED_EXTENSION_PATH}/${node.addon.name}, so task release would not package it`;
      context.fail(`nodes[${index}].addon`, `addon "${node.addon.name}" of node "${node.name}" is not packaged: ${where}`);
    }
  });

  graph.routes.forEach((route, index) => {
    for (const end of ['from', 'to'] as const) {
      if (!names.has(route[end])) {
        context.fail(
          `routes[${index}].${end}`,
          `${route.kind} "${route.message}" ${end === 'from' ? 'comes from' : 'goes to'} node "${route[end]}", which the graph does not have (nodes: ${[...names.keys()].join(', ')})`,
        );
      }
    }
  });

  for (const reference of graph.envReferences) {
    if (reference.defaultValue !== undefined) continue;
    if (!(reference.variable in context.env)) {
      context.fail(
        reference.field,
        `\${env:${reference.variable}} has no default and the ten-agent service does not set ${reference.variable}; give it in TenAgent's options or env`,
      );
    }
  }
  for (const variable of graph.secretVariables) {
    const value = context.env[variable];
    if (value === undefined) context.fail(`secrets.${variable}`, `the graph needs the credential ${variable}, which the ten-agent service does not set`);
    if (!referencesIn(value).some((ref) => ref instanceof SecretRef)) {
      context.fail(`secrets.${variable}`, `${variable} is a credential the graph reads: give it as secret('…'), never as a literal`);
    }
  }
}

/** Checks a whole property.json and manifest.json against TEN's schemas (what synth writes). */
export function checkTenappFiles(property: TenPropertyFile, manifest: TenManifest, fail: (field: string, problem: string) => never): void {
  checkProps(tenPropertyFileSchema, property, (field, problem) => fail(field === undefined ? 'property.json' : `property.json ${field}`, problem));
  checkProps(tenManifestSchema, manifest, (field, problem) => fail(field === undefined ? 'manifest.json' : `manifest.json ${field}`, problem));
}

export type { TenPredefinedGraph };
