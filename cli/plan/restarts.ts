import { sameContent, WORKLOAD_KINDS, type UnitLayout } from './unit-content.ts';

/**
 * Whether applying a unit's change restarts the service's workload, or only changes configuration
 * around it, decided the way each target decides it:
 *
 * | target | restarts the workload | configuration only |
 * | --- | --- | --- |
 * | Kubernetes | the pod template of a Deployment or StatefulSet (image, env, resources, probes, command, volumes), including the ConfigMap hash it carries; what a DopplerSecret copies (project, config, secret names) when the workload has the operator's reload annotation | Service, NetworkPolicy, Ingress, PodDisruptionBudget, replicas and update strategy, a DopplerSecret's resync or token |
 * | Compose | every field of the service entry but those on the right: `docker compose up` recreates a container whose config hash changed, and a changed `build` makes a new image, which recreates it too | what Compose leaves out of that hash: `pull_policy`, `scale`, `deploy.replicas`, `depends_on`, `profiles` and `x-` extensions |
 * | Railway | variables, deploy, build and source settings: each takes effect with a new deployment | `networking` (custom domains, TCP proxies), applied to the running deployment |
 *
 * A unit added or removed starts or stops its workload, which counts as a restart. A ConfigMap
 * whose hash no pod template carries is configuration only: running pods keep the values they
 * started with.
 */
export function restartsWorkload(layout: UnitLayout, was: unknown, now: unknown): boolean {
  if (layout === 'kubernetes') return kubernetesRestarts(objects(was), objects(now));
  const restarting = layout === 'compose' ? composeRecreating : railwayRedeploying;
  return !sameContent(restarting(was), restarting(now));
}

type KubernetesObject = { metadata?: { annotations?: Record<string, string> }; spec?: Record<string, unknown> };

/** The Doppler operator restarts a workload with this annotation when its managed Secret changes. */
const DOPPLER_RELOAD = 'secrets.doppler.com/reload';

function kubernetesRestarts(was: Record<string, KubernetesObject>, now: Record<string, KubernetesObject>): boolean {
  const reloads = Object.values(now).some((object) => object.metadata?.annotations?.[DOPPLER_RELOAD] === 'true');
  return [...new Set([...Object.keys(was), ...Object.keys(now)])].some((key) => {
    const kind = key.slice(0, key.indexOf('/'));
    if (WORKLOAD_KINDS.has(kind)) return !sameContent(was[key]?.spec?.['template'], now[key]?.spec?.['template']);
    if (kind === 'DopplerSecret') return reloads && !sameContent(dopplerSource(was[key]), dopplerSource(now[key]));
    return false;
  });
}

/** What decides the content of a DopplerSecret's managed Secret. */
function dopplerSource(object: KubernetesObject | undefined): unknown {
  const spec = object?.spec;
  return spec === undefined ? undefined : { project: spec['project'], config: spec['config'], secrets: spec['secrets'] };
}

function objects(content: unknown): Record<string, KubernetesObject> {
  return (content ?? {}) as Record<string, KubernetesObject>;
}

/** A Compose service entry without the fields `docker compose up` applies without recreating the container. */
function composeRecreating(content: unknown): unknown {
  if (content === undefined) return undefined;
  const { pull_policy, scale, depends_on, profiles, deploy, ...hashed } = content as Record<string, unknown>;
  const { replicas, ...placement } = (deploy ?? {}) as Record<string, unknown>;
  return { ...Object.fromEntries(Object.entries(hashed).filter(([key]) => !key.startsWith('x-'))), deploy: placement };
}

/** A Railway resource without what Railway applies to the running deployment. */
function railwayRedeploying(content: unknown): unknown {
  if (content === undefined) return undefined;
  const { networking, ...deployed } = content as Record<string, unknown>;
  return deployed;
}
