import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines } from '../../../test/helpers/log-lines.ts';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { auditSettled, connectClient, createTestDatabase, startMcpServer, TOKENS, WORKFLOW_TOKEN, type RunningServer } from './helpers/mcp.ts';

/**
 * What the MCP server writes is the log format every service we build shares (test/helpers/log-lines.ts):
 * checked on the lines of a real run (requests, a tool call, a refused caller), whatever they say.
 */

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;

beforeAll(async () => {
  fake = await startFakePipedream();
  database = await createTestDatabase();
  server = await startMcpServer({ fake, databaseUrl: database.url });
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
  await database?.drop();
});

describe('the MCP server log', () => {
  it('is one JSON object per line with time (ISO 8601), level (its name) and service', async () => {
    fake.setWorkflow('lookup-order', { body: { status: 'shipped' } });
    const client = await connectClient(server.url, TOKENS.console, { 'x-end-user-id': 'user-42' });
    try {
      await client.listTools();
      await client.callTool({ name: 'lookup_order', arguments: { order_id: 'A-1001' } });
    } finally {
      await client.close();
    }
    await fetch(`${server.url}/mcp`, { method: 'POST', headers: { authorization: 'Bearer not-a-token-of-ours', 'content-type': 'application/json' }, body: '{}' });
    await auditSettled(server.mcp);

    const lines = logLines(server.logs, 'mcp-server');
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.find((line) => line.msg === 'tool call')).toMatchObject({ level: 'info', service: 'mcp-server', tool: 'lookup_order', outcome: 'ok', requestId: expect.any(String) });
    // Every request line carries its request id.
    const requestLines = lines.filter((line) => line.msg === 'request completed');
    expect(requestLines.length).toBeGreaterThan(0);
    for (const line of requestLines) expect(line['requestId']).toEqual(expect.any(String));
    const text = server.logs.join('');
    for (const secret of [TOKENS.console, TOKENS.tenAgent, WORKFLOW_TOKEN, fake.clientSecret]) expect(text).not.toContain(secret);
  });
});
