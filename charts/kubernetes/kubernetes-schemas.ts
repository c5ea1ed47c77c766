import { z } from 'zod';
import { zodIssuePath } from '../../constructs/index.ts';

/** One object from a rendered manifest, with the file it came from. */
export interface ManifestObject {
  readonly file: string;
  readonly object: Record<string, unknown>;
}

interface Model {
  new (data: unknown): { validate(): void };
}

const groupModules = new Map<string, Promise<Record<string, unknown> | undefined>>();

/**
 * Where the models of an API group live: the Prometheus Operator's CRDs (ServiceMonitor,
 * PrometheusRule) in their own package of the same project, everything else in kubernetes-models.
 */
function modelPackage(apiVersion: string): string {
  return apiVersion.startsWith('monitoring.coreos.com/') ? '@kubernetes-models/prometheus-operator' : 'kubernetes-models';
}

/** The kubernetes-models class for an apiVersion and kind, or undefined when it has none. */
async function modelFor(apiVersion: string, kind: string): Promise<Model | undefined> {
  let module = groupModules.get(apiVersion);
  if (module === undefined) {
    module = import(`${modelPackage(apiVersion)}/${apiVersion}`).catch(() => undefined) as Promise<Record<string, unknown> | undefined>;
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

/**
 * Argo CD's Application CRD (argoproj.io/v1alpha1) is not in kubernetes-models either; this schema
 * follows the CRD's fields we use (argoproj/argo-cd manifests/crds/application-crd.yaml): a Git
 * directory source, a destination, and an automated sync policy with options and retry. Fields
 * we never render are refused, so a typo cannot pass.
 */
const argocdDuration = z.string().regex(/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$|^\d+$/, 'must be a duration such as 5s, 3m or 1h');
const argocdApplicationSchema = z.strictObject({
  apiVersion: z.literal('argoproj.io/v1alpha1'),
  kind: z.literal('Application'),
  metadata: z
    .object({
      name: z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'must be a DNS subdomain'),
      namespace: z.string().min(1),
      labels: z.record(z.string(), z.string()).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
      finalizers: z.array(z.string()).optional(),
    })
    .loose(),
  spec: z.strictObject({
    project: z.string().min(1),
    source: z.strictObject({
      repoURL: z.string().min(1),
      path: z.string().min(1).optional(),
      targetRevision: z.string().min(1).optional(),
      directory: z
        .strictObject({ recurse: z.boolean().optional(), include: z.string().optional(), exclude: z.string().optional() })
        .optional(),
    }),
    destination: z
      .strictObject({ server: z.string().url().optional(), name: z.string().min(1).optional(), namespace: z.string().min(1).optional() })
      .refine((destination) => (destination.server === undefined) !== (destination.name === undefined), 'give exactly one of server or name'),
    syncPolicy: z
      .strictObject({
        automated: z
          .strictObject({ prune: z.boolean().optional(), selfHeal: z.boolean().optional(), allowEmpty: z.boolean().optional(), enabled: z.boolean().optional() })
          .optional(),
        syncOptions: z.array(z.string().regex(/^[A-Za-z]+=[A-Za-z0-9-]+$/, 'must be Option=value')).optional(),
        retry: z
          .strictObject({
            limit: z.number().int().optional(),
            backoff: z
              .strictObject({ duration: argocdDuration.optional(), factor: z.number().int().min(1).optional(), maxDuration: argocdDuration.optional() })
              .optional(),
          })
          .optional(),
      })
      .optional(),
    revisionHistoryLimit: z.number().int().min(0).optional(),
  }),
});

/** The zod schema for an apiVersion that kubernetes-models does not know, if we have one. */
const CUSTOM_SCHEMAS: Record<string, z.ZodType> = {
  'secrets.doppler.com/v1alpha1': dopplerSecretSchema,
  'argoproj.io/v1alpha1': argocdApplicationSchema,
};

/** Validates every object against the Kubernetes schema; returns one line per problem. */
export async function validateKubernetesObjects(objects: ManifestObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const { file, object } of objects) {
    const apiVersion = String(object['apiVersion'] ?? '');
    const kind = String(object['kind'] ?? '');
    const name = String((object['metadata'] as { name?: unknown } | undefined)?.name ?? '?');
    const where = `${file}: ${kind}/${name}`;
    const custom = CUSTOM_SCHEMAS[apiVersion];
    if (custom !== undefined) {
      const parsed = custom.safeParse(object);
      if (!parsed.success) problems.push(`${where}: ${parsed.error.issues.map((issue) => `${zodIssuePath(issue) ?? 'top level'}: ${issue.message}`).join('; ')}`);
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
