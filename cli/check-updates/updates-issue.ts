import { CliError } from '../cli-error.ts';
import type { GitHubIssues } from './github-issues.ts';
import { closingComment, sameListing, updatesIssueBody, updatesIssueTitle, type UpdatesIssueReport } from './updates-issue-body.ts';

// `check-updates --sync-issue`: one open issue, found by its label, says what is behind. Opened
// when something is behind and none is open, rewritten only when the listing changed, commented
// on and closed when everything is current.

/** The label that marks the updates issue; the only way the check finds it again. */
export const UPDATES_ISSUE_LABEL = 'updates-behind';

export type IssueAction = 'opened' | 'updated' | 'unchanged' | 'closed';

export type IssueOutcome =
  | {
      readonly action: IssueAction;
      readonly number: number;
      readonly url: string;
      /** Other open issues carrying the label, left alone. */
      readonly alsoLabelled: readonly number[];
    }
  | { readonly action: 'none' };

export async function syncUpdatesIssue(github: GitHubIssues, report: UpdatesIssueReport): Promise<IssueOutcome> {
  // The oldest, so the same one is kept however many a person opened with the label.
  const [issue, ...others] = await github.openIssuesLabelled(UPDATES_ISSUE_LABEL);
  const alsoLabelled = others.map((other) => other.number);
  const behind = report.results.some((result) => result.status === 'update available');

  if (!behind) {
    if (issue === undefined) return { action: 'none' };
    await github.comment(issue.number, closingComment(report));
    await github.update(issue.number, { state: 'closed', state_reason: 'completed' });
    return { action: 'closed', number: issue.number, url: issue.url, alsoLabelled };
  }

  const title = updatesIssueTitle(report.results);
  const body = updatesIssueBody(report);
  if (issue === undefined) {
    const created = await github.create({ title, body, labels: [UPDATES_ISSUE_LABEL] });
    if (!created.labels.includes(UPDATES_ISSUE_LABEL)) {
      // GitHub drops the labels of a new issue silently when the token may not set them; without
      // the label the next check would open another issue.
      throw new CliError(
        `GitHub opened issue #${created.number} (${created.url}) without the label ${UPDATES_ISSUE_LABEL}: the token may not label issues of ${github.repository}, ` +
          `so the next check would not find it; give the token permissions: issues: write, then add the label to #${created.number} or close it`,
      );
    }
    return { action: 'opened', number: created.number, url: created.url, alsoLabelled };
  }
  if (issue.title === title && sameListing(issue.body, body)) return { action: 'unchanged', number: issue.number, url: issue.url, alsoLabelled };
  await github.update(issue.number, { title, body });
  return { action: 'updated', number: issue.number, url: issue.url, alsoLabelled };
}

/** One line for the terminal. */
export function describeOutcome(outcome: IssueOutcome): string {
  if (outcome.action === 'none') return `issue: nothing is behind and no open issue carries the label ${UPDATES_ISSUE_LABEL}; nothing to do`;
  const what = {
    opened: `opened #${outcome.number}`,
    updated: `updated #${outcome.number}`,
    unchanged: `#${outcome.number} unchanged (it lists the same)`,
    closed: `closed #${outcome.number}: all pins are current`,
  }[outcome.action];
  const others =
    outcome.alsoLabelled.length > 0
      ? `\nnote: ${outcome.alsoLabelled.map((number) => `#${number}`).join(', ')} also carr${outcome.alsoLabelled.length === 1 ? 'ies' : 'y'} the label ${UPDATES_ISSUE_LABEL}; the check uses #${outcome.number} (the oldest) and leaves ${outcome.alsoLabelled.length === 1 ? 'it' : 'them'} alone`
      : '';
  return `issue: ${what} ${outcome.url}${others}`;
}
