import type { StackEnvironment } from '../constructs/index.ts';

/** True when an environment runs this service off Railway, on the separate (UDP-capable) host. */
export function isOffRailway(environment: StackEnvironment, serviceName: string): boolean {
  return environment.settings.railway?.offRailway.includes(serviceName) ?? false;
}

/** Hostname of a public service's Railway custom domain. */
export function railwayHostname(environment: StackEnvironment, serviceName: string): string {
  const railway = environment.settings.railway;
  return railway?.publicHostnames[serviceName] ?? `${serviceName}.${railway?.domain ?? environment.settings.domain}`;
}

/** Name of the host that runs the services placed off Railway. */
export function offRailwayHost(environment: StackEnvironment): string {
  return environment.settings.railway?.offRailwayHost ?? 'media-host';
}
