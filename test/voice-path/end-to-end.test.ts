import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSettled } from '../../services/mcp-server/test/helpers/mcp.ts';
import { epochNow, HumanBrowser, ONSET_THRESHOLD, startBot, type EnergyTimeline, type Human } from '../../services/jitsi-agent-bridge/test/helpers/browser-harness.ts';
import { startStandinJitsi, type StandinJitsi } from '../../services/jitsi-agent-bridge/test/standin-jitsi/server.ts';
import { speechWav, type TestWav } from '../../services/jitsi-agent-bridge/test/standin-jitsi/test-audio.ts';
import type { BrowserRoomJoiner } from '../../services/jitsi-agent-bridge/src/browser/index.ts';
import { consoleCall, signedInCookie } from '../../services/frontend/test/helpers/console-client.ts';
import { JWT_APP_SECRET } from '../../services/frontend/test/helpers/config.ts';
import { startConsoleStack, type ConsoleStack } from '../../services/frontend/test/helpers/console-stack.ts';
import { VOICE_AGENT_GRAPH } from '../helpers/tenapp.ts';

/**
 * The whole voice path on one machine, every piece real but the ones that cannot run here:
 * a person speaks in a room (Chromium, a WAV as the microphone) → WebRTC → the bridge's bot page
 * (Chromium, through the stand-in for Jitsi) → the bridge → a TEN session of our generated graph
 * (the fake TEN agent) → a tool call over legacy SSE through the real MCP server to the fake
 * Pipedream → the answer spoken back through the bridge, heard in the person's page. The console
 * started the agent, so its history has the session; the MCP server's audit log has the call.
 */

const QUESTION = 'Where is my order S dash one?';
const ANSWER = 'Your order is in transit.';
const ROOM = `voice-path-${Date.now().toString(36)}`;
const USER = { sub: 'voice-path-ada', name: 'Ada', email: 'ada@example.com' };

let speech: TestWav;
let standin: StandinJitsi;
let joiner: BrowserRoomJoiner;
let stack: ConsoleStack;
let humans: HumanBrowser;
let human: Human;
let history: Pool;
let cookie: string;

beforeAll(async () => {
  // A long tail: one question, then silence while the agent answers.
  speech = await speechWav(QUESTION, { leadMs: 800, tailMs: 8000 });
  // Prosody and the bridge share JWT_APP_SECRET, as every rendering gives it to both.
  standin = await startStandinJitsi({ secret: JWT_APP_SECRET });
  joiner = await startBot(standin);
  stack = await startConsoleStack({
    roomJoiner: joiner,
    agentUsesMcp: true,
    bridgeEnv: { JITSI_URL: standin.url, JITSI_XMPP_DOMAIN: standin.xmppDomain, JITSI_MUC_DOMAIN: standin.mucDomain },
    ten: { script: { transcripts: [QUESTION], answers: [ANSWER], toolCall: { name: 'lookup_order', arguments: { order_id: 'S-1' } }, voice: 'espeak-ng' } },
  });
  stack.pipedream.setWorkflow('lookup-order', { body: { status: 'in transit' } });
  humans = await HumanBrowser.launch(standin, { wav: speech.path });
  history = new Pool({ connectionString: stack.databaseUrl });
  cookie = await signedInCookie(stack.redisUrl, USER);
}, 180_000);

afterAll(async () => {
  await history?.end();
  await humans?.close();
  // The stack's bridge closes the joiner it was given.
  await stack?.close();
  await standin?.close();
  await speech?.remove();
});

async function sessionRows(): Promise<Array<{ user_sub: string; graph: string; stopped: boolean; stop_reason: string | null }>> {
  const { rows } = await history.query('SELECT user_sub, graph, stopped_at IS NOT NULL AS stopped, stop_reason FROM console_agent_sessions WHERE room = $1', [ROOM]);
  return rows;
}

