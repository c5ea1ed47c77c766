import { targetsOf } from '../../charts/targets/index.ts';
import type { StackEnvironment, StackService, Target } from '../../constructs/index.ts';

/** A health endpoint reachable from outside: a public service's health path on its public URL on one target. */
export interface HealthEndpoint {
  readonly service: string;
  readonly target: Target;
  readonly url: string;
}

/** A public service on a target whose health cannot be checked from outside, and why. */
export interface SkippedEndpoint {
  readonly service: string;
  readonly target: Target;
  readonly reason: string;
}

/**
 * The health path of a public service, when it is served on the public HTTP port (the only one
 * a public URL reaches); otherwise why not.
 */
function publicHealthPath(service: StackService, publicPort: number): { path: string } | { reason: string } {
  const http = service.data.healthCheck?.http;
  if (http === undefined) return { reason: 'no HTTP health check (only an exec check inside the container)' };
  if (http.port !== publicPort) return { reason: `health is served on port ${http.port}, but the public URL reaches port ${publicPort}` };
  return { path: http.path };
}

/**
 * Every health endpoint of an environment that can be checked from outside, per target it
 * renders, on the public origin each target gives a service (Kubernetes' Ingress hostname,
 * Railway's custom domain, Compose's published port on the environment's domain).
 */
export function healthEndpoints(environment: StackEnvironment): { endpoints: HealthEndpoint[]; skipped: SkippedEndpoint[] } {
  const endpoints: HealthEndpoint[] = [];
  const skipped: SkippedEndpoint[] = [];
  for (const target of targetsOf(environment)) {
    const reachable = target.publicEndpoints(environment);
    for (const { service, origin, port } of reachable.endpoints) {
      const health = publicHealthPath(service, port);
      if ('path' in health) endpoints.push({ service: service.name, target: target.setting, url: `${origin}${health.path}` });
      else skipped.push({ service: service.name, target: target.setting, reason: health.reason });
    }
    for (const { service, reason } of reachable.unchecked) skipped.push({ service: service.name, target: target.setting, reason });
  }
  const targetOrder = (target: Target) => environment.settings.targets.indexOf(target);
  const byTargetThenService = (a: { target: Target; service: string }, b: { target: Target; service: string }) =>
    targetOrder(a.target) - targetOrder(b.target) || a.service.localeCompare(b.service);
  return { endpoints: endpoints.sort(byTargetThenService), skipped: skipped.sort(byTargetThenService) };
}
