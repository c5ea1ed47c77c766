import { join } from 'node:path';
import { toJson } from '../serialize.ts';
import type { RenderedFiles, TargetValidation } from '../targets/deploy-target.ts';

const GRAPH = /^dist\/railway\/([^/]+)\.json$/;

/**
 * Evaluates `.railway/railway.ts` with the real `railway/iac` SDK for each environment that has a
 * `dist/railway/<env>.json`, checks the graph, and checks that JSON is what the file produces.
 */
export async function validateRailwayFiles(files: RenderedFiles, root: string, sourcePath: string): Promise<TargetValidation> {
  const environments = [...files.keys()].flatMap((path) => GRAPH.exec(path)?.[1] ?? []).sort();
  const result = (problems: string[]): TargetValidation => ({ label: 'railway', checked: `${environments.length} environments (${environments.join(', ') || 'none'})`, problems });
  if (!files.has(sourcePath)) return result(environments.length > 0 ? [`${sourcePath} is missing but dist/railway has ${environments.join(', ')}`] : []);
  const { checkRailwayGraph, evaluateRailwayEnvironment, loadRailwayProgram } = await import('./railway-evaluation.ts');
  let program;
  try {
    program = await loadRailwayProgram(join(root, sourcePath));
  } catch (error) {
    return result([error instanceof Error ? error.message : String(error)]);
  }
  const problems: string[] = [];
  for (const environment of environments) {
    let graph;
    try {
      graph = await evaluateRailwayEnvironment(program, environment);
    } catch (error) {
      problems.push(`${sourcePath} fails for "${environment}": ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    problems.push(...checkRailwayGraph(graph));
    if (files.get(`dist/railway/${environment}.json`) !== toJson(graph)) {
      problems.push(`dist/railway/${environment}.json differs from what ${sourcePath} produces for "${environment}"; run npm run synth`);
    }
  }
  return result(problems);
}
