import { dependenciesOf, startOrder, type StackService } from '../../constructs/index.ts';

/**
 * The start order as a table, apart from the traffic diagrams: each service in the step after
 * the last of its dependencies (`dependsOn`, and the services its variables refer to). A
 * dependency need not carry traffic, and media to a public address is no dependency.
 */
export function startOrderTable(services: StackService[]): string[] {
  const steps = new Map<StackService, number>();
  for (const service of startOrder(services)) {
    steps.set(service, 1 + Math.max(0, ...dependenciesOf(service).map((dependency) => steps.get(dependency) ?? 0)));
  }
  const rows = [...steps]
    .sort(([a, stepA], [b, stepB]) => stepA - stepB || a.name.localeCompare(b.name))
    .map(([service, step]) => `| ${step} | ${service.name} | ${dependenciesOf(service).map((dependency) => dependency.name).join(', ') || '—'} |`);
  return ['| step | service | starts after |', '| --- | --- | --- |', ...rows];
}
