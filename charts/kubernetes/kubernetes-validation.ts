import { parseAllDocuments } from 'yaml';
import type { RenderedFiles, TargetValidation } from '../targets/deploy-target.ts';
import type { ManifestObject } from './kubernetes-schemas.ts';

/**
 * Every rendered Kubernetes object against the Kubernetes schema, and each Argo CD Application
 * against its CRD's fields. The schemas load only when a check runs, not with every synth.
 */
export async function validateKubernetesFiles(files: RenderedFiles): Promise<TargetValidation[]> {
  const { validateKubernetesObjects } = await import('./kubernetes-schemas.ts');
  const check = async (label: string, noun: string, pattern: RegExp): Promise<TargetValidation> => {
    const objects = objectsOf(files, pattern);
    const problems = await validateKubernetesObjects(objects);
    return { label, checked: `${objects.length} ${noun} in ${new Set(objects.map((object) => object.file)).size} files`, problems };
  };
  return [await check('kubernetes', 'objects', /^dist\/kubernetes\/[^/]+\/[^/]+\.yaml$/), await check('argocd', 'Applications', /^dist\/argocd\/[^/]+\.yaml$/)];
}

/** Every object of the files whose path matches, in path order. */
function objectsOf(files: RenderedFiles, pattern: RegExp): ManifestObject[] {
  const objects: ManifestObject[] = [];
  for (const file of [...files.keys()].filter((path) => pattern.test(path)).sort()) {
    for (const document of parseAllDocuments(files.get(file)!)) {
      const object = document.toJS() as Record<string, unknown> | null;
      if (object !== null) objects.push({ file, object });
    }
  }
  return objects;
}
