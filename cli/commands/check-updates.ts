import { Option, type Command } from 'commander';

/** `check-updates [--json] [--exit-code]`: pinned TEN, Jitsi and MCP SDK against their newest releases. */
export function addCheckUpdatesCommand(program: Command): void {
  program
    .command('check-updates')
    .description('compare the pinned TEN Framework (sources and build image), Jitsi Meet version and MCP SDK with the newest releases in their registries (GitHub, GHCR, npm)')
    .addOption(new Option('--json', 'print the results as JSON'))
    .addOption(new Option('--exit-code', 'exit 3 when an update is available'))
    .addOption(new Option('--timeout <seconds>', 'per registry request').default('15'))
    .addHelpText(
      'after',
      `
Pins are read from environments/versions.ts (TEN_VERSION, TEN_AGENT_BUILD_VERSION, JITSI_VERSION)
and services/*/package.json (the MCP SDK's v2 packages: @modelcontextprotocol/server, client, …). Latest releases come from public
endpoints, without credentials; release tags only:
  TEN sources     git tags of TEN-framework/ten-framework from GitHub's REST API (anonymous:
                  60 requests an hour), x.y.z
  TEN build image, Jitsi
                  GHCR tag lists (Docker Registry v2 with an anonymous pull token): TEN x.y.z,
                  Jitsi stable-NNNN[-N] published for all of web, prosody, jicofo and jvb
  MCP SDK         the npm registry's dist-tags.latest

Environment:
  CHECK_UPDATES_NPM_REGISTRY   npm registry base URL (default: the registry npm is configured with)
  CHECK_UPDATES_GHCR_REGISTRY  base URL standing in for ghcr.io (default https://ghcr.io)
  CHECK_UPDATES_GITHUB_API     base URL of GitHub's REST API (default https://api.github.com)

Exit codes: 0 checked (updates or not), 1 a registry could not be reached or answered an error
(the message names it and the cause), 3 with --exit-code when an update is available.

Examples:
  npm run check-updates
  npm run check-updates -- --json --exit-code`,
    )
    .action(async (options: { json?: boolean; exitCode?: boolean; timeout: string }) => {
      const { checkUpdatesCommand } = await import('../check-updates.ts');
      process.exitCode = await checkUpdatesCommand(options);
    });
}
