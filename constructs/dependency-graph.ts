import { ManagedDatabase } from './managed-database.ts';
import { dependencyOf, referencesIn, type ReferencedService } from './references.ts';
import type { StackEnvironment } from './stack-environment.ts';
import { StackService } from './stack-service.ts';

/** Every service of an environment, in declaration order. */
export function servicesOf(environment: StackEnvironment): StackService[] {
  return environment.node.findAll().filter(StackService.isStackService);
}

/** Finds a service of an environment by name. */
export function findService(environment: StackEnvironment, name: string): StackService | undefined {
  return servicesOf(environment).find((service) => service.name === name);
}

/**
 * Services this one needs, sorted by name: those named in `dependsOn` and those its variables
 * refer to (endpoints, database outputs). A public URL is not a dependency. Names that match no
 * service are skipped here; validation reports them.
 */
export function dependenciesOf(service: StackService): StackService[] {
  const found = new Map<string, StackService>();
  for (const dependency of service.explicitDependencies) {
    const resolved = typeof dependency === 'string' ? findService(service.environment, dependency) : dependency;
    if (resolved !== undefined) found.set(resolved.name, resolved);
  }
  for (const value of Object.values(service.env)) {
    for (const ref of referencesIn(value)) {
      const dependency = dependencyOf(ref);
      // A reference to something that is not a service is skipped too; validation reports it.
      if (dependency instanceof StackService) found.set(dependency.name, dependency);
    }
  }
  found.delete(service.name);
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Services that depend on this one, sorted by name. */
export function dependentsOf(service: StackService): StackService[] {
  return servicesOf(service.environment).filter((candidate) =>
    dependenciesOf(candidate).some((dependency) => dependency.name === service.name),
  );
}

/** Finds a dependency cycle and returns it as a path (`a → b → a`), or undefined. */
export function findCycle(services: StackService[]): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (service: StackService): string[] | undefined => {
    if (state.get(service.name) === 'done') return undefined;
    if (state.get(service.name) === 'visiting') return [...stack.slice(stack.indexOf(service.name)), service.name];
    state.set(service.name, 'visiting');
    stack.push(service.name);
    for (const dependency of dependenciesOf(service)) {
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(service.name, 'done');
    return undefined;
  };
  for (const service of [...services].sort((a, b) => a.name.localeCompare(b.name))) {
    const cycle = visit(service);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Services ordered so that every service comes after its dependencies; ties by name. */
export function startOrder(services: StackService[]): StackService[] {
  const ordered: StackService[] = [];
  const placed = new Set<string>();
  const remaining = [...services].sort((a, b) => a.name.localeCompare(b.name));
  while (remaining.length > 0) {
    const index = remaining.findIndex((service) =>
      dependenciesOf(service).every((dependency) => placed.has(dependency.name) || !remaining.includes(dependency)),
    );
    const [next] = remaining.splice(index === -1 ? 0 : index, 1);
    if (next === undefined) break;
    ordered.push(next);
    placed.add(next.name);
  }
  return ordered;
}

/** True for databases the platform may provide itself. */
export function isManagedDatabase(service: ReferencedService): service is ManagedDatabase {
  return ManagedDatabase.isManagedDatabase(service);
}
