import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in, on 127.0.0.1, for the issue endpoints of GitHub's REST API that
 * `check-updates --sync-issue` calls, in GitHub's shapes and with GitHub's refusals:
 *
 * - `GET /repos/{owner}/{repo}/issues?state=&labels=&per_page=&page=`: open issues by default,
 *   newest first, every label of `labels` (comma-separated, any case) required; pull requests are
 *   listed too, with their `pull_request` key, as GitHub does; `per_page` (default 30, at most
 *   100, capped at `pageSize`) with a `Link` header (`next`, `last`, `prev`, `first`);
 * - `POST /repos/{owner}/{repo}/issues` `{title, body?, labels?}`: 201 and the issue; 422 without a
 *   title or with labels that are not strings (or `{name}` objects); the labels are dropped
 *   silently when `canLabel` is false, as GitHub does for a user without push access;
 * - `PATCH /repos/{owner}/{repo}/issues/{number}` `{title?, body?, state?, state_reason?}`: 200
 *   and the issue (closing sets `closed_at`, `state_reason` defaults to `completed`); 422 for
 *   another state or state_reason;
 * - `POST /repos/{owner}/{repo}/issues/{number}/comments` `{body}`: 201 and the comment; 422
 *   without a body.
 *
 * Every request needs `Authorization: Bearer <token>` (or `token <token>`) of a known token:
 * none answers 401 `Requires authentication`, an unknown one 401 `Bad credentials`; a `read`
 * token may list but its writes answer 403 `Resource not accessible by integration` (a job
 * without `issues: write`). Another repository, or an issue number nobody has, answers 404
 * `Not Found`; a body that is not JSON 400 `Problems parsing JSON`.
 *
 * Anything else is passed to `otherwise` when set (the fake registries, which serve the tag lists
 * that share CHECK_UPDATES_GITHUB_API), else 404. Every request is recorded, with its JSON body.
 */

export interface FakeGitHubIssue {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  state_reason: 'completed' | 'not_planned' | 'reopened' | null;
  labels: string[];
  /** A pull request, which the issues endpoints list too. */
  pullRequest: boolean;
  /** The bodies of its comments, in order. */
  comments: string[];
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface FakeGitHubState {
  /** `owner/name`: the one repository the fake holds. */
  repository: string;
  /** Token → what it may do with issues: `write`, or `read` (writes answer 403). */
  tokens: Record<string, 'read' | 'write'>;
  issues: FakeGitHubIssue[];
  /** False: a new issue's labels are dropped silently. */
  canLabel: boolean;
  /** Largest page the issues list serves. */
  pageSize: number;
  /** Base URL that answers every request that is not an issue endpoint. */
  otherwise?: string;
}

export interface FakeGitHubRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly authorization: string | undefined;
  readonly accept: string | undefined;
  readonly apiVersion: string | undefined;
  /** The JSON body, parsed; undefined for none. */
  readonly body: unknown;
  readonly status: number;
}

export interface FakeGitHub {
  /** Base URL for CHECK_UPDATES_GITHUB_API. */
  readonly url: string;
  readonly state: FakeGitHubState;
  readonly requests: FakeGitHubRequest[];
  close(): Promise<void>;
}

/** An issue as tests write it: the number and title, the rest defaulted (open, no labels, not a PR). */
export function fakeIssue(issue: Partial<FakeGitHubIssue> & Pick<FakeGitHubIssue, 'number' | 'title'>): FakeGitHubIssue {
  return {
    body: null,
    state: 'open',
    state_reason: null,
    labels: [],
    pullRequest: false,
    comments: [],
    created_at: new Date(Date.UTC(2026, 0, issue.number)).toISOString().replace('.000Z', 'Z'),
    updated_at: new Date(Date.UTC(2026, 0, issue.number)).toISOString().replace('.000Z', 'Z'),
    closed_at: null,
    ...issue,
  };
}

const DOCS = 'https://docs.github.com/rest/issues';
const BOT = { login: 'github-actions[bot]', id: 41898282, node_id: 'MDM6Qm90NDE4OTgyODI=', type: 'Bot', site_admin: false };

