import { Option, type Command } from 'commander';

/** `check-updates [--json] [--exit-code] [--sync-issue]`: pinned TEN, Jitsi and MCP SDK against their newest releases. */
export function addCheckUpdatesCommand(program: Command): void {
  program
    .command('check-updates')
    .description('compare the pinned TEN Framework (sources and build image), Jitsi Meet version and MCP SDK with the newest releases in their registries (GitHub, GHCR, npm)')
    .addOption(new Option('--json', 'print the results as JSON'))
    .addOption(new Option('--exit-code', 'exit 3 when an update is available'))
    .addOption(new Option('--timeout <seconds>', 'per registry request').default('15'))
    .addOption(new Option('--sync-issue', 'then open, update or close the one GitHub issue labelled updates-behind that lists what is behind (GITHUB_TOKEN, GITHUB_REPOSITORY)'))
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

With --sync-issue, the one open issue labelled updates-behind (the oldest, if several; pull
requests are skipped) lists every pin, its latest release, its status and what renovate.json
makes Renovate do with it:
  something behind, no such issue    opens one, with the label
  something behind, the issue open   rewrites its title and body when the listing changed,
                                     else leaves it ("unchanged")
  all current, the issue open        comments that all is current and closes it (completed)
  all current, no such issue         nothing
Renovate proposes the bumps as PRs; the issue is the reminder while one is closed, ignored or
blocked. .github/workflows/check-updates.yml runs it weekly.

Environment:
  CHECK_UPDATES_NPM_REGISTRY   npm registry base URL (default: the registry npm is configured with)
  CHECK_UPDATES_GHCR_REGISTRY  base URL standing in for ghcr.io (default https://ghcr.io)
  CHECK_UPDATES_GITHUB_API     base URL of GitHub's REST API, for the tags and the issue
                               (default https://api.github.com)
  GITHUB_TOKEN                 --sync-issue: a token that may write the repository's issues;
                               the GitHub tag lookups send it too (never printed)
  GITHUB_REPOSITORY            --sync-issue: owner/name of the repository (GitHub Actions sets it)
  GITHUB_SERVER_URL, GITHUB_RUN_ID
                               --sync-issue: the issue links the workflow run (Actions sets them)

Exit codes: 0 checked (updates or not; with --sync-issue, the issue is as it should be), 1 a
registry or GitHub could not be reached or answered an error, or GITHUB_TOKEN/GITHUB_REPOSITORY
is missing (the message names it and the cause), 3 with --exit-code when an update is available.

Examples:
  npm run check-updates
  npm run check-updates -- --json --exit-code
  GITHUB_TOKEN=… GITHUB_REPOSITORY=owner/name npm run check-updates -- --sync-issue`,
    )
    .action(async (options: { json?: boolean; exitCode?: boolean; timeout: string; syncIssue?: boolean }) => {
      const { checkUpdatesCommand } = await import('../check-updates.ts');
      process.exitCode = await checkUpdatesCommand(options);
    });
}
