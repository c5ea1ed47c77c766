import { z } from 'zod';

/** One object from a rendered manifest, with the file it came from. */
export interface ManifestObject {
  readonly file: string;
  readonly object: Record<string, unknown>;
}

interface Model {
  new (data: unknown): { validate(): void };
}

const groupModules = new Map<string, Promise<Record<string, unknown> | undefined>>();

/** The kubernetes-models class for an apiVersion and kind, or undefined when it has none. */
async function modelFor(apiVersion: string, kind: string): Promise<Model | undefined> {
  let module = groupModules.get(apiVersion);
  if (module === undefined) {
    module = import(`kubernetes-models/${apiVersion}`).catch(() => undefined) as Promise<Record<string, unknown> | undefined>;
    groupModules.set(apiVersion, module);
  }
  const exports = await module;
  const model = exports?.[kind];
  return typeof model === 'function' ? (model as Model) : undefined;
}

/**
 * The Doppler operator's CRD (secrets.doppler.com/v1alpha1) is not in kubernetes-models; this
 * schema follows the CRD's spec fields (DopplerHQ/kubernetes-operator v1.7).
 */
const dopplerSecretSchema = z.strictObject({
  apiVersion: z.literal('secrets.doppler.com/v1alpha1'),
  kind: z.literal('DopplerSecret'),
  metadata: z.object({ name: z.string().min(1).max(253), namespace: z.string().min(1) }).loose(),
  spec: z.strictObject({
    tokenSecret: z.strictObject({ name: z.string().min(1), namespace: z.string().optional() }),
    managedSecret: z.strictObject({
      name: z.string().min(1),
      namespace: z.string().min(1),
      type: z.string().optional(),
      labels: z.record(z.string(), z.string()).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
    }),
    project: z.string().optional(),
    config: z.string().optional(),
    secrets: z.array(z.string().regex(/^[A-Z_][A-Z0-9_]*$/)).optional(),
    resyncSeconds: z.number().int().min(1).optional(),
    format: z.enum(['json', 'dotnet-json', 'env', 'yaml', 'docker']).optional(),
    nameTransformer: z.string().optional(),
    processors: z.record(z.string(), z.unknown()).optional(),
    host: z.string().optional(),
    verifyTLS: z.boolean().optional(),
  }),
});

/** Validates every object against the Kubernetes schema; returns one line per problem. */
export async function validateKubernetesObjects(objects: ManifestObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const { file, object } of objects) {
    const apiVersion = String(object['apiVersion'] ?? '');
    const kind = String(object['kind'] ?? '');
    const name = String((object['metadata'] as { name?: unknown } | undefined)?.name ?? '?');
    const where = `${file}: ${kind}/${name}`;
    if (apiVersion === 'secrets.doppler.com/v1alpha1') {
      const parsed = dopplerSecretSchema.safeParse(object);
      if (!parsed.success) problems.push(`${where}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      continue;
    }
    const model = await modelFor(apiVersion, kind);
    if (model === undefined) {
      problems.push(`${where}: no Kubernetes schema for ${apiVersion} ${kind}`);
      continue;
    }
    try {
      new model(object).validate();
    } catch (error) {
      problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}
