import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { startFakePipedream, type FakePipedream } from '../../services/mcp-server/test/fakes/fake-pipedream.ts';
import { auditSettled, createTestDatabase, startMcpServer, testCatalog, TOKENS, type RunningServer } from '../../services/mcp-server/test/helpers/mcp.ts';
import { startFakeTenAgent, synthesize, TenWebsocketClient, type FakeTenAgent } from '../fakes/ten-agent/index.ts';
import { freePort } from '../helpers/free-port.ts';
import { GENERATED_TENAPP, VOICE_AGENT_ENV, VOICE_AGENT_GRAPH } from '../helpers/tenapp.ts';

/**
 * A voice session of our generated graph uses the real MCP server's tools: mcp_client connects
 * over the legacy SSE transport with the ten-agent token in the URL, lists the catalog, registers
 * the tools with main_control, and a tool call made for the user's question lands in the audit log.
 */

const QUESTION = 'Where is my order S dash one?';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pipedream: FakePipedream;
let mcp: RunningServer;
let ten: FakeTenAgent;
let sseUrl: string;

/**
 * MCP_SERVER_URL as synth renders it for the agent (constructs/mcp-server.ts `sseUrl`), read from
 * the development Compose file, with this test's server and the ten-agent token put in.
 */
function renderedSseUrl(server: RunningServer): string {
  const compose = parse(readFileSync(join(REPO_ROOT, 'dist/compose/development/compose.yaml'), 'utf8')) as { services: Record<string, { environment: Record<string, string> }> };
  const rendered = compose.services['ten-agent-0']?.environment['MCP_SERVER_URL'] ?? '';
  const match = /^http:\/\/mcp-server:8080(\/sse\/)\$\{MCP_TEN_AGENT_TOKEN:\?[^}]*\}$/.exec(rendered);
  if (match === null) throw new Error(`the rendered MCP_SERVER_URL of ten-agent is not the legacy SSE URL with the token secret in its path: ${rendered}`);
  return `${server.url}${match[1]}${TOKENS.tenAgent}`;
}

beforeAll(async () => {
  database = await createTestDatabase();
  pipedream = await startFakePipedream();
  pipedream.setWorkflow('lookup-order', { body: { status: 'in transit' } });
  mcp = await startMcpServer({ fake: pipedream, databaseUrl: database.url });
  sseUrl = renderedSseUrl(mcp);
  ten = await startFakeTenAgent({
    tenappDir: GENERATED_TENAPP,
    env: { ...VOICE_AGENT_ENV, MCP_SERVER_URL: sseUrl },
    script: {
      transcripts: [QUESTION],
      answers: ['Your order is in transit.'],
      toolCall: { name: 'lookup_order', arguments: { order_id: 'S-1' } },
    },
  });
});

afterAll(async () => {
  await ten?.close();
  await mcp?.close();
  await pipedream?.close();
  await database?.drop();
});

describe('the MCP server\'s tools in a session of the generated graph', () => {
  it('lists the catalog over legacy SSE, registers it with main_control, and calls a tool with an audit row', async () => {
    const port = await freePort();
    const start = await fetch(`${ten.url}/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel_name: 'mcp-room', graph_name: VOICE_AGENT_GRAPH, properties: { websocket_server: { port } } }),
    });
    expect(await start.json()).toMatchObject({ code: '0' });
    const worker = ten.workers.get('mcp-room')!;

    const catalog = testCatalog(pipedream).tools.map((tool) => tool.name).sort();
    expect(await worker.waitFor('mcp_connected')).toEqual({ type: 'mcp_connected', url: sseUrl });
    const listed = await worker.waitFor('tools_listed');
    expect(listed.tools.map((tool) => tool.name).sort()).toEqual(catalog);
    expect(listed.tools.find((tool) => tool.name === 'lookup_order')?.inputSchema).toMatchObject({ required: ['order_id'] });
    for (const name of catalog) await worker.waitFor('tool_registered', (event) => event.tool === name && event.source === 'mcp_client');
    // The MCP server holds the agent's stream.
    expect(mcp.mcp.legacySse.size).toBe(1);

    const client = await TenWebsocketClient.connect(`ws://127.0.0.1:${port}`);
    client.startMicrophone();
    await client.say(await synthesize(QUESTION));
    const request = await worker.waitFor('llm_request', (event) => event.utterance === 1);
    expect([...request.tools].sort()).toEqual(catalog);
    const called = await worker.waitFor('tool_called', undefined, 15_000);
    expect(called).toMatchObject({ name: 'lookup_order', arguments: { order_id: 'S-1' } });
    expect(called.result).toMatchObject({ structuredContent: { status: 'in transit' } });
    expect((called.result as { isError?: boolean }).isError ?? false).toBe(false);
    await worker.waitFor('llm_answer', (event) => event.text === 'Your order is in transit.');
    expect(pipedream.requestsTo('/workflows/lookup-order')).toHaveLength(1);

    await auditSettled(mcp.mcp);
    const { rows } = await mcp.pool.query("SELECT tool, caller, transport, outcome, argument_names FROM mcp_tool_calls WHERE tool = 'lookup_order'");
    expect(rows).toEqual([{ tool: 'lookup_order', caller: 'ten-agent', transport: 'sse', outcome: 'ok', argument_names: 'order_id' }]);
    await client.close();
  });
});
