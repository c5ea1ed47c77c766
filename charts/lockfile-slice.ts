/**
 * The part of an npm lock file (lockfileVersion 3) one workspace installs: its own entry and
 * every package in the closure of its dependencies, resolved the way Node resolves them (nested
 * node_modules first, then each parent folder's). A build that hashes this slice instead of the
 * whole lock file rebuilds when its own dependencies change, not when another workspace's or a
 * root tool's do.
 */
interface LockPackage {
  readonly version?: string;
  readonly integrity?: string;
  readonly link?: boolean;
  readonly resolved?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly os?: readonly string[];
  readonly cpu?: readonly string[];
}

interface LockFile {
  readonly lockfileVersion?: number;
  readonly packages?: Record<string, LockPackage>;
}

/** Where Node finds `name` from the package at `from`: `from/node_modules/name`, then up the tree. */
function resolveFrom(packages: Record<string, LockPackage>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[candidate] !== undefined) return candidate;
    if (base === '') return undefined;
    // node_modules/a/node_modules/b → node_modules/a; node_modules/a or a workspace folder → the root.
    const parent = base.lastIndexOf('/node_modules/');
    base = parent === -1 ? '' : base.slice(0, parent);
  }
}

/**
 * The slice as canonical JSON: the workspace entry and its dependency closure, sorted by path.
 * `includeDev` adds the workspace's devDependencies (not theirs): for images whose build stage
 * installs them (a compiler, type definitions). Throws when the workspace is not in the lock.
 */
export function lockfileSlice(lockText: string, workspace: string, options: { includeDev?: boolean } = {}): string {
  const lock = JSON.parse(lockText) as LockFile;
  const packages = lock.packages ?? {};
  const root = packages[workspace];
  if (root === undefined) throw new Error(`package-lock.json has no workspace ${workspace}`);
  const picked = new Map<string, LockPackage>([[workspace, root]]);
  const queue: Array<{ from: string; names: string[] }> = [
    {
      from: workspace,
      names: Object.keys({ ...root.dependencies, ...root.optionalDependencies, ...(options.includeDev === true ? root.devDependencies : {}) }),
    },
  ];
  while (queue.length > 0) {
    const { from, names } = queue.pop()!;
    for (const name of names) {
      let path = resolveFrom(packages, from, name);
      if (path === undefined) continue; // an optional dependency for another platform, or an optional peer
      let entry = packages[path]!;
      // A workspace installed as a link: follow it to the workspace's own entry.
      if (entry.link === true && entry.resolved !== undefined) {
        path = entry.resolved;
        entry = packages[path] ?? entry;
      }
      if (picked.has(path)) continue;
      picked.set(path, entry);
      const required = Object.entries(entry.peerDependencies ?? {})
        .filter(([peer]) => entry.peerDependenciesMeta?.[peer]?.optional !== true)
        .map(([peer]) => peer);
      queue.push({ from: path, names: [...Object.keys({ ...entry.dependencies, ...entry.optionalDependencies }), ...required] });
    }
  }
  const slice = [...picked.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, entry]) => [path, { version: entry.version, integrity: entry.integrity, dependencies: entry.dependencies, optionalDependencies: entry.optionalDependencies, devDependencies: path === workspace ? entry.devDependencies : undefined }]);
  return JSON.stringify(slice);
}
