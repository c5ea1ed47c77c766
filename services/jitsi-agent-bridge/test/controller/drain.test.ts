import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config.ts';
import { bridgeEnv, startTestBridge, type TestBridge } from '../helpers/bridge-harness.ts';
import { GENERATED_TENAPP, startFakeTenAgent, VOICE_AGENT_ENV, type FakeTenAgent } from '../helpers/fake-ten.ts';
import { useControllerFixture } from '../helpers/controller-fixture.ts';
import { startBridgeProcess } from '../helpers/bridge-process.ts';
import { ScriptedJoiner } from '../helpers/scripted-joiner.ts';
import { SLOW_TEST_MS } from '../helpers/wait.ts';

/**
 * Shutdown: the drain in-process (no new rooms, /ready 503, running rooms end by themselves or
 * are stopped within the limit), and SIGTERM to a real bridge process ending in exit 0.
 */

const fixture = useControllerFixture();
const { bridges, extraTens } = fixture;

async function bridge(agent: FakeTenAgent, joiner: ScriptedJoiner, overrides: ConfigInput = {}): Promise<TestBridge> {
  const test = await startTestBridge(joiner, await bridgeEnv(agent.url, overrides, 3));
  bridges.push(test);
  return test;
}

const stopsOf = (agent: FakeTenAgent) => agent.requests.filter((request) => request.path === '/stop').map((request) => (request.body as { channel_name: string }).channel_name);

describe('the drain', { timeout: SLOW_TEST_MS }, () => {
  it('takes no new rooms and turns /ready 503, while running rooms go on until they end by themselves', async () => {
    const joiner = new ScriptedJoiner();
    const test = await bridge(fixture.ten, joiner, { EMPTY_ROOM_GRACE_SECONDS: '0.5' });
    expect((await test.api.start('long-meeting')).status).toBe(201);
    const draining = test.bridge.drain(60_000);

    const ready = await fetch(`${test.bridge.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not ready', reason: 'draining for shutdown', replica: hostname(), capacity: { roomsMax: 12, rooms: 1, accepting: false, draining: true } });
    const refused = await test.api.start('new-meeting');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('15');
    expect(refused.body).toEqual({ error: 'the bridge is draining for shutdown and takes no new rooms; try another replica' });
    // The meeting goes on, and its idempotent start still answers.
    expect((await test.api.state('long-meeting')).body.state).toBe('active');
    expect((await test.api.start('long-meeting')).status).toBe(200);

    // Its people leave: the grace passes and the room ends, which ends the drain.
    joiner.room('long-meeting')!.setPeople([]);
    expect(await draining).toEqual({ drained: true, stoppedByDrain: 0, left: 0 });
    expect(stopsOf(fixture.ten)).toEqual(['long-meeting']);
    expect((await test.api.state('long-meeting')).body.state).toBe('stopped');
    expect(fixture.ten.requests.filter((request) => request.path === '/start')).toHaveLength(1);
  });

  it('stops the rooms still running before the limit runs out', async () => {
    const joiner = new ScriptedJoiner();
    const test = await bridge(fixture.ten, joiner);
    expect((await test.api.start('meeting-one')).status).toBe(201);
    expect((await test.api.start('meeting-two')).status).toBe(201);
    const workers = [fixture.ten.workers.get('meeting-one')!, fixture.ten.workers.get('meeting-two')!];
    // 6 s: the rooms run for 1 s, then 5 s are left for stopping them.
    const result = await test.bridge.drain(6_000);
    expect(result).toEqual({ drained: true, stoppedByDrain: 2, left: 0 });
    expect(stopsOf(fixture.ten).sort()).toEqual(['meeting-one', 'meeting-two']);
    await Promise.all(workers.map((worker) => worker.exited));
    expect(joiner.joinedRooms()).toEqual([]);
    for (const room of ['meeting-one', 'meeting-two']) expect((await test.api.state(room)).body).toMatchObject({ state: 'stopped', lastError: null });
  });

  it('says it did not drain when a room is still ending at the limit', async () => {
    // A wedged worker: TEN's /stop waits 2 s for it before SIGKILL.
    const wedged = await startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env: VOICE_AGENT_ENV, script: { ignoreSigterm: true } });
    extraTens.push(wedged);
    const test = await bridge(wedged, new ScriptedJoiner());
    expect((await test.api.start('wedged-room')).status).toBe(201);
    expect(await test.bridge.drain(1_000)).toEqual({ drained: false, stoppedByDrain: 1, left: 1 });
    expect(test.logs.lines.some((line) => line['msg'] === 'drain limit passed with rooms still ending')).toBe(true);
  });
});

describe('SIGTERM', { timeout: SLOW_TEST_MS }, () => {
  it('drains a real bridge process: the running room is stopped on TEN and the process exits 0', async () => {
    const env = await bridgeEnv(fixture.ten.url, { DRAIN_TIMEOUT_SECONDS: '6', LOG_LEVEL: 'info' });
    const { child, api, lines, stderr, exited, kill } = await startBridgeProcess(env);
    try {
      expect((await api.start('signal-room')).status).toBe(201);
      const worker = fixture.ten.workers.get('signal-room')!;

      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(stopsOf(fixture.ten)).toEqual(['signal-room']);
      await worker.exited;
      const messages = lines.map((line) => line['msg']);
      expect(messages).toEqual(expect.arrayContaining(['shutting down: draining rooms', 'draining', 'stopping agent', 'TEN session stopped', 'agent stopped', 'drained', 'bridge closed', 'exiting']));
      expect(messages.indexOf('drained')).toBeGreaterThan(messages.indexOf('agent stopped'));
      expect(lines.find((line) => line['msg'] === 'exiting')).toMatchObject({ exitCode: 0 });
      expect(stderr).toEqual([]);
    } finally {
      kill();
    }
  });

  it('exits 1 naming the variable when the configuration is wrong', async () => {
    const entry = fileURLToPath(new URL('../helpers/bridge-entry.ts', import.meta.url));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const env = await bridgeEnv(fixture.ten.url, { TEN_WORKER_PORTS: '9000-8000' });
    const child = spawn(process.execPath, ['--import', tsx, entry], { env: { PATH: process.env['PATH'], ...env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('invalid configuration: TEN_WORKER_PORTS must be a port range first-last (e.g. 8800-8809) with 1 <= first <= last <= 65535');
  });
});
