import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError } from '../../cli/cli-error.ts';
import type { UpdateCheck } from '../../cli/check-updates.ts';
import { GitHubIssues, githubCredentialsFromEnv } from '../../cli/check-updates/github-issues.ts';
import { readPins } from '../../cli/check-updates/pins.ts';
import { readRenovateConfig, renovateCoverage, renovateDependency, renovateLimits, type RenovateConfig } from '../../cli/check-updates/renovate-coverage.ts';
import { describeOutcome, syncUpdatesIssue, UPDATES_ISSUE_LABEL } from '../../cli/check-updates/updates-issue.ts';
import { updatesIssueBody, type UpdatesIssueReport } from '../../cli/check-updates/updates-issue-body.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { JITSI_VERSION, TEN_AGENT_BUILD_VERSION, TEN_VERSION } from '../../environments/versions.ts';
import { fakeIssue, startFakeGitHub, type FakeGitHub, type FakeGitHubState } from '../fakes/fake-github.ts';

// `check-updates --sync-issue` against a fake GitHub REST API: which request it sends when, and
// what it says when GitHub refuses. The checks themselves come from check-updates.test.ts's
// registries; here they are written out, from the repository's real pins.

const REPOSITORY = 'voice-agent/gitops';
const TOKEN = 'ghs_fakeUpdatesIssueToken0123456789abcdef';
const READ_ONLY_TOKEN = 'ghs_fakeReadOnlyToken0123456789abcdefgh';
const SDK = '@modelcontextprotocol/server';
const SDK_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'services/mcp-server/package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies[SDK]!;
const bumpPatch = (version: string) => version.replace(/(\d+)$/, (patch) => String(Number(patch) + 1));

const pins = readPins(REPO_ROOT);
const renovate = readRenovateConfig(REPO_ROOT);

function check(dependency: string, packageName: string, pinnedIn: string, current: string, latest: string = current): UpdateCheck {
  return { dependency, package: packageName, pinnedIn, current, latest, status: latest === current ? 'up to date' : 'update available', registry: 'https://registry.example' };
}
/** The checks of the repository's pins; `behind` names those with a newer release. */
function checks(behind: { ten?: string; sdk?: string } = {}): UpdateCheck[] {
  return [
    check('TEN Framework', 'TEN-framework/ten-framework', 'environments/versions.ts (TEN_VERSION)', TEN_VERSION, behind.ten),
    check('TEN build image', 'ghcr.io/ten-framework/ten_agent_build', 'environments/versions.ts (TEN_AGENT_BUILD_VERSION)', TEN_AGENT_BUILD_VERSION),
    check('Jitsi Meet', 'ghcr.io/jitsi/{web,prosody,jicofo,jvb}', 'environments/versions.ts (JITSI_VERSION)', JITSI_VERSION),
    check(SDK, SDK, 'services/mcp-server/package.json', SDK_VERSION, behind.sdk),
  ];
}
function report(results: UpdateCheck[], checkedAt = '2026-05-04T03:00:00Z', runId = '42'): UpdatesIssueReport {
  return {
    results,
    renovate: results.map((result) => renovateCoverage(renovate, renovateDependency(result, pins))),
    renovateLimits: renovateLimits(renovate),
    checkedAt: new Date(checkedAt),
    runUrl: `https://github.com/${REPOSITORY}/actions/runs/${runId}`,
  };
}

