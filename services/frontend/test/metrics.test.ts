import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/free-port.ts';
import { contractProblems, defaultMetricNames, documentedSeries, sampleValue } from '../../../test/helpers/metrics-contract.ts';
import { consoleCall } from './helpers/console-client.ts';
import { startConsoleStack, type ConsoleStack } from './helpers/console-stack.ts';
import { browserSignIn, CookieJar } from './helpers/http-sign-in.ts';
import { waitUntil } from '../../jitsi-agent-bridge/test/helpers/wait.ts';

/**
 * The console's metrics on their private port, after a real sign-in and a real agent start:
 * every series of the README's Metrics table with its type and labels and nothing else, the
 * counts moving for what they count, and the public port serving none of it.
 */
const README = fileURLToPath(new URL('../README.md', import.meta.url));

let stack: ConsoleStack;
let metricsUrl: string;
let session: string;

beforeAll(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}`;
  stack = await startConsoleStack({ env: { METRICS_PORT: String(port) } });
  // The listener starts with the server (instrumentation.ts), not necessarily before /api/health answers.
  await waitUntil(
    'the metrics port to answer',
    () => fetch(`${metricsUrl}/metrics`).then((response) => response.ok, () => false),
    30_000,
    () => stack.output(),
  );
}, 120_000);

afterAll(() => stack?.close());

async function scrape(): Promise<string> {
  const response = await fetch(`${metricsUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** Signs in through the local identity provider as a browser does; the session cookie. */
async function signIn(user: string): Promise<string> {
  const login = await consoleCall(stack.url, '/api/auth/login');
  const loginCookie = (login.headers.getSetCookie().find((cookie) => cookie.startsWith('console-login=')) ?? '').split(';')[0] ?? '';
  const { callback } = await browserSignIn(new URL(login.headers.get('location') ?? stack.url), stack.oidc.issuer, user, new CookieJar());
  const done = await consoleCall(stack.url, `/api/auth/callback${callback.search}`, { cookie: loginCookie });
  expect(done.status).toBe(303);
  return (done.headers.getSetCookie().find((cookie) => cookie.startsWith('console-session=')) ?? '').split(';')[0] ?? '';
}

describe('the console metrics', () => {
  it('count sign-ins by outcome', async () => {
    const before = await scrape();
    session = await signIn('ada');
    // A callback without its login cookie: started in another browser.
    const stray = await consoleCall(stack.url, '/api/auth/callback?code=abc&state=xyz');
    expect(stray.headers.get('location')).toMatch(/signin_error=/);
    const code = new URL(stray.headers.get('location')!).searchParams.get('signin_error');
    const after = await scrape();
    expect(sampleValue(after, 'console_sign_ins_total{outcome="ok"}')).toBe(sampleValue(before, 'console_sign_ins_total{outcome="ok"}') + 1);
    expect(sampleValue(after, `console_sign_ins_total{outcome="${code}"}`)).toBe(sampleValue(before, `console_sign_ins_total{outcome="${code}"}`) + 1);
  });

  it('count agent starts by outcome, and API requests by route pattern, method and status', async () => {
    const room = `metrics-${Date.now()}`;
    expect((await consoleCall(stack.url, '/api/agent/start', { cookie: session, body: { room } })).status).toBe(200);
    // Again while it runs: the console refuses it (409).
    expect((await consoleCall(stack.url, '/api/agent/start', { cookie: session, body: { room } })).status).toBe(409);
    const text = await scrape();
    expect(sampleValue(text, 'console_agent_starts_total{outcome="ok"}')).toBe(1);
    expect(sampleValue(text, 'console_agent_starts_total{outcome="conflict"}')).toBe(1);
    expect(sampleValue(text, 'console_http_requests_total{route="/api/agent/start",method="POST",status="200"}')).toBe(1);
    expect(sampleValue(text, 'console_http_requests_total{route="/api/agent/start",method="POST",status="409"}')).toBe(1);
    expect(sampleValue(text, 'console_http_request_duration_seconds_count{route="/api/agent/start",method="POST"}')).toBe(2);
    expect(text).toMatch(/^console_build_info\{version="0\.1\.0"\} 1$/m);
    expect((await consoleCall(stack.url, '/api/agent/stop', { cookie: session, body: { room } })).status).toBe(200);
  });

  it('expose exactly the series of the README, with their types and labels', async () => {
    expect(contractProblems(await scrape(), documentedSeries(README), await defaultMetricNames('console_'))).toEqual([]);
  });

  it('are served only on the metrics port, and only at GET /metrics', async () => {
    expect((await consoleCall(stack.url, '/metrics')).status).toBe(404);
    expect((await fetch(`${metricsUrl}/`)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/api/health`)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/metrics`, { method: 'POST' })).status).toBe(404);
  });
});
