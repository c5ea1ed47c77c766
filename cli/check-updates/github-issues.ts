import { z } from 'zod';
import { zodIssuePath } from '../../constructs/zod-issues.ts';
import { CliError } from '../cli-error.ts';
import { describeFetchFailure, nextLink, type Fetch } from './registries.ts';

// The few calls of GitHub's REST API the updates issue needs: list a repository's open issues by
// label, open one, edit or close it, comment on it. Authenticated with GITHUB_TOKEN, which no
// message ever shows.

export const GITHUB_API_VERSION = '2022-11-28';

/** GitHub's largest page. */
const PAGE_SIZE = 100;
/** Open issues carrying one label: a page is the normal case; stop somewhere sane. */
const MAX_PAGES = 10;

/** `owner/name`, as GitHub Actions sets GITHUB_REPOSITORY. */
const REPOSITORY_SHAPE = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\/[A-Za-z0-9._-]+$/;
/** Whitespace, quotes or control characters would end up in the Authorization header, and an error could echo it. */
const UNSAFE_TOKEN = /[\s"'\\\p{Cc}]/u;

export interface GitHubCredentials {
  /** `owner/name`. */
  readonly repository: string;
  readonly token: string;
}

/**
 * GITHUB_TOKEN and GITHUB_REPOSITORY from the environment, checked before anything is sent;
 * a CliError names what is missing or malformed, never the token.
 */
export function githubCredentialsFromEnv(env: NodeJS.ProcessEnv): GitHubCredentials {
  const token = env['GITHUB_TOKEN']?.trim() ?? '';
  if (token === '') {
    throw new CliError(
      'GITHUB_TOKEN is not set: --sync-issue needs a token that may write issues of the repository (in a workflow: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }} with permissions: issues: write)',
    );
  }
  if (UNSAFE_TOKEN.test(token)) throw new CliError('GITHUB_TOKEN contains whitespace, quotes or control characters: give the token alone');
  const repository = env['GITHUB_REPOSITORY']?.trim() ?? '';
  if (repository === '') throw new CliError('GITHUB_REPOSITORY is not set: give the repository whose issue to open or update, as owner/name (GitHub Actions sets it)');
  if (!REPOSITORY_SHAPE.test(repository)) throw new CliError(`GITHUB_REPOSITORY must be owner/name, got "${repository}"`);
  return { repository, token };
}

export interface GitHubIssue {
  readonly number: number;
  readonly title: string;
  /** Empty when the issue has none. */
  readonly body: string;
  /** The issue's page (`html_url`). */
  readonly url: string;
  readonly labels: readonly string[];
}

export interface IssueFields {
  title?: string;
  body?: string;
  state?: 'open' | 'closed';
  state_reason?: 'completed' | 'not_planned' | 'reopened';
}

export interface GitHubIssuesProps extends GitHubCredentials {
  /** Base URL of GitHub's REST API (CHECK_UPDATES_GITHUB_API, else https://api.github.com). */
  readonly apiBase: string;
  /** @default - the global fetch */
  readonly fetch?: Fetch;
  /** Per request. @default 15 s */
  readonly timeoutMs?: number;
}

const IssueAnswer = z.object({
  number: z.number().int(),
  title: z.string(),
  body: z.string().nullable().optional(),
  html_url: z.string(),
  labels: z.array(z.union([z.string(), z.object({ name: z.string() })])),
  // The issues endpoints list pull requests too; they carry this key.
  pull_request: z.unknown().optional(),
});
const CommentAnswer = z.object({ id: z.number(), html_url: z.string() });

type IssueAnswerType = z.infer<typeof IssueAnswer>;

const toIssue = (answer: IssueAnswerType): GitHubIssue => ({
  number: answer.number,
  title: answer.title,
  body: answer.body ?? '',
  url: answer.html_url,
  labels: answer.labels.map((label) => (typeof label === 'string' ? label : label.name)),
});

/** The issues of one repository. */
export class GitHubIssues {
  readonly repository: string;
  private readonly props: GitHubIssuesProps;

  constructor(props: GitHubIssuesProps) {
    this.props = props;
    this.repository = props.repository;
  }

  /** Every open issue carrying `label`, oldest first; pull requests left out. */
  async openIssuesLabelled(label: string): Promise<GitHubIssue[]> {
    const what = `listing the open issues labelled ${label}`;
    const query = new URLSearchParams({ state: 'open', labels: label, per_page: String(PAGE_SIZE) });
    let url = `${this.props.apiBase}/repos/${this.repository}/issues?${query}`;
    const issues: GitHubIssue[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const { json, response } = await this.call('GET', url, what);
      const list = this.parse(z.array(IssueAnswer), json, 'GET', url, what, 'a list of issues');
      issues.push(...list.filter((item) => item.pull_request === undefined).map(toIssue));
      const next = nextLink(response.headers.get('link'));
      if (next === undefined) return issues.sort((a, b) => a.number - b.number);
      url = new URL(next, url).href;
      // The token goes only where the API base is.
      if (new URL(url).origin !== new URL(this.props.apiBase).origin) throw this.failure(what, 'GET', url, `its Link header points away from the API, to ${new URL(url).origin}`);
    }
    throw this.failure(what, 'GET', url, `kept paginating past ${MAX_PAGES * PAGE_SIZE} issues`);
  }

  async create(issue: { title: string; body: string; labels: string[] }): Promise<GitHubIssue> {
    const url = `${this.props.apiBase}/repos/${this.repository}/issues`;
    const what = 'opening the updates issue';
    const { json } = await this.call('POST', url, what, issue);
    return toIssue(this.parse(IssueAnswer, json, 'POST', url, what, 'an issue'));
  }

  async update(number: number, fields: IssueFields): Promise<GitHubIssue> {
    const url = `${this.props.apiBase}/repos/${this.repository}/issues/${number}`;
    const what = fields.state === 'closed' ? `closing issue #${number}` : `updating issue #${number}`;
    const { json } = await this.call('PATCH', url, what, fields);
    return toIssue(this.parse(IssueAnswer, json, 'PATCH', url, what, 'an issue'));
  }

  /** Posts a comment; returns its page. */
  async comment(number: number, body: string): Promise<string> {
    const url = `${this.props.apiBase}/repos/${this.repository}/issues/${number}/comments`;
    const what = `commenting on issue #${number}`;
    const { json } = await this.call('POST', url, what, { body });
    return this.parse(CommentAnswer, json, 'POST', url, what, 'a comment').html_url;
  }

  private async call(method: string, url: string, what: string, body?: unknown): Promise<{ json: unknown; response: Response }> {
    const timeoutMs = this.props.timeoutMs ?? 15_000;
    const fetch = this.props.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init));
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.props.token}`,
          accept: 'application/vnd.github+json',
          'x-github-api-version': GITHUB_API_VERSION,
          // GitHub refuses API requests without a User-Agent.
          'user-agent': 'voice-agent-check-updates',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        redirect: 'follow',
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw this.failure(what, method, url, describeFetchFailure(error, timeoutMs));
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) throw this.failure(what, method, url, `answered HTTP ${response.status}${this.githubMessage(json)}${this.hint(response, method)}`);
    if (json === undefined) throw this.failure(what, method, url, `answered HTTP ${response.status} with something that is not JSON`);
    return { json, response };
  }

  private parse<T>(schema: z.ZodType<T>, json: unknown, method: string, url: string, what: string, expected: string): T {
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw this.failure(what, method, url, `answered with something that is not ${expected} (at ${zodIssuePath(parsed.error.issues[0]) ?? 'the top level'})`);
    return parsed.data;
  }

  /** `: <message> (<field> <code>; …)` from GitHub's error body, on one line, the token cut out. */
  private githubMessage(json: unknown): string {
    const parsed = z
      .object({
        message: z.string().optional(),
        errors: z.array(z.union([z.string(), z.object({ resource: z.string().optional(), field: z.string().optional(), code: z.string().optional(), message: z.string().optional() })])).optional(),
      })
      .safeParse(json);
    if (!parsed.success) return '';
    const details = (parsed.data.errors ?? []).map((error) =>
      typeof error === 'string' ? error : error.message ?? [error.resource, error.field].filter(Boolean).join('.') + (error.code !== undefined ? ` ${error.code}` : ''),
    );
    const text = [parsed.data.message ?? '', details.length > 0 ? `(${details.join('; ')})` : ''].filter(Boolean).join(' ').replace(/\s+/g, ' ').trim();
    const redacted = text.replaceAll(this.props.token, '<token>');
    return redacted === '' ? '' : `: ${redacted.length > 300 ? `${redacted.slice(0, 300)}…` : redacted}`;
  }

  /** What to do about a refusal, by status. */
  private hint(response: Response, method: string): string {
    const repository = this.repository;
    switch (response.status) {
      case 401:
        return '; GITHUB_TOKEN is not a valid, current GitHub token';
      case 403:
      case 429: {
        if (response.headers.get('x-ratelimit-remaining') === '0') {
          const reset = Number(response.headers.get('x-ratelimit-reset'));
          return `; GITHUB_TOKEN's rate limit is used up${Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : ''}`;
        }
        const retry = response.headers.get('retry-after');
        if (retry !== null) return `; GitHub's secondary rate limit: retry after ${retry} s`;
        return method === 'GET'
          ? `; GITHUB_TOKEN may not read the issues of ${repository}`
          : `; GITHUB_TOKEN may not write the issues of ${repository}: the workflow job needs "permissions: issues: write"`;
      }
      case 404:
        return `; GitHub shows GITHUB_TOKEN no such repository or issue: check GITHUB_REPOSITORY (${repository})`;
      case 410:
        return `; issues are turned off for ${repository} (Settings, General, Features: Issues)`;
      case 422:
        return '; GitHub refused the fields of the request';
      default:
        return '';
    }
  }

  private failure(what: string, method: string, url: string, problem: string): CliError {
    return new CliError(`GitHub API (${this.props.apiBase}): ${what}: ${method} ${new URL(url).pathname}: ${problem}`.replaceAll(this.props.token, '<token>'));
  }
}
