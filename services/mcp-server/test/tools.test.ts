import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { auditSettled, connectClient, createTestDatabase, startMcpServer, TOKENS, WORKFLOW_TOKEN, type RunningServer } from './helpers/mcp.ts';

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;
let tenAgent: Client;
let console_: Client;

async function auditRows(tool: string) {
  await auditSettled(server.mcp);
  const { rows } = await server.pool.query('SELECT * FROM mcp_tool_calls WHERE tool = $1 ORDER BY called_at', [tool]);
  return rows as Array<Record<string, unknown>>;
}

function text(result: unknown): string {
  return (result as { content: Array<{ text?: string }> }).content[0]?.text ?? '';
}

beforeAll(async () => {
  fake = await startFakePipedream();
  database = await createTestDatabase();
  server = await startMcpServer({ fake, databaseUrl: database.url });
  tenAgent = await connectClient(server.url, TOKENS.tenAgent);
  console_ = await connectClient(server.url, TOKENS.console, { 'x-end-user-id': 'user-42' });
});

afterAll(async () => {
  await Promise.allSettled([tenAgent?.close(), console_?.close()]);
  await server?.close();
  await fake?.close();
  await database?.drop();
});

describe('tools over /mcp', () => {
  it('lists exactly the catalog, with titles, schemas and annotations', async () => {
    const { tools } = await tenAgent.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['lookup_order', 'slow_report', 'flaky_service', 'send_slack_message']);
    const lookup = tools[0];
    expect(lookup?.title).toBe('Order lookup');
    expect(lookup?.inputSchema).toMatchObject({ type: 'object', required: ['order_id'] });
    expect(lookup?.annotations).toEqual({ title: 'Order lookup', openWorldHint: true, readOnlyHint: true, idempotentHint: true });
  });

  it('calls a workflow with its bearer token and the caller as external user, and returns its answer', async () => {
    fake.setWorkflow('lookup-order', { body: { status: 'shipped', eta: 'Friday' } });
    const progress: number[] = [];
    const result = await tenAgent.callTool({ name: 'lookup_order', arguments: { order_id: 'A-1001' } }, {
      onprogress: (event) => progress.push(event.progress),
    });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ status: 'shipped', eta: 'Friday' });
    expect(JSON.parse(text(result))).toEqual({ status: 'shipped', eta: 'Friday' });
    // Progress streamed over the request's SSE response.
    expect(progress).toEqual([0, 1]);
    const sent = fake.requestsTo('/workflows/lookup-order').at(-1);
    expect(sent?.method).toBe('POST');
    expect(sent?.headers.authorization).toBe(`Bearer ${WORKFLOW_TOKEN}`);
    expect(sent?.headers['x-pd-external-user-id']).toBe('ten-agent');
    expect(sent?.body).toEqual({ order_id: 'A-1001' });
    const [row] = (await auditRows('lookup_order')).slice(-1);
    expect(row).toMatchObject({ caller: 'ten-agent', end_user: 'ten-agent', transport: 'mcp', outcome: 'ok', error_class: null, argument_names: 'order_id' });
    expect(String(row?.['argument_digest'])).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    // The audit log keeps no argument values.
    expect(JSON.stringify(row)).not.toContain('A-1001');
  });

  it('runs a Connect action for the signed-in user a trusted caller names, with fixed props winning', async () => {
    fake.setAccount('user-42', 'slack', 'apn_user42');
    fake.setAction('slack-send-message', { ret: { ok: true, ts: '1700000000.1' }, summary: 'Sent to #team' });
    const result = await console_.callTool({ name: 'send_slack_message', arguments: { text: 'Standup in 5', channel: 'C0EVIL' } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ result: { ok: true, ts: '1700000000.1' }, summary: 'Sent to #team' });
    const run = fake.requestsTo(`/v1/connect/${fake.projectId}/actions/run`).at(-1);
    expect(run?.headers['x-pd-environment']).toBe('development');
    expect(run?.headers.authorization).toMatch(/^Bearer pd-access-\d+$/);
    expect(run?.body).toEqual({
      id: 'slack-send-message',
      external_user_id: 'user-42',
      configured_props: { text: 'Standup in 5', channel: 'C0TEAM', slack: { authProvisionId: 'apn_user42' } },
    });
    expect((await auditRows('send_slack_message')).at(-1)).toMatchObject({ caller: 'console', end_user: 'user-42', outcome: 'ok' });
  });

  it('ignores X-End-User-Id from callers that are not trusted to name users', async () => {
    const agentAsUser = await connectClient(server.url, TOKENS.tenAgent, { 'x-end-user-id': 'user-42' });
    fake.setAccount('ten-agent', 'slack', undefined);
    const result = await agentAsUser.callTool({ name: 'send_slack_message', arguments: { text: 'hi' } });
    await agentAsUser.close();
    // The agent acts as itself, and has no Slack account connected.
    expect(result.isError).toBe(true);
    const { connectLinkUrl, connectLinkExpiresAt, app } = result.structuredContent as { connectLinkUrl: string; connectLinkExpiresAt: string; app: string };
    expect(connectLinkUrl).toMatch(/connect\.html\?token=ctok_\d+&connectLink=true&app=slack$/);
    expect(connectLinkExpiresAt).toBe('2099-01-01T00:00:00.000Z');
    expect(app).toBe('slack');
    // The link is in the text as well, for the model to pass on, with what to do next.
    expect(text(result)).toBe(`You need to connect your slack account before I can use Slack message. Open this link to connect it, then ask me again: ${connectLinkUrl}`);
    expect(fake.requestsTo(`/v1/connect/${fake.projectId}/accounts`).at(-1)?.query.get('external_user_id')).toBe('ten-agent');
  });

  it('stops waiting at the tool timeout and says so in one sentence', async () => {
    fake.setWorkflow('slow-report', { delayMs: 1_500, body: { late: true } });
    const started = performance.now();
    const result = await tenAgent.callTool({ name: 'slow_report', arguments: {} });
    expect(performance.now() - started).toBeLessThan(1_400);
    expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'Sales report took too long to answer, so I stopped waiting.' }] });
    expect((await auditRows('slow_report')).at(-1)).toMatchObject({ outcome: 'timeout', error_class: 'timeout' });
  });

  it('turns upstream failures into a spoken sentence, without details or retries', async () => {
    fake.setWorkflow('flaky', { status: 500, body: { stack: 'Error: boom\n    at handler (/app/index.js:12:3)' } });
    const before = fake.requestsTo('/workflows/flaky').length;
    const result = await tenAgent.callTool({ name: 'flaky_service', arguments: { sku: 'X1' } });
    expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'Inventory check ran into a problem on its side; please try again later.' }] });
    expect(fake.requestsTo('/workflows/flaky').length - before).toBe(1);
    expect((await auditRows('flaky_service')).at(-1)).toMatchObject({ outcome: 'tool_error', error_class: 'upstream_500' });

    // A redirect is not followed: the workflow URL is the one the catalog allows.
    fake.setWorkflow('flaky', { status: 307, headers: { location: `${fake.url}/workflows/lookup-order` }, body: '' });
    const lookupsBefore = fake.requestsTo('/workflows/lookup-order').length;
    const redirected = await tenAgent.callTool({ name: 'flaky_service', arguments: { sku: 'X1' } });
    expect(redirected).toEqual({ isError: true, content: [{ type: 'text', text: 'Inventory check did not accept that request.' }] });
    expect(fake.requestsTo('/workflows/lookup-order').length).toBe(lookupsBefore);
    expect((await auditRows('flaky_service')).at(-1)).toMatchObject({ outcome: 'tool_error', error_class: 'upstream_307' });

    fake.setAccount('user-42', 'slack', 'apn_user42');
    fake.setAction('slack-send-message', { status: 502 });
    const runsBefore = fake.requestsTo(`/v1/connect/${fake.projectId}/actions/run`).length;
    const action = await console_.callTool({ name: 'send_slack_message', arguments: { text: 'again?' } });
    expect(text(action)).toBe('Slack message ran into a problem on its side; please try again later.');
    // A non-idempotent action is never retried.
    expect(fake.requestsTo(`/v1/connect/${fake.projectId}/actions/run`).length - runsBefore).toBe(1);
    fake.setAction('slack-send-message', {});
  });

  it('answers a workflow that never responds, and bad arguments, in plain words', async () => {
    fake.setWorkflow('flaky', { noRespond: true });
    const silent = await tenAgent.callTool({ name: 'flaky_service', arguments: {} });
    expect(text(silent)).toBe('Inventory check finished without giving me an answer.');
    const invalid = await tenAgent.callTool({ name: 'lookup_order', arguments: { order_id: 'not valid!' } });
    expect(invalid.isError).toBe(true);
    expect(text(invalid)).toMatch(/^I could not use Order lookup because arguments\/order_id must match pattern/);
    expect((await auditRows('lookup_order')).at(-1)).toMatchObject({ outcome: 'invalid_arguments' });
  });

  it('refuses tools outside the catalog', async () => {
    await expect(tenAgent.callTool({ name: 'execute_anything', arguments: { code: 'rm -rf /' } })).rejects.toThrow(/Unknown tool: execute_anything/);
  });
});

describe('POST /execute-tool', () => {
  const post = (body: unknown, token: string = TOKENS.console) =>
    fetch(`${server.url}/execute-tool`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('runs a tool on the same path, with the same audit', async () => {
    fake.setWorkflow('lookup-order', { body: { status: 'delivered' } });
    const response = await post({ tool: 'lookup_order', args: { order_id: 'B-2002' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ content: [{ type: 'text', text: '{"status":"delivered"}' }], structuredContent: { status: 'delivered' } });
    expect((await auditRows('lookup_order')).at(-1)).toMatchObject({ transport: 'rest', caller: 'console', outcome: 'ok' });
  });

  it('explains a bad request and an unknown tool', async () => {
    expect((await post({ args: {} })).status).toBe(400);
    const unknown = await post({ tool: 'nope', args: {} });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'unknown tool nope' });
    expect((await post({ tool: 'lookup_order' }, 'wrong-token-000000000000')).status).toBe(401);
  });
});
