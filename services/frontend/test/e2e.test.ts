import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_CATALOG } from '../../../constructs/secret-catalog.ts';
import { synthesize } from '../../../test/fakes/ten-agent/index.ts';
import { logLines, type LogLine } from '../../../test/helpers/log-lines.ts';
import { VOICE_AGENT_ENV } from '../../../test/helpers/tenapp.ts';
import { TOKENS, WORKFLOW_TOKEN } from '../../mcp-server/test/helpers/mcp.ts';
import { AGENT_BRIDGE_TOKEN, JWT_APP_SECRET, SESSION_SECRET } from './helpers/config.ts';
import { consoleLogLines, FRONTEND_ROOT, OIDC_CLIENT, startConsoleStack, type ConsoleStack } from './helpers/console-stack.ts';

/** Debian's Chromium; `.ci/run` installs it. Playwright cannot download browsers here. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const SCREENSHOT = join(FRONTEND_ROOT, 'test-artifacts', 'console.png');
/** The console with a live transcript of the agent in the room. */
export const TRANSCRIPT_SCREENSHOT = join(FRONTEND_ROOT, 'test-artifacts', 'console-transcript.png');
/** What Alice says in the room (spoken with espeak-ng), as the fake TEN's STT transcribes it, and the agent's answer. */
const QUESTION = 'Where is my order A-1001?';
const ANSWER = 'Your order A-1001 is on its way.';

let stack: ConsoleStack;
let browser: Browser;
let page: Page;
/** Every text body the browser received from the console, to look for secrets in. */
const bodies: string[] = [];
/** Credentials the run made: the browser's session cookie and the room JWT the console minted for it. */
const madeByTheRun: string[] = [];
/** The X-Request-Id of every answer the console gave the page, as the page saw it. */
const consoleRequestIds = new Set<string>();