describe('the voice path: a person in a Jitsi room talks to the agent, which calls a tool', () => {
  it('hears the question, calls the tool through the MCP server, and the person hears the answer', async () => {
    human = await humans.join({ room: ROOM, name: 'Ada' });

    const started = await consoleCall(stack.url, '/api/agent/start', { cookie, body: { room: ROOM }, timeoutMs: 90_000 });
    expect(started.status, await started.clone().text()).toBe(200);
    expect(await started.json()).toMatchObject({ room: ROOM, running: true, agent: { state: 'active', participants: [{ displayName: 'Ada' }] } });
    // The bot is a participant of the room as people see it, with P2P off and no video.
    const members = await standin.waitForMembers(ROOM, (list) => list.some((member) => member.present && member.userName === 'AI agent'));
    const bot = members.find((member) => member.userName === 'AI agent');
    expect(bot?.p2pEnabled).toBe(false);

    const worker = stack.ten.workers.get(ROOM);
    if (worker === undefined) throw new Error(`no TEN session for ${ROOM}; sessions: ${[...stack.ten.workers.keys()].join(', ')}`);
    // The person's speech reached the session's STT as audio.
    await worker.waitFor('speech_onset', undefined, 30_000);
    await worker.waitFor('utterance', (event) => event.text === QUESTION, 30_000);

    const called = await worker.waitFor('tool_called', undefined, 30_000);
    expect(called).toMatchObject({ name: 'lookup_order', arguments: { order_id: 'S-1' } });
    expect(called.result).toMatchObject({ structuredContent: { status: 'in transit' } });
    expect(stack.pipedream.requestsTo('/workflows/lookup-order')).toHaveLength(1);

    // The answer, spoken by the session's TTS, is heard in the person's page.
    await worker.waitFor('speech_started', (event) => event.text.includes('in transit'), 30_000);
    const spokenAt = epochNow();
    await worker.waitFor('speech_finished', (event) => event.text.includes('in transit'), 30_000);
    const finishedAt = epochNow();
    const deadline = Date.now() + 5_000;
    let heardAnswer: EnergyTimeline = [];
    while (heardAnswer.length < 10 && Date.now() < deadline) {
      heardAnswer = (await human.heard('AI agent')).filter(([at, level]) => at >= spokenAt && at <= finishedAt + 1_000 && level >= ONSET_THRESHOLD);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // At least 10 meter readings (the meter's period is about 20 ms) of the answer's voice.
    expect(heardAnswer.length, `Ada heard ${heardAnswer.length} loud readings from the agent while it said the answer`).toBeGreaterThanOrEqual(10);

    // The tool call's audit row (caller ten-agent, over legacy SSE) and the console's session row.
    await auditSettled(stack.mcp.mcp);
    const { rows: audit } = await stack.mcp.pool.query("SELECT tool, caller, transport, outcome FROM mcp_tool_calls WHERE tool = 'lookup_order'");
    expect(audit).toEqual([{ tool: 'lookup_order', caller: 'ten-agent', transport: 'sse', outcome: 'ok' }]);
    expect(await sessionRows()).toEqual([{ user_sub: USER.sub, graph: VOICE_AGENT_GRAPH, stopped: false, stop_reason: null }]);
  });

  it('stops the agent from the console: it leaves the room, TEN\'s session ends, history has the end', async () => {
    const stopped = await consoleCall(stack.url, '/api/agent/stop', { cookie, body: { room: ROOM }, timeoutMs: 30_000 });
    expect(stopped.status, await stopped.clone().text()).toBe(200);
    await standin.waitForMembers(ROOM, (list) => !list.some((member) => member.present && member.userName === 'AI agent'));
    expect(stack.ten.workers.has(ROOM)).toBe(false);
    expect(stack.ten.requests.some((request) => request.path === '/stop' && (request.body as { channel_name?: string }).channel_name === ROOM)).toBe(true);
    expect(await sessionRows()).toEqual([{ user_sub: USER.sub, graph: VOICE_AGENT_GRAPH, stopped: true, stop_reason: 'stopped' }]);
    await human.leave();
  });
});
