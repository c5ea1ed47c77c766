import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactUrl } from '../src/logger.ts';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { createTestDatabase, startMcpServer, TOKENS, type RunningServer } from './helpers/mcp.ts';
import { rawRequest } from './helpers/raw-http.ts';

/** Tokens sent where they do not belong (query strings, odd spellings of the SSE path) never reach the log. */

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;

const SECRET = TOKENS.tenAgent;

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

function loggedUrls(): string[] {
  return server.logs.map((line) => (JSON.parse(line) as { req?: { url?: string } }).req?.url).filter((url): url is string => url !== undefined);
}

describe('URLs in the log', () => {
  it('redacts credential-looking query parameters on every route, whatever their case', async () => {
    const targets = [
      `/mcp?access_token=${SECRET}`,
      `/mcp?TOKEN=${SECRET}&page=2`,
      `/execute-tool?api_key=${SECRET}`,
      `/nowhere?X-Amz-Signature=${SECRET}&code=${SECRET}`,
      `/ready?password=${SECRET}`,
      `/sse/${SECRET}?sessionToken=${SECRET}`,
      `/mcp?clientSecret=${SECRET}#auth=${SECRET}`,
      `/mcp?a=1&Authorization=Bearer%20${SECRET}`,
    ];
    for (const path of targets) await rawRequest(server.url, { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: '{}' });
    const logs = server.logs.join('');
    expect(logs).not.toContain(SECRET);
    const urls = loggedUrls();
    expect(urls).toContain('/mcp?access_token=[redacted]');
    expect(urls).toContain('/mcp?TOKEN=[redacted]&page=2');
    expect(urls).toContain('/nowhere?X-Amz-Signature=[redacted]&code=[redacted]');
  });

  it('redacts the token of an SSE path however the path is spelled', async () => {
    const targets = [`/SSE/${SECRET}`, `//sse/${SECRET}`, `/%73se/${SECRET}`, `/messages/${SECRET}/?sessionId=1`, `http://127.0.0.1/sse/${SECRET}`, `/sse\\${SECRET}`];
    for (const path of targets) await rawRequest(server.url, { path, headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(server.logs.join('')).not.toContain(SECRET);
    expect(loggedUrls()).toContain('/SSE/[redacted]');
  });

  it('keeps the rest of the URL as it was', () => {
    expect(redactUrl('/mcp?page=2&sort=asc')).toBe('/mcp?page=2&sort=asc');
    expect(redactUrl('/messages/abc?sessionId=s-1&x=1')).toBe('/messages/[redacted]?sessionId=[redacted]&x=1');
    expect(redactUrl('/health')).toBe('/health');
  });
});
