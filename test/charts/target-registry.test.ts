import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TARGETS } from '../../charts/targets/index.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { instancesOf, servicesOf } from '../../constructs/index.ts';
import { render } from '../helpers/synth.ts';

/** The folders that hold one target each. */
const TARGET_FOLDERS = ['charts/kubernetes', 'charts/compose', 'charts/railway', 'charts/off-railway'];

function sourceFiles(folder: string): string[] {
  return readdirSync(join(REPO_ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(REPO_ROOT, join(entry.parentPath, entry.name)).split('\\').join('/'));
}

/** Repository paths a file imports (static, dynamic and re-exports), relative ones only. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)].map((match) => match[1]!);
  return specifiers.map((specifier) => posix.normalize(posix.join(dirname(file), specifier)));
}

const folderOf = (path: string) => TARGET_FOLDERS.find((folder) => path.startsWith(`${folder}/`));

describe('the target registry', () => {
  it('keeps each target to its own folder: no target imports another', () => {
    const crossings = TARGET_FOLDERS.flatMap((folder) =>
      sourceFiles(folder).flatMap((file) => importsOf(file).filter((target) => folderOf(target) !== undefined && folderOf(target) !== folder).map((target) => `${file} → ${target}`)),
    );
    expect(crossings).toEqual([]);
  });

  it("lets the rest of the generator and the CLI reach a target only through the registry or the target's index.ts", () => {
    const outside = [...sourceFiles('charts'), ...sourceFiles('cli'), 'main.ts'].filter((file) => folderOf(file) === undefined && !file.startsWith('charts/targets/'));
    const internals = outside.flatMap((file) =>
      importsOf(file)
        .filter((target) => folderOf(target) !== undefined && target !== `${folderOf(target)}/index.ts`)
        .map((target) => `${file} → ${target}`),
    );
    expect(internals).toEqual([]);
    // The registry itself is the one place that names each target's module.
    expect(importsOf('charts/targets/index.ts').filter((target) => folderOf(target) !== undefined).sort()).toEqual([
      'charts/compose/compose-target.ts',
      'charts/kubernetes/kubernetes-target.ts',
      'charts/off-railway/off-railway-target.ts',
      'charts/railway/railway-target.ts',
    ]);
  });

  it('names every target once, each with the environment setting that turns it on', () => {
    expect(TARGETS.map((target) => [target.name, target.setting])).toEqual([
      ['kubernetes', 'kubernetes'],
      ['railway', 'railway'],
      ['off-railway', 'railway'],
      ['compose', 'compose'],
    ]);
  });

  it('reads back, from the files each target rendered, a unit for every service it says it runs, and no other', async () => {
    const { output, environments } = await render();
    for (const environment of environments) {
      for (const target of TARGETS.filter((candidate) => candidate.renders(environment))) {
        const units = target.units(output.files, environment.name).map((unit) => unit.service).sort();
        // Kubernetes runs a service's replicas as one workload; the others run a replica addressed on its own as a service of its own.
        const runs = servicesOf(environment).filter((service) => target.placement(service)?.runs === true);
        const expected = runs.flatMap((service) => (target.name === 'kubernetes' ? [service.name] : instancesOf(service).map((instance) => instance.name))).sort();
        expect(units, `${environment.name} on ${target.name}`).toEqual(expected);
        expect(units.length, `${environment.name} on ${target.name}`).toBeGreaterThan(0);
      }
    }
  });
});
