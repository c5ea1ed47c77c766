import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../constructs/repo-root.ts';

// The model is the bottom layer: environment files build it and renderers read it, so it imports
// neither (nor the CLI), and its own modules import one way. A cycle, even through `import type`,
// means two files hold one idea between them, and no file of the cycle can be read on its own.

/** Every TypeScript file under constructs/, as a path from the repository root. */
function modelFiles(dir = join(REPO_ROOT, 'constructs')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return modelFiles(path);
    return entry.name.endsWith('.ts') ? [relative(REPO_ROOT, path)] : [];
  });
}

/**
 * The files `file` imports or re-exports from (`import type` and `export … from` included), as
 * paths from the repository root. Packages are left out: only relative specifiers name files.
 */
function importsOf(file: string, source = readFileSync(join(REPO_ROOT, file), 'utf8')): string[] {
  const specifiers = [
    ...source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm),
    ...source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1] ?? '');
  return specifiers.filter((specifier) => specifier.startsWith('.')).map((specifier) => normalize(join(dirname(file), specifier)));
}

/** A cycle of the graph as a path that ends where it starts, or undefined when there is none. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const finished = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (path.includes(file)) return [...path.slice(path.indexOf(file)), file];
    if (finished.has(file)) return undefined;
    path.push(file);
    for (const imported of graph.get(file) ?? []) {
      const cycle = visit(imported);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    finished.add(file);
    return undefined;
  };
  for (const file of [...graph.keys()].sort()) {
    const cycle = visit(file);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

const graph = new Map(modelFiles().map((file) => [file, importsOf(file)]));

describe('the modules of constructs/', () => {
  it('are read with every kind of import line, so the checks below see all of them', () => {
    expect(graph.size).toBeGreaterThan(20);
    expect(graph.get('constructs/ten/tenapp.ts')).toContain('constructs/references.ts');
    expect(graph.get('constructs/index.ts')).toContain('constructs/stack-service.ts');
    const source = "import type {\n  Service,\n} from './service.ts';\nexport { plan } from '../charts/plan.ts';\nimport './side-effect.ts';\nconst later = import('../cli/late.ts');\n// import { commented } from './commented.ts';\n";
    expect(importsOf('constructs/example.ts', source)).toEqual(['constructs/service.ts', 'charts/plan.ts', 'constructs/side-effect.ts', 'cli/late.ts']);
  });

  it('import nothing outside constructs/: not environments/ (versions come as props), not charts/, not cli/', () => {
    const outside = [...graph].flatMap(([file, imports]) => imports.filter((imported) => !imported.startsWith('constructs/')).map((imported) => `${file} → ${imported}`));
    expect(outside).toEqual([]);
  });

  it('import each other without a cycle, type-only imports included', () => {
    expect(findCycle(graph)?.join(' → ')).toBeUndefined();
  });

  it('would show a cycle as its path', () => {
    const cyclic = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'd.ts']],
      ['c.ts', ['a.ts']],
    ]);
    expect(findCycle(cyclic)).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
    expect(findCycle(new Map([['a.ts', ['a.ts']]]))).toEqual(['a.ts', 'a.ts']);
    expect(findCycle(new Map([['a.ts', ['b.ts']], ['b.ts', []]]))).toBeUndefined();
  });
});
