/**
 * The Node versions the repository declares (package.json engines.node) are ones every installed
 * package declares too, so `npm ci` prints no EBADENGINE warning on any of them: each package's
 * engines.node, from the packages entries of the lock files, must accept every declared version.
 * The test tools are installed by the same Node: the conformance suite's packages must accept every
 * declared version, Renovate's (Renovate 39: Node 20 and 22 only) the declared Node 22 line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { nodeVersionProblem } from './prerequisites.ts';

interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
  os?: string[];
}

const json = <T>(path: string) => JSON.parse(readFileSync(join(REPO_ROOT, path), 'utf8')) as T;
const declared = json<{ engines: { node: string } }>('package.json').engines.node;

type Packages = Record<string, LockEntry>;
const lockPackages = (lockFile: string) => json<{ packages: Packages }>(lockFile).packages;

/** Every package whose engines.node does not accept all of `range`, named as `<where>: <path>@<version> wants node <range>`. */
function refusing(where: string, packages: Packages, range: string): string[] {
  return Object.entries(packages).flatMap(([path, entry]) => {
    // The root is the project itself; a package only for another OS (Windows, macOS) is never
    // installed on the Linux machines, CI runners and images this repository runs on.
    if (path === '' || (entry.os !== undefined && !entry.os.includes('linux'))) return [];
    const wanted = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
    if (wanted === undefined || semver.subset(range, wanted)) return [];
    return [`${where}: ${path}@${entry.version ?? '?'} wants node ${wanted}`];
  });
}

describe('engines.node', () => {
  it('declares a valid range that leaves out Node 20 (end of life; railway/iac and amaro declare 22)', () => {
    expect(semver.validRange(declared), declared).not.toBeNull();
    expect(semver.intersects(declared, '20.x')).toBe(false);
    expect(semver.minVersion(declared)?.major).toBe(22);
  });

  it('every package the repository installs accepts every declared Node version', () => {
    expect(refusing('package-lock.json', lockPackages('package-lock.json'), declared)).toEqual([]);
  });

  it('so does every package of the MCP conformance suite (tools/mcp-conformance)', () => {
    expect(refusing('tools/mcp-conformance', lockPackages('tools/mcp-conformance/package-lock.json'), declared)).toEqual([]);
  });

  it("Renovate's packages (tools/renovate) accept the declared Node 22 line, the one npm test runs them on", () => {
    // Renovate 39 supports Node 20 and 22 only (README "Quick start"): npm test needs the 22 line.
    const line22 = `^${semver.minVersion(declared)!.version}`;
    expect(semver.major(semver.minVersion(line22)!)).toBe(22);
    expect(refusing('tools/renovate', lockPackages('tools/renovate/package-lock.json'), line22)).toEqual([]);
  });

  it('the check can fail: a package that refuses part of the range is reported, one only for another OS is not', () => {
    const packages: Packages = {
      '': { version: '0.1.0', engines: { node: '>=99' } },
      'node_modules/fine': { version: '1.0.0', engines: { node: '>=18' } },
      'node_modules/newer': { version: '2.0.0', engines: { node: '>=24' } },
      'node_modules/lts-only': { version: '3.0.0', engines: { node: '^22.13.0 || ^24.0.0' } },
      'node_modules/windows-only': { version: '4.0.0', os: ['win32'], engines: { node: '^20.9.0' } },
    };
    expect(refusing('example', packages, '^22.13.0 || >=24')).toEqual([
      'example: node_modules/newer@2.0.0 wants node >=24',
      'example: node_modules/lts-only@3.0.0 wants node ^22.13.0 || ^24.0.0',
    ]);
  });

  it('every workflow sets up a declared Node line', () => {
    const workflows = ['check-updates.yml', 'ci.yml', 'deploy.yml', 'renovate-render.yml', 'rollback.yml'];
    const versions = workflows.flatMap((file) => {
      const source = readFileSync(join(REPO_ROOT, '.github/workflows', file), 'utf8');
      const found: string[] = [];
      JSON.stringify(parse(source), (key, value: unknown) => {
        if (key === 'node-version') found.push(`${file}: ${String(value)}`);
        return value;
      });
      return found;
    });
    expect(versions.length).toBeGreaterThan(0);
    // setup-node takes the newest release of the line it is given ('22' is the newest 22.x).
    const unsupported = versions.filter((entry) => !semver.intersects(`${entry.split(': ')[1]}.x`, declared));
    expect(unsupported).toEqual([]);
  });

  it("is what npm test's prerequisite check accepts, version for version", () => {
    const versions = ['18.20.8', '20.19.0', '20.20.2', '22.12.0', '22.13.0', '22.23.3', '23.11.1', '24.0.0', '24.11.1', '26.1.0'];
    for (const version of versions) expect(nodeVersionProblem(version) === undefined, version).toBe(semver.satisfies(version, declared));
    expect(nodeVersionProblem('v20.20.2')).toBe('this is Node 20.20.2, and the repository supports 22.13 or newer on the 22 line, and 24 or newer');
  });
});
