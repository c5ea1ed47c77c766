import { parse } from 'yaml';
import type { RenderedFiles, TargetValidation } from '../targets/deploy-target.ts';
import { composeVersionProblems } from './compose-version.ts';

/**
 * The rendered Compose files whose path matches, each against the Compose Specification and
 * against the oldest Compose release the README states (MIN_COMPOSE_VERSION).
 */
export async function validateComposeFiles(label: string, files: RenderedFiles, pattern: RegExp): Promise<TargetValidation> {
  const { validateComposeDocument } = await import('./compose-schema.ts');
  const paths = [...files.keys()].filter((path) => pattern.test(path)).sort();
  const problems = paths.flatMap((path) => {
    const document: unknown = parse(files.get(path)!);
    return [...validateComposeDocument(path, document), ...composeVersionProblems(path, document)];
  });
  return { label, checked: `${paths.length} file${paths.length === 1 ? '' : 's'}`, problems };
}
