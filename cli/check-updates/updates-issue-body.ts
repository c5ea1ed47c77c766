import type { UpdateCheck } from './update-check.ts';

// The text of the updates issue: its title, a body listing every pin (what, where, pinned,
// latest, status, what Renovate does with it) and a stamp saying which check wrote it, and the
// comment that closes it. Only the listing above the stamp decides whether the issue changed.

export interface UpdatesIssueReport {
  readonly results: readonly UpdateCheck[];
  /** What Renovate does with each result, in the same order (renovate-coverage.ts). */
  readonly renovate: readonly string[];
  /** What holds every Renovate PR back (its schedule, the release age, the PR limits). */
  readonly renovateLimits: readonly string[];
  readonly checkedAt: Date;
  /** The workflow run that checked, when GITHUB_SERVER_URL and GITHUB_RUN_ID say. */
  readonly runUrl?: string;
}

/** Everything below this line is the stamp, which changes on every write and is not compared. */
const STAMP_MARKER = '<!-- check-updates: stamp -->';
const TITLE_NAMES = 3;

const isBehind = (result: UpdateCheck) => result.status === 'update available';

/** A table cell: no line breaks, pipes escaped. */
const cell = (text: string) => text.replace(/\s*\n\s*/g, ' ').replaceAll('|', '\\|');
/** In backticks, so `@modelcontextprotocol/server` mentions nobody. */
const code = (text: string) => `\`${text.replaceAll('`', "'")}\``;
const what = (result: UpdateCheck) => (result.dependency.includes('@') || result.dependency.includes('/') ? code(result.dependency) : result.dependency);

const time = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
const by = (report: UpdatesIssueReport) => `the check of ${time(report.checkedAt)} (${report.runUrl !== undefined ? `[workflow run](${report.runUrl})` : '`npm run check-updates -- --sync-issue`'})`;

export function updatesIssueTitle(results: readonly UpdateCheck[]): string {
  const names = [...new Set(results.filter(isBehind).map((result) => result.dependency))];
  const listed = names.length > TITLE_NAMES ? `${names.slice(0, TITLE_NAMES).join(', ')} and ${names.length - TITLE_NAMES} more` : names.join(', ');
  return `Pinned versions behind their latest release: ${listed}`;
}

export function updatesIssueBody(report: UpdatesIssueReport): string {
  const behind = report.results.filter(isBehind).length;
  const rows = report.results.map((result, index) => {
    const status = isBehind(result) ? `**${result.status}**` : result.status;
    const [file, constant] = /^(.*?)(?: \((.*)\))?$/.exec(result.pinnedIn)!.slice(1);
    const pinnedIn = `${code(file!)}${constant !== undefined ? ` (${constant})` : ''}`;
    return `| ${[what(result), pinnedIn, code(result.current), code(result.latest), status, report.renovate[index] ?? ''].map(cell).join(' | ')} |`;
  });
  const notes = report.results.flatMap((result) => (result.note !== undefined ? [`- ${what(result)}: ${result.note}`] : []));
  const registries = [...new Set(report.results.map((result) => result.registry))];
  const limits = report.renovateLimits.length > 0 ? `, but ${report.renovateLimits.join('; ')}` : '';
  return [
    `**${behind} of ${report.results.length} pins ${behind === 1 ? 'is' : 'are'} behind their latest release.**`,
    '',
    '| what | pinned in | pinned | latest | status | Renovate |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    ...(notes.length > 0 ? ['', ...notes] : []),
    '',
    `Latest releases from ${registries.map((registry) => `<${registry}>`).join(', ')}; release tags only, as renovate.json counts them.`,
    '',
    '### Renovate and this issue',
    '',
    `Renovate proposes each of these bumps as a pull request, grouped as the table says${limits}. ` +
      'Nothing reminds anyone of a bump that does not land: a PR closed without merging (Renovate then does not propose that update again), ' +
      'a PR left open or blocked by failing checks, a release still inside the waiting time, an update waiting for approval on the Dependency Dashboard. ' +
      'This issue lists every pin that is behind, whatever became of its PR, until it is current; ' +
      'the scheduled check (`.github/workflows/check-updates.yml`) updates it and closes it when all pins are current.',
    '',
    STAMP_MARKER,
    `Written by ${by(report)}; a later check that finds the same leaves the issue as it is.`,
  ].join('\n');
}

/** Whether two bodies list the same, whichever check wrote them (GitHub may hand edited bodies back with CRLF). */
export function sameListing(a: string, b: string): boolean {
  const listing = (body: string) => body.replaceAll('\r\n', '\n').split(STAMP_MARKER)[0]!.trimEnd();
  return listing(a) === listing(b);
}

export function closingComment(report: UpdatesIssueReport): string {
  return `All ${report.results.length} pinned versions are current as of ${by(report)}: closing. The next check that finds one behind opens a new issue.`;
}
