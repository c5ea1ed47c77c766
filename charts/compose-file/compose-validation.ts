import { parse } from 'yaml';
import type { RenderedFiles, TargetValidation } from '../targets/deploy-target.ts';

/** The rendered Compose files whose path matches, each against the Compose Specification. */
export async function validateComposeFiles(label: string, files: RenderedFiles, pattern: RegExp): Promise<TargetValidation> {
  const { validateComposeDocument } = await import('./compose-schema.ts');
  const paths = [...files.keys()].filter((path) => pattern.test(path)).sort();
  const problems = paths.flatMap((path) => validateComposeDocument(path, parse(files.get(path)!)));
  return { label, checked: `${paths.length} file${paths.length === 1 ? '' : 's'}`, problems };
}
