import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems, defaultMetricNames, documentedSeries } from '../../../test/helpers/metrics-contract.ts';
import { buildVersion } from '../src/metrics.ts';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { connectClient, createTestDatabase, startMcpServer, TOKENS, type RunningServer } from './helpers/mcp.ts';

/**
 * The server's /metrics against its README's Metrics table, after real calls: what alerts and
 * dashboards are written from is what the server exposes.
 */
const README = fileURLToPath(new URL('../README.md', import.meta.url));

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;
let client: Client;

beforeAll(async () => {
  fake = await startFakePipedream();
  database = await createTestDatabase();
  server = await startMcpServer({ fake, databaseUrl: database.url });
  client = await connectClient(server.url, TOKENS.tenAgent);
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await fake?.close();
  await database?.drop();
});

const scrape = async () => {
  const response = await fetch(`${server.url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
};

describe('the metrics', () => {
  it('expose exactly the series of the README, with their types and labels', async () => {
    fake.setWorkflow('lookup-order', { body: { status: 'shipped' } });
    await client.callTool({ name: 'lookup_order', arguments: { order_id: 'A-1001' } });
    // A refused call, so the error counter has a sample to check its labels on.
    await client.callTool({ name: 'lookup_order', arguments: {} });
    expect(contractProblems(await scrape(), documentedSeries(README), await defaultMetricNames('mcp_server_'))).toEqual([]);
  });

  it('name this server and the MCP SDK it loaded', async () => {
    // The workspace's installed copy (hoisted to the repository's node_modules), read as a file.
    const sdk = JSON.parse(readFileSync(new URL('../../../node_modules/@modelcontextprotocol/server/package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await scrape()).toMatch(new RegExp(`^mcp_server_build_info\\{version="0\\.1\\.0",mcp_sdk_version="${sdk.version.replaceAll('.', '\\.')}"\\} 1$`, 'm'));
  });

  it('report the build the deployment names in BUILD_VERSION, and the package version without it', () => {
    expect(buildVersion({ BUILD_VERSION: 'sha-0123456789ab' })).toBe('sha-0123456789ab');
    expect(buildVersion({ BUILD_VERSION: '' })).toBe('0.1.0');
    expect(buildVersion({})).toBe('0.1.0');
  });
});
