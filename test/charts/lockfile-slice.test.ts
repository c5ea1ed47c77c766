import { describe, expect, it } from 'vitest';
import { lockfileSlice } from '../../charts/lockfile-slice.ts';

/** A small npm lock file (v3): two workspaces, hoisting, one nested version, an optional peer, a dev tool. */
const LOCK = JSON.stringify({
  lockfileVersion: 3,
  packages: {
    '': { devDependencies: { vitest: '4.0.0' }, workspaces: ['services/*'] },
    'services/api': { name: 'api', dependencies: { express: '5.0.0', shared: '1.0.0' }, devDependencies: { '@types/express': '5.0.0' } },
    'services/web': { name: 'web', dependencies: { shared: '2.0.0' } },
    'node_modules/api': { resolved: 'services/api', link: true },
    'node_modules/express': { version: '5.0.0', integrity: 'e5', dependencies: { 'body-parser': '^2' }, peerDependencies: { typescript: '*' }, peerDependenciesMeta: { typescript: { optional: true } } },
    'node_modules/express/node_modules/body-parser': { version: '2.1.0', integrity: 'b21' },
    'node_modules/body-parser': { version: '1.0.0', integrity: 'b10' },
    'node_modules/shared': { version: '2.0.0', integrity: 's2' },
    'services/api/node_modules/shared': { version: '1.0.0', integrity: 's1' },
    'node_modules/@types/express': { version: '5.0.0', integrity: 't5' },
    'node_modules/vitest': { version: '4.0.0', integrity: 'v4' },
    'node_modules/typescript': { version: '5.0.0', integrity: 'ts5' },
  },
});

const paths = (slice: string) => (JSON.parse(slice) as Array<[string]>).map(([path]) => path);

describe('the lock file slice of a workspace', () => {
  it('holds the workspace and its closure, resolved as Node resolves: nested first, then the root', () => {
    expect(paths(lockfileSlice(LOCK, 'services/api'))).toEqual([
      'node_modules/express',
      'node_modules/express/node_modules/body-parser',
      'services/api',
      'services/api/node_modules/shared',
    ]);
    expect(paths(lockfileSlice(LOCK, 'services/web'))).toEqual(['node_modules/shared', 'services/web']);
  });

  it('adds the workspace’s own devDependencies on request, never the root’s tools', () => {
    expect(paths(lockfileSlice(LOCK, 'services/api', { includeDev: true }))).toContain('node_modules/@types/express');
    expect(paths(lockfileSlice(LOCK, 'services/api', { includeDev: true }))).not.toContain('node_modules/vitest');
  });

  it('changes when a package in the closure moves, and not when one outside it does', () => {
    const bump = (path: string, version: string) => {
      const lock = JSON.parse(LOCK) as { packages: Record<string, { version?: string }> };
      lock.packages[path]!.version = version;
      return JSON.stringify(lock);
    };
    const api = lockfileSlice(LOCK, 'services/api');
    expect(lockfileSlice(bump('node_modules/express/node_modules/body-parser', '2.2.0'), 'services/api')).not.toBe(api);
    expect(lockfileSlice(bump('node_modules/body-parser', '1.1.0'), 'services/api')).toBe(api);
    expect(lockfileSlice(bump('node_modules/shared', '2.1.0'), 'services/api')).toBe(api);
    expect(lockfileSlice(bump('node_modules/vitest', '4.1.0'), 'services/api')).toBe(api);
    expect(lockfileSlice(bump('node_modules/shared', '2.1.0'), 'services/web')).not.toBe(lockfileSlice(LOCK, 'services/web'));
  });

  it('names a workspace the lock file does not have', () => {
    expect(() => lockfileSlice(LOCK, 'services/nope')).toThrow('package-lock.json has no workspace services/nope');
  });
});