beforeAll(async () => {
  stack = await startConsoleStack({ ten: { script: { transcripts: [QUESTION], answers: [ANSWER] } } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('response', (response) => {
    if (!response.url().startsWith(stack.url)) return;
    const requestId = response.headers()['x-request-id'];
    if (requestId !== undefined) consoleRequestIds.add(requestId);
    const type = response.headers()['content-type'] ?? '';
    if (/json|html|javascript|text/.test(type)) void response.text().then((text) => bodies.push(text), () => undefined);
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the voice console in a browser', () => {
  const room = `e2e-room-${Date.now().toString(36)}`;

  it('lets nobody in without signing in, then signs in through the OpenID provider', async () => {
    await page.goto(stack.url);
    await expect(page.getByRole('link', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    expect(await page.getByText('Start agent').count()).toBe(0);

    // By keyboard: the first Tab reaches the sign-in link.
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Sign in');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${stack.oidc.issuer}/interaction/**`);
    await page.fill('input[name=login]', 'ada');
    await page.click('button[type=submit]');
    await page.waitForURL(`${stack.url}/`);
    await expect(page.getByTestId('signed-in-user').textContent()).resolves.toBe('ada');
    const cookies = await page.context().cookies(stack.url);
    expect(cookies.find((cookie) => cookie.name === 'console-session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    madeByTheRun.push(cookies.find((cookie) => cookie.name === 'console-session')?.value ?? '');
  });

  it('joins a Jitsi room with a room JWT minted for this user and room', async () => {
    await page.getByLabel('Room name').fill(room);
    await page.getByRole('button', { name: 'Join' }).click();
    await page.getByTestId('jitsi-stand-in').waitFor();
    await expect(page.getByTestId('jitsi-stand-in').textContent()).resolves.toContain(`Jitsi room ${room}`);

    expect(stack.jitsi.requests.some((request) => request.path === '/external_api.js')).toBe(true);
    const calls = (await page.evaluate('window.__jitsiCalls')) as Array<{ domain: string; options: { roomName: string; jwt: string; noSSL: boolean } }>;
    expect(calls).toHaveLength(1);
    expect(calls[0]?.domain).toBe(stack.jitsi.domain);
    expect(calls[0]?.options).toMatchObject({ roomName: room, noSSL: true });
    madeByTheRun.push(calls[0]?.options.jwt ?? '');
    const { payload } = await jwtVerify(calls[0]?.options.jwt ?? '', new TextEncoder().encode(JWT_APP_SECRET), {
      issuer: 'voice-agent',
      audience: 'voice-agent',
      subject: 'meet.jitsi',
    });
    expect(payload).toMatchObject({ room, context: { user: { id: 'ada', name: 'ada', email: 'ada@example.test', moderator: true, affiliation: 'owner' } } });
    const lifetime = (payload.exp ?? 0) - Date.now() / 1000;
    expect(lifetime).toBeGreaterThan(14 * 60);
    expect(lifetime).toBeLessThanOrEqual(15 * 60);
  });

  it('brings the agent into the room through the bridge, shows live what it hears and says, and takes it out', async () => {
    await page.getByRole('button', { name: 'Start agent' }).click();
    await page.getByTestId('agent-state').getByText('in the room', { exact: true }).waitFor();
    expect(stack.ten.workers.has(room)).toBe(true);
    await expect(page.getByTestId('agent-participants').textContent()).resolves.toBe('Alice');
    await page.locator('[data-testid=transcript][data-stream=live]').waitFor({ state: 'attached' });

    // Alice speaks in the room: the bridge carries it to TEN, whose transcripts come back to the page.
    await stack.joiner.room(room)?.say(await synthesize(QUESTION));
    const transcript = page.getByTestId('transcript');
    await transcript.getByText(QUESTION, { exact: true }).waitFor();
    await transcript.getByText(ANSWER, { exact: true }).waitFor();
    // The STT's interim line was replaced by its final one, not repeated.
    await expect(transcript.locator('li.user').allTextContents()).resolves.toEqual([`Heard: ${QUESTION}`]);
    await expect(page.getByTestId('agent-last-heard').textContent()).resolves.toBe(QUESTION);
    await expect(page.getByTestId('agent-last-said').textContent()).resolves.toBe(ANSWER);
    mkdirSync(join(FRONTEND_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: TRANSCRIPT_SCREENSHOT, fullPage: true });

    await page.getByRole('button', { name: 'Stop agent' }).click();
    await page.getByTestId('agent-state').getByText('not in the room', { exact: true }).waitFor();
    expect(stack.ten.workers.has(room)).toBe(false);
    // What it heard and said stays on the page after it left.
    await transcript.getByText(ANSWER, { exact: true }).waitFor();
  });

  it('runs a tool with a form made from its schema and shows the result', async () => {
    await page.getByLabel('Tool', { exact: true }).selectOption('lookup_order');
    await page.getByLabel('Order number').fill('A-1001');
    await page.getByRole('button', { name: 'Run tool' }).click();
    const result = page.getByTestId('tool-result');
    await result.waitFor();
    await expect(result.textContent()).resolves.toContain('A-1001');
    expect(await result.getAttribute('class')).toBe('result');
  });

  it('retries a run whose answer was lost with the same request id, so the tool runs once', async () => {
    const order = 'A-2002';
    const runs = () => stack.pipedream.requestsTo('/workflows/lookup-order').filter((request) => (request.body as { order_id?: string }).order_id === order).length;
    const keys: string[] = [];
    let lose = true;
    // The first attempt reaches the console and the tool runs, but its answer never reaches the page.
    await page.route('**/api/tools/call', async (intercepted) => {
      keys.push(intercepted.request().headers()['idempotency-key'] ?? '');
      const response = await intercepted.fetch();
      if (lose) {
        lose = false;
        await intercepted.abort('connectionreset');
      } else await intercepted.fulfill({ response });
    });
    try {
      await page.getByLabel('Order number').fill(order);
      await page.getByRole('button', { name: 'Run tool' }).click();
      await page.getByRole('alert').filter({ hasText: 'The console cannot be reached' }).waitFor();
      expect(runs()).toBe(1);
      await page.getByRole('button', { name: 'Run tool' }).click();
      await expect(page.getByTestId('tool-result').textContent()).resolves.toContain(order);
    } finally {
      await page.unroute('**/api/tools/call');
    }
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(runs()).toBe(1);
  });

  it('shows the history of agent sessions and tool calls, and saves a screenshot', async () => {
    await page.getByTestId('agent-history').getByText(room).waitFor();
    await page.getByTestId('tool-history').getByText('lookup_order').first().waitFor();
    await expect(page.getByTestId('agent-history').textContent()).resolves.toContain('(stopped)');
    mkdirSync(join(FRONTEND_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('has no serious accessibility problems, and fits a phone screen', async () => {
    await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
    // Jitsi's own page is not ours to check (here it is a stand-in anyway).
    const violations = (await page.evaluate(
      "axe.run({ exclude: [['[data-testid=jitsi-container]']] }, { runOnly: ['wcag2a', 'wcag2aa'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) })))",
    )) as Array<{ id: string; impact: string }>;
    expect(violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')).toEqual([]);

    await page.setViewportSize({ width: 390, height: 844 });
    await expect(page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).resolves.toBeLessThanOrEqual(0);
    await page.screenshot({ path: SCREENSHOT.replace('.png', '-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('never sends a secret to the browser', () => {
    expect(bodies.length).toBeGreaterThan(5);
    const everything = bodies.join('\n');
    for (const secret of [JWT_APP_SECRET, SESSION_SECRET, TOKENS.console, OIDC_CLIENT.secret, AGENT_BRIDGE_TOKEN]) expect(everything).not.toContain(secret);
  });

  it('never writes a secret to any service’s log, and every service we build logs JSON lines in the shared format', () => {
    // The value this run gave each secret of the catalog (constructs/secret-catalog.ts), or why it has none.
    const used: Record<string, readonly string[]> = {
      AGENT_BRIDGE_TOKEN: [AGENT_BRIDGE_TOKEN],
      CONSOLE_SESSION_SECRET: [SESSION_SECRET],
      JWT_APP_SECRET: [JWT_APP_SECRET],
      MCP_CONSOLE_TOKEN: [TOKENS.console, TOKENS.rotated],
      MCP_TEN_AGENT_TOKEN: [TOKENS.tenAgent],
      OIDC_CLIENT_SECRET: [OIDC_CLIENT.secret],
      PIPEDREAM_CLIENT_ID: [stack.pipedream.clientId],
      PIPEDREAM_CLIENT_SECRET: [stack.pipedream.clientSecret],
      PIPEDREAM_PROJECT_ID: [stack.pipedream.projectId],
      PIPEDREAM_WORKFLOW_TOKEN: [WORKFLOW_TOKEN],
      DATABASE_URL: [stack.databaseUrl],
      REDIS_URL: [stack.redisUrl],
      DEEPGRAM_API_KEY: [VOICE_AGENT_ENV['DEEPGRAM_API_KEY']!],
      OPENAI_API_KEY: [VOICE_AGENT_ENV['OPENAI_API_KEY']!],
      ELEVENLABS_TTS_KEY: [VOICE_AGENT_ENV['ELEVENLABS_TTS_KEY']!],
    };
    const notUsed: Record<string, string> = {
      JICOFO_AUTH_PASSWORD: 'no jicofo: the stand-in for Jitsi is a page',
      JVB_AUTH_PASSWORD: 'no video bridge',
      POSTGRES_PASSWORD: 'the shared test Postgres has no password (DATABASE_URL is checked)',
      REDIS_PASSWORD: 'the shared test Redis has no password (REDIS_URL is checked)',
    };
    expect(Object.keys({ ...used, ...notUsed }).sort(), 'every secret of the catalog is checked or said to be unused').toEqual(Object.keys(SECRET_CATALOG).sort());
    expect(madeByTheRun.filter((value) => value.length >= 16)).toHaveLength(2);

    const logs: Record<string, string> = {
      console: stack.output(),
      'jitsi-agent-bridge': stack.bridge.logs.text.join('\n'),
      'mcp-server': stack.mcp.logs.join(''),
      // The stand-in for TEN's agent server: its lines imitate TEN's own (Go's text), not ours.
      'ten-agent (fake)': stack.ten.logs.join('\n'),
    };
    for (const [service, text] of Object.entries(logs)) {
      for (const [name, values] of Object.entries(used)) for (const value of values) expect(text, `${name} in the ${service} log`).not.toContain(value);
      for (const value of madeByTheRun) expect(text, `a session cookie or room JWT in the ${service} log`).not.toContain(value);
    }

    const lines: Record<string, LogLine[]> = {
      console: consoleLogLines(logs['console']!),
      'jitsi-agent-bridge': logLines(logs['jitsi-agent-bridge']!, 'jitsi-agent-bridge'),
      'mcp-server': logLines(logs['mcp-server']!, 'mcp-server'),
    };
    for (const [service, found] of Object.entries(lines)) expect(found.length, `lines of the ${service} log`).toBeGreaterThan(3);
    // A request's lines carry its id; an agent session's lines its room and session, the same in both services.
    const started = lines['console']!.find((line) => line.msg === 'agent started' && line['room'] === room);
    expect(started).toMatchObject({ requestId: expect.any(String), session: expect.any(String) });
    for (const line of lines['jitsi-agent-bridge']!.filter((candidate) => candidate.msg === 'request')) expect(line).toHaveProperty('requestId');
    // The console's call to the bridge carries the request's id: one id finds the action in both logs.
    expect(lines['jitsi-agent-bridge']!.filter((line) => line.msg === 'request' && line['requestId'] === started?.['requestId'])).not.toHaveLength(0);
    // And its calls to the MCP server: the tool calls the page made through the console are logged
    // there under the ids the console answered the page with. Two ran (A-1001, and A-2002 once: its
    // retry got the kept outcome); the page saw the answer of the first only, the retry test made it
    // lose the other's.
    const toolCalls = lines['mcp-server']!.filter((line) => line.msg === 'tool call' && line['caller'] === 'console');
    const seen = toolCalls.filter((line) => consoleRequestIds.has(String(line['requestId'])));
    expect({ calls: toolCalls.length, seen: seen.length }).toEqual({ calls: 2, seen: 1 });
    const session = lines['jitsi-agent-bridge']!.filter((line) => line['session'] === started?.['session']);
    expect(session.map((line) => line.msg)).toEqual(expect.arrayContaining(['starting agent', 'agent active', 'agent stopped']));
    for (const line of session) expect(line['room']).toBe(room);
  });

  it('signs out at the provider too, and is locked out afterwards', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${stack.oidc.issuer}/session/end**`);
    await page.click('button[name=logout][value=yes]');
    await page.waitForURL(`${stack.url}/`);
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    const history = await page.request.get(`${stack.url}/api/history`);
    expect(history.status()).toBe(401);
    const token = await page.request.post(`${stack.url}/api/room/token`, { data: { room }, headers: { origin: stack.url } });
    expect(token.status()).toBe(401);
  });
});
