import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../cli-error.ts';

// The pins check-updates compares: environments/versions.ts (through its `// renovate:` comments)
// and the MCP SDK in every workspace's package.json.

/** The MCP SDK's npm packages, the split v2 line (renovate.json groups them). */
export const MCP_SDK_PACKAGES = [
  '@modelcontextprotocol/client',
  '@modelcontextprotocol/server',
  '@modelcontextprotocol/core',
  '@modelcontextprotocol/node',
  '@modelcontextprotocol/express',
  '@modelcontextprotocol/server-legacy',
] as const;

/** The repository whose git tags the agent image builds from (TEN_VERSION in versions.ts). */
export const TEN_SOURCES = 'TEN-framework/ten-framework';

export interface VersionPin {
  constant: string;
  datasource: string;
  depName: string;
  value: string;
}

/** `// renovate: datasource=<datasource> depName=<name>` followed by `export const NAME = '<value>';`. */
function versionPins(source: string): VersionPin[] {
  const lines = source.split('\n');
  return lines.flatMap((line, index) => {
    const comment = /^\/\/ renovate: datasource=(\S+) depName=(\S+)/.exec(line);
    const constant = /^export const (\w+) = '([^']+)';/.exec(lines[index + 1] ?? '');
    if (!comment || !constant) return [];
    return [{ constant: constant[1]!, datasource: comment[1]!, depName: comment[2]!, value: constant[2]!.split('@')[0]! }];
  });
}

export interface Pins {
  tenSources: VersionPin;
  tenImages: VersionPin[];
  jitsi: VersionPin;
  /** Each MCP SDK package a workspace pins, by file. */
  sdk: { file: string; package: string; version: string }[];
}

export function readPins(root: string): Pins {
  const versionsFile = join(root, 'environments', 'versions.ts');
  const pins = versionPins(readFileSync(versionsFile, 'utf8'));
  const tenSources = pins.filter((pin) => pin.datasource === 'github-tags' && pin.depName === TEN_SOURCES);
  const tenImages = pins.filter((pin) => pin.datasource === 'docker' && pin.depName.startsWith('ghcr.io/ten-framework/'));
  const jitsi = pins.filter((pin) => pin.depName.startsWith('ghcr.io/jitsi/'));
  if (tenSources.length !== 1) {
    throw new CliError(`environments/versions.ts must pin TEN's sources exactly once (datasource=github-tags depName=${TEN_SOURCES}), found ${tenSources.length}`);
  }
  if (tenImages.length === 0) throw new CliError('environments/versions.ts pins no TEN build image (ghcr.io/ten-framework/…)');
  if (jitsi.length !== 1) throw new CliError(`environments/versions.ts must pin Jitsi exactly once (ghcr.io/jitsi/…), found ${jitsi.length}`);
  const sdk = readdirSync(join(root, 'services'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `services/${entry.name}/package.json`)
    .sort()
    .flatMap((file) => {
      let manifest: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      try {
        manifest = JSON.parse(readFileSync(join(root, file), 'utf8')) as typeof manifest;
      } catch {
        return [];
      }
      return MCP_SDK_PACKAGES.flatMap((name) => {
        const version = manifest.dependencies?.[name] ?? manifest.devDependencies?.[name];
        return version === undefined ? [] : [{ file, package: name, version }];
      });
    });
  if (sdk.length === 0) throw new CliError(`no services/*/package.json depends on the MCP SDK (${MCP_SDK_PACKAGES.join(', ')})`);
  return { tenSources: tenSources[0]!, tenImages, jitsi: jitsi[0]!, sdk };
}
