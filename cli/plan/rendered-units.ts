import { TARGETS, type RenderedFiles, type RenderedUnit } from '../../charts/targets/index.ts';

export type { RenderedFiles, RenderedUnit } from '../../charts/targets/index.ts';

/** Splits an environment's rendered files into units, each target reading back its own files. */
export function renderedUnits(files: RenderedFiles, environment: string): RenderedUnit[] {
  return TARGETS.flatMap((target) => target.units(files, environment));
}

/** Rendered files of an environment that belong to none of its units (namespace, policies, lists). */
export function environmentFiles(files: RenderedFiles, environment: string, units: readonly RenderedUnit[]): string[] {
  const unitFiles = new Set(units.map((unit) => unit.file));
  return [...files.keys()]
    .filter((file) => !unitFiles.has(file) && !file.endsWith('.md'))
    .filter((file) => file.split('/').some((segment) => segment === environment || segment.startsWith(`${environment}.`) || segment.startsWith(`${environment}-`)))
    .sort();
}
