import { servicesOf } from './dependency-graph.ts';
import type { StackEnvironment } from './stack-environment.ts';

/**
 * What the model accepts but an operator should hear about, whatever the target, in the format of
 * the targets' own notes (`<target>: field "<field>" of "<service>", … (<value>): <problem>`).
 *
 * A service that drains (or whose replicas are addressed one by one) and runs one replica takes
 * no new work while an update replaces it: until the new replica is ready where a target starts
 * it first, for the whole drain where a target stops the old one first.
 */
export function modelWarnings(environment: StackEnvironment): string[] {
  const alone = servicesOf(environment).filter(
    (service) => service.data.replicas === 1 && (service.data.drain !== undefined || service.data.addressing === 'replica'),
  );
  if (alone.length === 0) return [];
  return [
    `every target: field "replicas" of ${alone.map((service) => `"${service.name}"`).join(', ')} (1): ` +
      'it drains before it stops, so with one replica an update leaves nothing taking new work (rooms, sessions) until the new replica is ready, ' +
      'and for the whole drain where the target stops the old one first; run 2 or more where updates must not pause it',
  ];
}