const servers: FakeGitHub[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
async function fakeGitHub(state: Partial<FakeGitHubState> = {}): Promise<FakeGitHub> {
  const github = await startFakeGitHub({ repository: REPOSITORY, tokens: { [TOKEN]: 'write', [READ_ONLY_TOKEN]: 'read' }, ...state });
  servers.push(github);
  return github;
}
const client = (github: FakeGitHub, overrides: Partial<ConstructorParameters<typeof GitHubIssues>[0]> = {}) =>
  new GitHubIssues({ apiBase: github.url, repository: REPOSITORY, token: TOKEN, timeoutMs: 5000, ...overrides });
const writes = (github: FakeGitHub) => github.requests.filter((request) => request.method !== 'GET');

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('check-updates --sync-issue against a fake GitHub API', () => {
  it('opens one labelled issue when something is behind: a table of every pin, what Renovate does with it, the time and the run', async () => {
    const github = await fakeGitHub({
      issues: [
        // Renovate's own dashboard, a pull request carrying the label, and last month's closed issue.
        fakeIssue({ number: 1, title: 'Dependency Dashboard', labels: ['dependencies'] }),
        fakeIssue({ number: 2, title: 'Update TEN', labels: [UPDATES_ISSUE_LABEL], pullRequest: true }),
        fakeIssue({ number: 3, title: 'Pinned versions behind', labels: [UPDATES_ISSUE_LABEL], state: 'closed', state_reason: 'completed' }),
      ],
    });
    const tenLatest = bumpPatch(TEN_VERSION);
    const outcome = await syncUpdatesIssue(client(github), report(checks({ ten: tenLatest, sdk: bumpPatch(SDK_VERSION) })));

    expect(outcome).toEqual({ action: 'opened', number: 4, url: `https://github.com/${REPOSITORY}/issues/4`, alsoLabelled: [] });
    expect(github.requests.map((request) => [request.method, request.path, request.query, request.status])).toEqual([
      ['GET', `/repos/${REPOSITORY}/issues`, { state: 'open', labels: UPDATES_ISSUE_LABEL, per_page: '100' }, 200],
      ['POST', `/repos/${REPOSITORY}/issues`, {}, 201],
    ]);
    for (const request of github.requests) {
      expect(request).toMatchObject({ authorization: `Bearer ${TOKEN}`, accept: 'application/vnd.github+json', apiVersion: '2022-11-28' });
    }
    const sent = github.requests[1]!.body as { title: string; body: string; labels: string[] };
    expect(Object.keys(sent).sort()).toEqual(['body', 'labels', 'title']);
    expect(sent.labels).toEqual([UPDATES_ISSUE_LABEL]);
    expect(sent.title).toBe(`Pinned versions behind their latest release: TEN Framework, ${SDK}`);

    const lines = sent.body.split('\n');
    expect(lines[0]).toBe('**2 of 4 pins are behind their latest release.**');
    expect(lines).toContain('| what | pinned in | pinned | latest | status | Renovate |');
    const row = (what: string) => lines.find((line) => line.startsWith(`| ${what} |`));
    expect(row('TEN Framework')).toBe(
      `| TEN Framework | \`environments/versions.ts\` (TEN_VERSION) | \`${TEN_VERSION}\` | \`${tenLatest}\` | **update available** | PR "TEN Framework", versions \`/^\\d+\\.\\d+\\.\\d+$/\` |`,
    );
    expect(row('TEN build image')).toContain(`| \`${TEN_AGENT_BUILD_VERSION}\` | \`${TEN_AGENT_BUILD_VERSION}\` | up to date | PR "TEN Framework"`);
    expect(row('Jitsi Meet')).toContain('| up to date | PR "Jitsi Meet", versions `/^stable-\\d+(?:-\\d+)?$/` |');
    expect(row(`\`${SDK}\``)).toMatch(/\| \*\*update available\*\* \| PR "MCP SDK" \|$/);
    // In backticks: a bare @modelcontextprotocol would mention the organisation.
    expect(sent.body).not.toMatch(/(^|[^`/])@modelcontextprotocol/m);
    // renovate.json's schedule, release age and PR limits, and what the issue adds to them.
    expect(sent.body).toContain('on its schedule (`* 0-5 * * 1`, Etc/UTC)');
    expect(sent.body).toContain('once it is 3 days old');
    expect(sent.body).toContain('it keeps at most 5 PRs open (`prConcurrentLimit`); it opens at most 2 an hour (`prHourlyLimit`)');
    expect(sent.body).toContain('a PR closed without merging');
    expect(lines.at(-1)).toBe(`Written by the check of 2026-05-04T03:00:00Z ([workflow run](https://github.com/${REPOSITORY}/actions/runs/42)); a later check that finds the same leaves the issue as it is.`);

    // The pull request, the dashboard and the closed issue are as they were.
    expect(github.state.issues.slice(0, 3).map((issue) => [issue.number, issue.state, issue.comments.length])).toEqual([
      [1, 'open', 0],
      [2, 'open', 0],
      [3, 'closed', 0],
    ]);
    expect(github.state.issues[3]).toMatchObject({ number: 4, state: 'open', labels: [UPDATES_ISSUE_LABEL], title: sent.title, body: sent.body });
    expect(describeOutcome(outcome)).toBe(`issue: opened #4 https://github.com/${REPOSITORY}/issues/4`);
  });

  it('rewrites title and body when the listing changed, and leaves the issue alone when only the time and run would', async () => {
    const before = report(checks({ ten: bumpPatch(TEN_VERSION) }), '2026-04-27T03:00:00Z', '41');
    const github = await fakeGitHub({ issues: [fakeIssue({ number: 7, title: 'Pinned versions behind their latest release: TEN Framework', labels: [UPDATES_ISSUE_LABEL], body: updatesIssueBody(before) })] });

    // A newer TEN release than the issue lists.
    const newer = report(checks({ ten: bumpPatch(bumpPatch(TEN_VERSION)) }));
    expect(await syncUpdatesIssue(client(github), newer)).toMatchObject({ action: 'updated', number: 7 });
    expect(writes(github).map((request) => [request.method, request.path, Object.keys(request.body as object).sort()])).toEqual([['PATCH', `/repos/${REPOSITORY}/issues/7`, ['body', 'title']]]);
    expect(github.state.issues[0]!.body).toBe(updatesIssueBody(newer));
    expect(github.state.issues[0]!.body).toContain(`\`${bumpPatch(bumpPatch(TEN_VERSION))}\``);

    // A week later, the same listing: no PATCH; the issue keeps the check that wrote it.
    const sameLater = report(checks({ ten: bumpPatch(bumpPatch(TEN_VERSION)) }), '2026-05-11T03:00:00Z', '43');
    const outcome = await syncUpdatesIssue(client(github), sameLater);
    expect(outcome).toEqual({ action: 'unchanged', number: 7, url: `https://github.com/${REPOSITORY}/issues/7`, alsoLabelled: [] });
    expect(describeOutcome(outcome)).toBe(`issue: #7 unchanged (it lists the same) https://github.com/${REPOSITORY}/issues/7`);
    expect(writes(github)).toHaveLength(1);
    expect(github.state.issues[0]!.body).toContain('actions/runs/42');

    // Edited in the browser, GitHub hands the body back with CRLF line ends: still the same listing.
    github.state.issues[0]!.body = github.state.issues[0]!.body!.replaceAll('\n', '\r\n');
    expect((await syncUpdatesIssue(client(github), sameLater)).action).toBe('unchanged');
    // Someone edited the listing itself: written again.
    github.state.issues[0]!.body = github.state.issues[0]!.body!.replace('**update available**', 'fixed?');
    expect((await syncUpdatesIssue(client(github), sameLater)).action).toBe('updated');
    expect(writes(github)).toHaveLength(2);
  });

  it('comments and closes the issue as completed when everything is current; with nothing behind and no issue, sends no write', async () => {
    const github = await fakeGitHub({ issues: [fakeIssue({ number: 7, title: 'Pinned versions behind', labels: [UPDATES_ISSUE_LABEL], body: 'old listing' })] });
    const outcome = await syncUpdatesIssue(client(github), report(checks()));
    expect(outcome).toEqual({ action: 'closed', number: 7, url: `https://github.com/${REPOSITORY}/issues/7`, alsoLabelled: [] });
    expect(writes(github).map((request) => [request.method, request.path, request.body])).toEqual([
      [
        'POST',
        `/repos/${REPOSITORY}/issues/7/comments`,
        { body: `All 4 pinned versions are current as of the check of 2026-05-04T03:00:00Z ([workflow run](https://github.com/${REPOSITORY}/actions/runs/42)): closing. The next check that finds one behind opens a new issue.` },
      ],
      ['PATCH', `/repos/${REPOSITORY}/issues/7`, { state: 'closed', state_reason: 'completed' }],
    ]);
    expect(github.state.issues[0]).toMatchObject({ state: 'closed', state_reason: 'completed', body: 'old listing' });
    expect(github.state.issues[0]!.closed_at).not.toBeNull();

    // The next week: still current, and the closed issue is not listed.
    const again = await syncUpdatesIssue(client(github), report(checks()));
    expect(again).toEqual({ action: 'none' });
    expect(describeOutcome(again)).toContain('nothing to do');
    expect(writes(github)).toHaveLength(2);
    expect(github.requests.at(-1)).toMatchObject({ method: 'GET', status: 200 });
  });

  it('finds its issue past labelled pull requests on later pages, and keeps the oldest of several', async () => {
    const github = await fakeGitHub({
      pageSize: 1,
      issues: [
        fakeIssue({ number: 5, title: 'Pinned versions behind', labels: ['Updates-Behind', 'dependencies'] }),
        fakeIssue({ number: 9, title: 'Pinned versions behind (again)', labels: [UPDATES_ISSUE_LABEL] }),
        fakeIssue({ number: 11, title: 'Update the MCP SDK', labels: [UPDATES_ISSUE_LABEL], pullRequest: true }),
        fakeIssue({ number: 12, title: 'Unrelated', labels: ['bug'] }),
      ],
    });
    const outcome = await syncUpdatesIssue(client(github), report(checks({ sdk: bumpPatch(SDK_VERSION) })));
    expect(outcome).toMatchObject({ action: 'updated', number: 5, alsoLabelled: [9] });
    // Newest first, one a page: the pull request, #9, #5; the unrelated issue is filtered out by GitHub.
    expect(github.requests.filter((request) => request.method === 'GET').map((request) => request.query.page ?? '1')).toEqual(['1', '2', '3']);
    expect(writes(github).map((request) => request.path)).toEqual([`/repos/${REPOSITORY}/issues/5`]);
    expect(github.state.issues.find((issue) => issue.number === 11)!.title).toBe('Update the MCP SDK');
    expect(describeOutcome(outcome)).toContain('note: #9 also carries the label updates-behind; the check uses #5 (the oldest) and leaves it alone');
  });

  it('names the status and message GitHub answered (401, 403, 404, 422), never the token', async () => {
    const github = await fakeGitHub();
    const behind = report(checks({ ten: bumpPatch(TEN_VERSION) }));

    const unknown = await rejection(syncUpdatesIssue(client(github, { token: 'ghs_notAKnownToken0000000000000000000000' }), behind));
    expect(unknown).toBeInstanceOf(CliError);
    expect(unknown.message).toBe(
      `GitHub API (${github.url}): listing the open issues labelled updates-behind: GET /repos/${REPOSITORY}/issues: answered HTTP 401: Bad credentials; GITHUB_TOKEN is not a valid, current GitHub token`,
    );

    const readOnly = await rejection(syncUpdatesIssue(client(github, { token: READ_ONLY_TOKEN }), behind));
    expect(readOnly.message).toBe(
      `GitHub API (${github.url}): opening the updates issue: POST /repos/${REPOSITORY}/issues: answered HTTP 403: Resource not accessible by integration; GITHUB_TOKEN may not write the issues of ${REPOSITORY}: the workflow job needs "permissions: issues: write"`,
    );

    const elsewhere = await rejection(syncUpdatesIssue(client(github, { repository: 'someone/else' }), behind));
    expect(elsewhere.message).toContain('GET /repos/someone/else/issues: answered HTTP 404: Not Found; GitHub shows GITHUB_TOKEN no such repository or issue: check GITHUB_REPOSITORY (someone/else)');

    // A request GitHub finds fields missing in: the title dropped on the way.
    const withoutTitle = client(github, {
      fetch: (input, init) => {
        const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : undefined;
        if (body !== undefined) delete body['title'];
        return fetch(input, { ...init, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      },
    });
    const invalid = await rejection(syncUpdatesIssue(withoutTitle, behind));
    expect(invalid.message).toBe(
      `GitHub API (${github.url}): opening the updates issue: POST /repos/${REPOSITORY}/issues: answered HTTP 422: Invalid request. "title" wasn't supplied.; GitHub refused the fields of the request`,
    );

    // An answer that echoes the token (a proxy, a future GitHub message): cut out.
    const echoing = client(github, { fetch: async () => new Response(JSON.stringify({ message: `token ${TOKEN} is not allowed here` }), { status: 500 }) });
    const echoed = await rejection(syncUpdatesIssue(echoing, behind));
    expect(echoed.message).toContain('answered HTTP 500: token <token> is not allowed here');
    for (const error of [unknown, readOnly, elsewhere, invalid, echoed]) {
      expect(error).toBeInstanceOf(CliError);
      expect(error.message).not.toContain(TOKEN);
      expect(error.message).not.toContain(READ_ONLY_TOKEN);
    }
    expect(github.state.issues).toEqual([]);
  });

  it('stops when GitHub opened the issue without its label, which the next check could not find', async () => {
    const github = await fakeGitHub({ canLabel: false });
    const error = await rejection(syncUpdatesIssue(client(github), report(checks({ ten: bumpPatch(TEN_VERSION) }))));
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toContain(`GitHub opened issue #1 (https://github.com/${REPOSITORY}/issues/1) without the label updates-behind`);
    expect(error.message).toContain('permissions: issues: write');
  });

  it('reads GITHUB_TOKEN and GITHUB_REPOSITORY first, naming what is missing or malformed, never the token', () => {
    const message = (env: NodeJS.ProcessEnv) => {
      try {
        githubCredentialsFromEnv(env);
      } catch (error) {
        expect(error).toBeInstanceOf(CliError);
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(message({ GITHUB_REPOSITORY: REPOSITORY })).toMatch(/^GITHUB_TOKEN is not set: --sync-issue needs a token that may write issues/);
    expect(message({ GITHUB_TOKEN: '  ', GITHUB_REPOSITORY: REPOSITORY })).toMatch(/^GITHUB_TOKEN is not set/);
    expect(message({ GITHUB_TOKEN: `${TOKEN}\nX-Injected: 1`, GITHUB_REPOSITORY: REPOSITORY })).toBe('GITHUB_TOKEN contains whitespace, quotes or control characters: give the token alone');
    expect(message({ GITHUB_TOKEN: TOKEN })).toMatch(/^GITHUB_REPOSITORY is not set: give the repository whose issue to open or update, as owner\/name/);
    for (const malformed of ['gitops', 'voice-agent/gitops/issues', 'https://github.com/voice-agent/gitops', 'voice agent/gitops']) {
      expect(message({ GITHUB_TOKEN: TOKEN, GITHUB_REPOSITORY: malformed })).toBe(`GITHUB_REPOSITORY must be owner/name, got "${malformed}"`);
    }
    expect(githubCredentialsFromEnv({ GITHUB_TOKEN: ` ${TOKEN} `, GITHUB_REPOSITORY: REPOSITORY })).toEqual({ repository: REPOSITORY, token: TOKEN });
  });
});

describe("what the issue says Renovate does, from renovate.json's rules", () => {
  const coverage = (config: RenovateConfig, result: UpdateCheck) => renovateCoverage(config, renovateDependency(result, pins));
  const [ten, build, jitsi, sdk] = checks();

  it("follows the repository's renovate.json: each pin's group and allowed versions, rules for other files and managers left out", () => {
    expect(coverage(renovate, ten!)).toBe('PR "TEN Framework", versions `/^\\d+\\.\\d+\\.\\d+$/`');
    expect(coverage(renovate, build!)).toBe('PR "TEN Framework", versions `/^\\d+\\.\\d+\\.\\d+$/`');
    expect(coverage(renovate, jitsi!)).toBe('PR "Jitsi Meet", versions `/^stable-\\d+(?:-\\d+)?$/`');
    // Not the conformance suite's group (another file) nor the Actions groups (another manager).
    expect(coverage(renovate, sdk!)).toBe('PR "MCP SDK"');
    expect(renovateLimits(renovate)).toEqual([
      'it runs on its schedule (`* 0-5 * * 1`, Etc/UTC)',
      'it proposes a release once it is 3 days old (`minimumReleaseAge`)',
      'it keeps at most 5 PRs open (`prConcurrentLimit`)',
      'it opens at most 2 an hour (`prHourlyLimit`)',
    ]);
  });

  it('says when a rule turns a pin off, holds it for approval for some updates, or when no rule names it', () => {
    const rules = (renovate.packageRules ?? []).map((rule) => (rule['groupName'] === 'MCP SDK' ? { ...rule, enabled: false } : rule));
    expect(coverage({ ...renovate, packageRules: rules }, sdk!)).toBe('not proposed: a package rule sets `enabled: false`');
    const approval = [...(renovate.packageRules ?? []), { matchDatasources: ['docker'], matchPackageNames: ['ghcr.io/jitsi/**'], matchUpdateTypes: ['major'], dependencyDashboardApproval: true }];
    expect(coverage({ ...renovate, packageRules: approval }, jitsi!)).toBe('PR "Jitsi Meet", versions `/^stable-\\d+(?:-\\d+)?$/`, waits for approval on the Dependency Dashboard (major updates)');
    expect(coverage({ packageRules: [] }, ten!)).toBe('a PR of its own (no rule groups it), no rule in renovate.json names it');
  });
});

describe('the fake GitHub API refuses what GitHub refuses', () => {
  /** `token: null` sends no Authorization header. */
  const send = (github: FakeGitHub, method: string, path: string, body?: unknown, token: string | null = TOKEN) =>
    fetch(`${github.url}${path}`, {
      method,
      headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    }).then(async (response) => ({ status: response.status, json: (await response.json()) as { message?: string; errors?: unknown[] } }));

  it('401 without a valid token, 404 for another repository or issue, 403 for a read-only token, 422 and 400 for bad fields', async () => {
    const github = await fakeGitHub({ issues: [fakeIssue({ number: 1, title: 'x', labels: [UPDATES_ISSUE_LABEL] })] });
    const issues = `/repos/${REPOSITORY}/issues`;
    expect(await send(github, 'GET', issues, undefined, null)).toMatchObject({ status: 401, json: { message: 'Requires authentication' } });
    expect(await send(github, 'GET', issues, undefined, 'ghs_wrong')).toMatchObject({ status: 401, json: { message: 'Bad credentials' } });
    expect(await send(github, 'GET', '/repos/someone/else/issues')).toMatchObject({ status: 404, json: { message: 'Not Found' } });
    expect(await send(github, 'PATCH', `${issues}/99`, { title: 'y' })).toMatchObject({ status: 404 });
    expect(await send(github, 'POST', issues, { title: 'y' }, READ_ONLY_TOKEN)).toMatchObject({ status: 403, json: { message: 'Resource not accessible by integration' } });
    expect(await send(github, 'POST', issues, { body: 'no title' })).toMatchObject({ status: 422, json: { message: 'Invalid request.\n\n"title" wasn\'t supplied.' } });
    expect(await send(github, 'POST', issues, { title: 'y', labels: [1] })).toMatchObject({ status: 422, json: { message: "Invalid request.\n\nFor 'items', 1 is not a string." } });
    expect(await send(github, 'POST', issues, { title: ' ' })).toMatchObject({ status: 422, json: { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }] } });
    expect(await send(github, 'POST', issues, '{not json')).toMatchObject({ status: 400, json: { message: 'Problems parsing JSON' } });
    expect(await send(github, 'PATCH', `${issues}/1`, { state: 'done' })).toMatchObject({ status: 422 });
    expect(await send(github, 'POST', `${issues}/1/comments`, {})).toMatchObject({ status: 422 });
    // Nothing of that changed anything.
    expect(github.state.issues).toEqual([fakeIssue({ number: 1, title: 'x', labels: [UPDATES_ISSUE_LABEL] })]);
    expect(github.requests.map((request) => request.status)).toEqual([401, 401, 404, 404, 403, 422, 422, 422, 400, 422, 422]);
  });
});
