import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines, type LogLine } from '../../../../test/helpers/log-lines.ts';
import { bridgeEnv, startTestBridge, type TestBridge } from '../helpers/bridge-harness.ts';
import { GENERATED_TENAPP, startFakeTenAgent, VOICE_AGENT_ENV, type FakeTenAgent } from '../helpers/fake-ten.ts';
import { ScriptedJoiner } from '../helpers/scripted-joiner.ts';
import { SLOW_TEST_MS, waitUntil } from '../helpers/wait.ts';

/**
 * The bridge's log is the format every service we build shares (test/helpers/log-lines.ts): each
 * HTTP request has an id, given by the caller or made up, that its answer and its log lines carry;
 * each line of an agent session names its room and session.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let ten: FakeTenAgent;
let test: TestBridge;

beforeAll(async () => {
  ten = await startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env: VOICE_AGENT_ENV });
  test = await startTestBridge(new ScriptedJoiner(), await bridgeEnv(ten.url, { ROOMS_MAX: '1' }, 2));
});

afterAll(async () => {
  await test?.close();
  await ten?.close();
});

const lines = (): LogLine[] => logLines(test.logs.text, 'jitsi-agent-bridge');
/** The request's line, written once its answer is sent (so perhaps just after the client has it). */
const requestLine = (requestId: string) => waitUntil(`the request line of ${requestId}`, () => lines().find((line) => line.msg === 'request' && line['requestId'] === requestId));

describe('the bridge log', { timeout: SLOW_TEST_MS }, () => {
  it('gives a request the caller’s X-Request-Id, in its answer and on its log lines; a session’s lines name room and session', async () => {
    const started = await test.api.request<{ sessionId: string }>('POST', '/rooms/log-desk/agent', { 'x-request-id': 'console-7Hq:2/a' });
    expect(started.status).toBe(201);
    expect(started.headers.get('x-request-id')).toBe('console-7Hq:2/a');
    expect(await requestLine('console-7Hq:2/a')).toMatchObject({ level: 'info', method: 'POST', path: '/rooms/log-desk/agent', status: 201 });

    const session = lines().filter((line) => ['starting agent', 'TEN session started', 'joined room', 'agent active'].includes(line.msg));
    expect(session.map((line) => line.msg)).toEqual(['starting agent', 'TEN session started', 'joined room', 'agent active']);
    for (const line of session) {
      expect(line).toMatchObject({ room: 'log-desk', session: started.body.sessionId });
      expect(line).not.toHaveProperty('sessionId');
    }
  });

  it('makes up an id for a request without a usable one, and puts it on what the handlers log', async () => {
    // Refused: ROOMS_MAX is 1 and log-desk holds it. The handler's "start refused" line is the request's.
    for (const given of [undefined, '', 'has space', 'é', 'x'.repeat(129)]) {
      const refused = await test.api.request('POST', '/rooms/second-desk/agent', given === undefined ? {} : { 'x-request-id': given });
      expect(refused.status).toBe(503);
      const requestId = refused.headers.get('x-request-id') ?? '';
      expect(requestId).toMatch(UUID);
      expect(await requestLine(requestId)).toMatchObject({ status: 503 });
      expect(lines().find((line) => line.msg === 'start refused' && line['requestId'] === requestId)).toMatchObject({ level: 'warn', room: 'second-desk' });
    }
    const longest = await test.api.request('GET', '/rooms/log-desk/agent', { 'x-request-id': '~'.repeat(128) });
    expect(longest.headers.get('x-request-id')).toBe('~'.repeat(128));
  });

  it('answers the probes with an id too, without a log line for them', async () => {
    const health = await fetch(`${test.bridge.url}/health`, { headers: { 'x-request-id': 'probe-1' } });
    expect(health.headers.get('x-request-id')).toBe('probe-1');
    expect(lines().some((line) => line['requestId'] === 'probe-1' || line['path'] === '/health')).toBe(false);
    expect((await test.api.stop('log-desk')).status).toBe(200);
    expect(lines().find((line) => line.msg === 'agent stopped')).toMatchObject({ room: 'log-desk', session: expect.any(String) });
  });
});
