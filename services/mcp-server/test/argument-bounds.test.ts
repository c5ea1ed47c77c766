import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { auditSettled, createTestDatabase, startMcpServer, TOKENS, type RunningServer } from './helpers/mcp.ts';

/**
 * Arguments are bounded in depth and size before a tool runs; a refused call is still an
 * `invalid_arguments` result with its audit row and its log line.
 */

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;

const HEADERS = { authorization: `Bearer ${TOKENS.console}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** `{"a":{"a":…1…}}`, `depth` objects deep, as JSON text (building it as a value and stringifying could itself overflow). */
function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

async function execute(argsJson: string): Promise<{ status: number; body: { isError?: boolean; content?: Array<{ text: string }> } }> {
  const response = await fetch(`${server.url}/execute-tool`, { method: 'POST', headers: HEADERS, body: `{"tool":"flaky_service","args":${argsJson}}` });
  return { status: response.status, body: (await response.json()) as { isError?: boolean; content?: Array<{ text: string }> } };
}

async function lastRow(): Promise<Record<string, unknown> | undefined> {
  await auditSettled(server.mcp, 5_000);
  const { rows } = await server.pool.query("SELECT outcome, error_class, argument_names FROM mcp_tool_calls WHERE tool = 'flaky_service' ORDER BY called_at DESC LIMIT 1");
  return rows[0] as Record<string, unknown> | undefined;
}

beforeAll(async () => {
  fake = await startFakePipedream();
  database = await createTestDatabase();
  server = await startMcpServer({ fake, databaseUrl: database.url, env: { ARGUMENT_MAX_BYTES: '4096' } });
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
  await database?.drop();
});

describe('argument bounds', () => {
  it('refuses arguments nested thousands of levels deep before the tool runs, with an audit row and a log line', async () => {
    const workflowCalls = fake.requestsTo('/workflows/flaky').length;
    const logLines = server.logs.length;
    const { status, body } = await execute(nested(3_000));
    expect(status).toBe(200);
    expect(body).toEqual({ isError: true, content: [{ type: 'text', text: 'I could not use Inventory check because its arguments are nested more than 32 levels deep.' }] });
    expect(fake.requestsTo('/workflows/flaky').length).toBe(workflowCalls);
    expect(await lastRow()).toEqual({ outcome: 'invalid_arguments', error_class: 'arguments_too_deep', argument_names: 'a' });
    const logged = server.logs.slice(logLines).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(expect.objectContaining({ msg: 'tool call', tool: 'flaky_service', outcome: 'invalid_arguments', errorClass: 'arguments_too_deep' }));
  });

  it('refuses deep arguments over /mcp too', async () => {
    const body = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"flaky_service","arguments":${nested(5_000)}}}`;
    const response = await fetch(`${server.url}/mcp`, { method: 'POST', headers: HEADERS, body });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: 7, result: { isError: true, content: [{ text: expect.stringContaining('nested more than 32 levels') }] } });
    expect(await lastRow()).toMatchObject({ outcome: 'invalid_arguments', error_class: 'arguments_too_deep' });
  });

  it('runs arguments exactly 32 levels deep, and refuses 33', async () => {
    const workflowCalls = fake.requestsTo('/workflows/flaky').length;
    expect((await execute(nested(32))).body.isError).toBeUndefined();
    expect(fake.requestsTo('/workflows/flaky').length).toBe(workflowCalls + 1);
    expect((await execute(nested(33))).body.isError).toBe(true);
    expect(fake.requestsTo('/workflows/flaky').length).toBe(workflowCalls + 1);
  });

  it('refuses arguments larger than ARGUMENT_MAX_BYTES, and runs smaller ones', async () => {
    const workflowCalls = fake.requestsTo('/workflows/flaky').length;
    const refused = await execute(JSON.stringify({ sku: 'x'.repeat(5_000) }));
    expect(refused.body).toEqual({ isError: true, content: [{ type: 'text', text: 'I could not use Inventory check because its arguments are larger than 4096 bytes.' }] });
    expect(await lastRow()).toEqual({ outcome: 'invalid_arguments', error_class: 'arguments_too_large', argument_names: 'sku' });
    expect((await execute(JSON.stringify({ sku: 'x'.repeat(3_000) }))).body.isError).toBeUndefined();
    expect(fake.requestsTo('/workflows/flaky').length).toBe(workflowCalls + 1);
  });
});
