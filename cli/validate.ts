import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { RAILWAY_SOURCE_PATH } from '../charts/railway/index.ts';
import { toJson } from '../charts/serialize.ts';
import { validateComposeDocument } from './validate/compose-schema.ts';
import { validateKubernetesObjects, type ManifestObject } from './validate/kubernetes-schemas.ts';
import { checkRailwayGraph, evaluateRailwayEnvironment, loadRailwayProgram } from './validate/railway-evaluation.ts';

export interface ValidateOptions {
  /** Output root holding `dist/` and `.railway/`. */
  readonly root: string;
  /** Where progress goes. @default - stdout */
  readonly log?: (line: string) => void;
}

/**
 * Validates rendered output offline, without a cluster, Docker or Railway: every Kubernetes object
 * against the Kubernetes schema (and each Argo CD Application against its CRD's fields), every Compose file against the Compose Specification, and
 * `.railway/railway.ts` evaluated with the real `railway/iac` SDK for each environment. Returns
 * the problems (empty when all is well) after printing them.
 */
export async function validate(options: ValidateOptions): Promise<string[]> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { root } = options;
  const problems: string[] = [];

  const manifests = await readManifests(root);
  const kubernetesProblems = await validateKubernetesObjects(manifests);
  log(`kubernetes  ${manifests.length} objects in ${new Set(manifests.map((m) => m.file)).size} files: ${verdict(kubernetesProblems)}`);
  problems.push(...kubernetesProblems);

  const applications = await readArgocdApplications(root);
  const argocdProblems = await validateKubernetesObjects(applications);
  log(`argocd      ${applications.length} Applications in ${new Set(applications.map((m) => m.file)).size} files: ${verdict(argocdProblems)}`);
  problems.push(...argocdProblems);

  const composeFiles = findComposeFiles(root);
  const composeProblems: string[] = [];
  for (const file of composeFiles) composeProblems.push(...validateComposeDocument(file, parse(await readFile(join(root, file), 'utf8'))));
  log(`compose     ${composeFiles.length} files: ${verdict(composeProblems)}`);
  problems.push(...composeProblems);

  const railwayProblems = await validateRailway(root);
  problems.push(...railwayProblems.problems);
  log(`railway     ${railwayProblems.environments.length} environments (${railwayProblems.environments.join(', ') || 'none'}): ${verdict(railwayProblems.problems)}`);

  for (const problem of problems) log(`  ✗ ${problem}`);
  return problems;
}

function verdict(problems: string[]): string {
  return problems.length === 0 ? 'ok' : `${problems.length} problem(s)`;
}

/** Every object of every `dist/kubernetes/<env>/*.yaml`. */
export async function readManifests(root: string): Promise<ManifestObject[]> {
  const base = join(root, 'dist/kubernetes');
  if (!existsSync(base)) return [];
  const objects: ManifestObject[] = [];
  for (const environment of readdirSync(base).sort()) {
    for (const name of readdirSync(join(base, environment)).filter((file) => file.endsWith('.yaml')).sort()) {
      const file = `dist/kubernetes/${environment}/${name}`;
      for (const document of parseAllDocuments(await readFile(join(root, file), 'utf8'))) {
        const object = document.toJS() as Record<string, unknown> | null;
        if (object !== null) objects.push({ file, object });
      }
    }
  }
  return objects;
}

/** Every object of every `dist/argocd/<env>.yaml`: the Argo CD Application of each Kubernetes environment. */
export async function readArgocdApplications(root: string): Promise<ManifestObject[]> {
  const base = join(root, 'dist/argocd');
  if (!existsSync(base)) return [];
  const objects: ManifestObject[] = [];
  for (const name of readdirSync(base).filter((file) => file.endsWith('.yaml')).sort()) {
    const file = `dist/argocd/${name}`;
    for (const document of parseAllDocuments(await readFile(join(root, file), 'utf8'))) {
      const object = document.toJS() as Record<string, unknown> | null;
      if (object !== null) objects.push({ file, object });
    }
  }
  return objects;
}

/** `dist/compose/<env>/compose.yaml` and the off-Railway `dist/railway/<env>-<host>/compose.yaml`. */
export function findComposeFiles(root: string): string[] {
  const files: string[] = [];
  for (const folder of ['dist/compose', 'dist/railway']) {
    const base = join(root, folder);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base).sort()) {
      if (existsSync(join(base, entry, 'compose.yaml'))) files.push(`${folder}/${entry}/compose.yaml`);
    }
  }
  return files;
}

/**
 * Evaluates `.railway/railway.ts` for each environment that has a `dist/railway/<env>.json`,
 * checks the graph, and checks the committed JSON is what the file produces.
 */
async function validateRailway(root: string): Promise<{ environments: string[]; problems: string[] }> {
  const base = join(root, 'dist/railway');
  const environments = existsSync(base)
    ? readdirSync(base).filter((file) => file.endsWith('.json')).map((file) => file.slice(0, -'.json'.length)).sort()
    : [];
  const sourcePath = join(root, RAILWAY_SOURCE_PATH);
  if (!existsSync(sourcePath)) {
    return { environments, problems: environments.length > 0 ? [`${RAILWAY_SOURCE_PATH} is missing but dist/railway has ${environments.join(', ')}`] : [] };
  }
  const problems: string[] = [];
  let program;
  try {
    program = await loadRailwayProgram(sourcePath);
  } catch (error) {
    return { environments, problems: [error instanceof Error ? error.message : String(error)] };
  }
  for (const environment of environments) {
    let graph;
    try {
      graph = await evaluateRailwayEnvironment(program, environment);
    } catch (error) {
      problems.push(`${RAILWAY_SOURCE_PATH} fails for "${environment}": ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    problems.push(...checkRailwayGraph(graph));
    const committed = await readFile(join(base, `${environment}.json`), 'utf8');
    if (committed !== toJson(graph)) {
      problems.push(`dist/railway/${environment}.json differs from what ${RAILWAY_SOURCE_PATH} produces for "${environment}"; run npm run synth`);
    }
  }
  return { environments, problems };
}
