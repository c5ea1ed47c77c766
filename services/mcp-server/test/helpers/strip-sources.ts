import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'amaro';

const SERVICE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

function listFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/**
 * Strips the service's sources to plain JavaScript with amaro, the stripper Node itself uses, in
 * the same strip-only mode (it refuses anything but erasable TypeScript), so plain Node runs them
 * the way the image's Node runs `src/main.ts`. Returns the directory holding `main.js`; it lies
 * inside the service so imports resolve from the workspace's node_modules, as in the image.
 * The caller removes it.
 */
export function stripServiceSources(): string {
  const stripped = mkdtempSync(join(SERVICE_ROOT, '.strip-test-'));
  const sources = join(SERVICE_ROOT, 'src');
  for (const file of listFiles(sources)) {
    const { code } = transformSync(readFileSync(file, 'utf8'), { mode: 'strip-only' });
    // Node 20 cannot load .ts files; Node 22.6+ would load them as they are.
    const target = join(stripped, relative(sources, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    // Static imports (`from './x.ts'`) and dynamic ones (`import('./x.ts')`).
    writeFileSync(target, code.replace(/((?:from\s+|import\(\s*)['"]\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1.js$2'));
  }
  return stripped;
}