type Answer = { status: number; body: unknown; headers?: Record<string, string> };
const error = (status: number, message: string, documentation: string, extra: Record<string, unknown> = {}): Answer => ({
  status,
  body: { message, ...extra, documentation_url: documentation, status: String(status) },
});
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function startFakeGitHub(initial: Partial<FakeGitHubState> & Pick<FakeGitHubState, 'repository' | 'tokens'>): Promise<FakeGitHub> {
  const state: FakeGitHubState = { issues: [], canLabel: true, pageSize: 100, ...initial };
  const requests: FakeGitHubRequest[] = [];
  let base = '';
  let commentIds = 5_000_000;

  const issueJson = (issue: FakeGitHubIssue) => {
    const api = `${base}/repos/${state.repository}/issues/${issue.number}`;
    return {
      url: api,
      repository_url: `${base}/repos/${state.repository}`,
      labels_url: `${api}/labels{/name}`,
      comments_url: `${api}/comments`,
      events_url: `${api}/events`,
      html_url: `https://github.com/${state.repository}/${issue.pullRequest ? 'pull' : 'issues'}/${issue.number}`,
      id: 3_000_000 + issue.number,
      node_id: Buffer.from(`I_${state.repository}#${issue.number}`).toString('base64url'),
      number: issue.number,
      title: issue.title,
      user: BOT,
      labels: issue.labels.map((name, index) => ({ id: 7_000_000 + index, node_id: `LA_${name}`, url: `${base}/repos/${state.repository}/labels/${encodeURIComponent(name)}`, name, color: 'ededed', default: false, description: null })),
      state: issue.state,
      locked: false,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: issue.comments.length,
      created_at: issue.created_at,
      updated_at: issue.updated_at,
      closed_at: issue.closed_at,
      author_association: 'CONTRIBUTOR',
      active_lock_reason: null,
      ...(issue.pullRequest
        ? { draft: false, pull_request: { url: `${base}/repos/${state.repository}/pulls/${issue.number}`, html_url: `https://github.com/${state.repository}/pull/${issue.number}`, diff_url: `https://github.com/${state.repository}/pull/${issue.number}.diff`, patch_url: `https://github.com/${state.repository}/pull/${issue.number}.patch`, merged_at: null } }
        : {}),
      body: issue.body,
      state_reason: issue.state_reason,
    };
  };

  /** GitHub's label argument: names, or objects with a name. */
  const labelNames = (labels: unknown): string[] | string => {
    if (!Array.isArray(labels)) return `Invalid request.\n\nFor 'properties/labels', ${JSON.stringify(labels)} is not an array.`;
    const names: string[] = [];
    for (const label of labels) {
      if (typeof label === 'string') names.push(label);
      else if (typeof label === 'object' && label !== null && typeof (label as { name?: unknown }).name === 'string') names.push((label as { name: string }).name);
      else return `Invalid request.\n\nFor 'items', ${JSON.stringify(label)} is not a string.`;
    }
    return names;
  };

  const handle = (method: string, url: URL, authorization: string | undefined, body: unknown, bodyIsJson: boolean): Answer | undefined => {
    const issues = /^\/repos\/([^/]+)\/([^/]+)\/issues(?:\/(\d+)(\/comments)?)?$/.exec(url.pathname);
    if (!issues) return undefined;
    const token = /^(?:Bearer|token) (.+)$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) return error(401, 'Requires authentication', `${DOCS}/issues`);
    const may = state.tokens[token];
    if (may === undefined) return error(401, 'Bad credentials', 'https://docs.github.com/rest');
    if (`${issues[1]}/${issues[2]}`.toLowerCase() !== state.repository.toLowerCase()) return error(404, 'Not Found', `${DOCS}/issues`);
    if (method !== 'GET' && !bodyIsJson) return error(400, 'Problems parsing JSON', `${DOCS}/issues`);
    const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const number = issues[3] === undefined ? undefined : Number(issues[3]);
    const comments = issues[4] !== undefined;
    const refuseWrite = () => (may === 'read' ? error(403, 'Resource not accessible by integration', `${DOCS}/issues`) : undefined);

    if (number === undefined && method === 'GET') {
      const wanted = url.searchParams.get('state') ?? 'open';
      const labels = (url.searchParams.get('labels') ?? '').split(',').map((label) => label.trim().toLowerCase()).filter(Boolean);
      const all = state.issues
        .filter((issue) => wanted === 'all' || issue.state === wanted)
        .filter((issue) => labels.every((label) => issue.labels.some((own) => own.toLowerCase() === label)))
        .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.number - a.number);
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30) || 30, 100, state.pageSize);
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
      const last = Math.max(1, Math.ceil(all.length / perPage));
      const link = (to: number, rel: string) => {
        const target = new URL(url.pathname, base);
        for (const [key, value] of url.searchParams) if (key !== 'page') target.searchParams.set(key, value);
        target.searchParams.set('page', String(to));
        return `<${target.href}>; rel="${rel}"`;
      };
      const links = [...(page > 1 ? [link(page - 1, 'prev')] : []), ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []), ...(page > 1 ? [link(1, 'first')] : [])];
      return { status: 200, body: all.slice((page - 1) * perPage, page * perPage).map(issueJson), headers: links.length > 0 ? { link: links.join(', ') } : {} };
    }

    if (number === undefined && method === 'POST') {
      const refused = refuseWrite();
      if (refused) return refused;
      if (!('title' in fields)) return error(422, 'Invalid request.\n\n"title" wasn\'t supplied.', `${DOCS}/issues#create-an-issue`);
      if (typeof fields['title'] !== 'string' && typeof fields['title'] !== 'number') return error(422, `Invalid request.\n\nFor 'properties/title', ${JSON.stringify(fields['title'])} is not a string or integer.`, `${DOCS}/issues#create-an-issue`);
      if (String(fields['title']).trim() === '') return error(422, 'Validation Failed', `${DOCS}/issues#create-an-issue`, { errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }] });
      const labels = fields['labels'] === undefined ? [] : labelNames(fields['labels']);
      if (typeof labels === 'string') return error(422, labels, `${DOCS}/issues#create-an-issue`);
      if (fields['body'] !== undefined && fields['body'] !== null && typeof fields['body'] !== 'string') return error(422, `Invalid request.\n\nFor 'properties/body', ${JSON.stringify(fields['body'])} is not a string or null.`, `${DOCS}/issues#create-an-issue`);
      // Issues and pull requests share the numbers.
      const issue = fakeIssue({
        number: Math.max(0, ...state.issues.map((existing) => existing.number)) + 1,
        title: String(fields['title']),
        body: (fields['body'] as string | null | undefined) ?? null,
        labels: state.canLabel ? [...new Set(labels)] : [],
        created_at: now(),
        updated_at: now(),
      });
      state.issues.push(issue);
      return { status: 201, body: issueJson(issue), headers: { location: `${base}/repos/${state.repository}/issues/${issue.number}` } };
    }

    const issue = state.issues.find((candidate) => candidate.number === number);
    if (issue === undefined) return error(404, 'Not Found', `${DOCS}/issues`);

    if (!comments && method === 'GET') return { status: 200, body: issueJson(issue) };

    if (!comments && method === 'PATCH') {
      const refused = refuseWrite();
      if (refused) return refused;
      for (const key of ['title', 'body'] as const) {
        if (fields[key] !== undefined && fields[key] !== null && typeof fields[key] !== 'string') return error(422, `Invalid request.\n\nFor 'properties/${key}', ${JSON.stringify(fields[key])} is not a string or null.`, `${DOCS}/issues#update-an-issue`);
      }
      if (fields['state'] !== undefined && fields['state'] !== 'open' && fields['state'] !== 'closed') return error(422, 'Validation Failed', `${DOCS}/issues#update-an-issue`, { errors: [{ resource: 'Issue', code: 'invalid', field: 'state' }] });
      if (fields['state_reason'] !== undefined && fields['state_reason'] !== null && !['completed', 'not_planned', 'reopened'].includes(String(fields['state_reason']))) {
        return error(422, 'Validation Failed', `${DOCS}/issues#update-an-issue`, { errors: [{ resource: 'Issue', code: 'invalid', field: 'state_reason' }] });
      }
      if (fields['labels'] !== undefined) {
        const labels = labelNames(fields['labels']);
        if (typeof labels === 'string') return error(422, labels, `${DOCS}/issues#update-an-issue`);
        issue.labels = [...new Set(labels)];
      }
      if (typeof fields['title'] === 'string') issue.title = fields['title'];
      if (fields['body'] !== undefined) issue.body = (fields['body'] as string | null) ?? null;
      if (fields['state'] === 'closed' && issue.state === 'open') {
        issue.state = 'closed';
        issue.closed_at = now();
        issue.state_reason = (fields['state_reason'] as FakeGitHubIssue['state_reason'] | undefined) ?? 'completed';
      } else if (fields['state'] === 'open' && issue.state === 'closed') {
        issue.state = 'open';
        issue.closed_at = null;
        issue.state_reason = 'reopened';
      }
      issue.updated_at = now();
      return { status: 200, body: issueJson(issue) };
    }

    if (comments && method === 'POST') {
      const refused = refuseWrite();
      if (refused) return refused;
      if (typeof fields['body'] !== 'string') return error(422, 'Invalid request.\n\n"body" wasn\'t supplied.', `${DOCS}/comments#create-an-issue-comment`);
      issue.comments.push(fields['body']);
      issue.updated_at = now();
      const id = ++commentIds;
      return {
        status: 201,
        body: {
          id,
          node_id: `IC_${id}`,
          url: `${base}/repos/${state.repository}/issues/comments/${id}`,
          html_url: `https://github.com/${state.repository}/issues/${issue.number}#issuecomment-${id}`,
          body: fields['body'],
          user: BOT,
          created_at: now(),
          updated_at: now(),
          issue_url: `${base}/repos/${state.repository}/issues/${issue.number}`,
          author_association: 'CONTRIBUTOR',
        },
      };
    }
    return error(404, 'Not Found', `${DOCS}/issues`);
  };

  /** Another request, answered by `otherwise` as it answers it. */
  const pass = async (request: IncomingMessage, response: ServerResponse): Promise<number> => {
    const upstream = await fetch(new URL(request.url ?? '/', state.otherwise), {
      method: request.method ?? 'GET',
      headers: Object.fromEntries(['authorization', 'accept', 'user-agent', 'x-github-api-version'].flatMap((name) => (typeof request.headers[name] === 'string' ? [[name, request.headers[name]]] : []))),
    });
    const headers = Object.fromEntries([...upstream.headers].filter(([name]) => !['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)));
    response.writeHead(upstream.status, headers);
    response.end(Buffer.from(await upstream.arrayBuffer()));
    return upstream.status;
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const url = new URL(request.url ?? '/', base);
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        let bodyIsJson = true;
        if (text !== '') {
          try {
            body = JSON.parse(text);
          } catch {
            bodyIsJson = false;
          }
        }
        const answer = handle(request.method ?? 'GET', url, request.headers.authorization, body, bodyIsJson);
        let status: number;
        if (answer !== undefined) {
          response.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'x-github-api-version-selected': '2022-11-28', ...answer.headers });
          response.end(JSON.stringify(answer.body));
          status = answer.status;
        } else if (state.otherwise !== undefined) {
          status = await pass(request, response).catch(() => {
            response.writeHead(502).end();
            return 502;
          });
        } else {
          response.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
          response.end(JSON.stringify({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' }));
          status = 404;
        }
        const header = (name: string) => (typeof request.headers[name] === 'string' ? (request.headers[name] as string) : undefined);
        requests.push({
          method: request.method ?? 'GET',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          authorization: header('authorization'),
          accept: header('accept'),
          apiVersion: header('x-github-api-version'),
          body,
          status,
        });
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    state,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((closeError) => (closeError ? reject(closeError) : resolve()));
      }),
  };
}
