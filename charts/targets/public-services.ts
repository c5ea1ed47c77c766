import { instancesOf, servicesOf, type StackEnvironment, type StackService } from '../../constructs/index.ts';

/** An environment's services with a public HTTP port, by name. */
export function publicServices(environment: StackEnvironment): StackService[] {
  return servicesOf(environment)
    .filter((service) => service.publicHttpPort !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * ` as ten-agent-0, ten-agent-1` for a service addressed per replica, which Compose and Railway
 * run as one service per replica; empty otherwise.
 */
export function instancesNote(service: StackService): string {
  return service.data.addressing === 'replica' ? ` as ${instancesOf(service).map((instance) => instance.name).join(', ')}` : '';
}
