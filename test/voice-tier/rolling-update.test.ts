import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeTenScript } from '../fakes/ten-agent/worker/protocol.ts';
import { waitUntil } from '../../services/jitsi-agent-bridge/test/helpers/wait.ts';
import { VoiceTier, type TierProcess } from './voice-tier.ts';

/**
 * A rolling update of each voice component in turn (bridge, TEN, MCP server) while rooms are
 * mid-call, every replica a process (see voice-tier.ts): the replica being replaced stops taking
 * new work and keeps what it runs until its calls end; no room drops, no tool call fails, and the
 * MCP server writes an audit row for every call.
 */

/** Every utterance makes the agent call a tool through the MCP server's legacy SSE transport. */
const SCRIPT: FakeTenScript = {
  transcripts: ['Where is my order S dash one?'],
  answers: ['Your order is in transit.'],
  toolCall: { name: 'lookup_order', arguments: { order_id: 'S-1' }, utterance: 'every' },
  voice: 'chirp',
};

const TEST_MS = 300_000;

let tier: VoiceTier;
/** Every room started, and how each one ended. */
const started = new Set<string>();
const endings = new Map<string, string>();

beforeAll(async () => {
  tier = await new VoiceTier({ seats: 4, roomsMax: 6, speakEveryMs: 2_500, drainSeconds: 120 }).open(['ten-a', 'ten-b']);
  await Promise.all([tier.startMcp('mcp-1'), tier.startMcp('mcp-2')]);
  await Promise.all([tier.startTen('ten-a', SCRIPT), tier.startTen('ten-b', SCRIPT)]);
  await Promise.all([tier.startBridge('bridge-1'), tier.startBridge('bridge-2')]);
}, 120_000);

afterAll(async () => {
  await tier?.close();
});

async function start(room: string, api = tier.api): Promise<void> {
  const answer = await api.start(room);
  expect(answer.status, `${room}: ${JSON.stringify(answer.body)}`).toBe(201);
  started.add(room);
}

/** The call ends: the console stops the agent (through any replica). */
async function end(room: string): Promise<void> {
  const answer = await tier.api.stop(room);
  expect(answer.status, `${room}: ${JSON.stringify(answer.body)}`).toBe(200);
  endings.set(room, answer.body.state);
}

const toolCalls = (room?: string) => tier.sessionEvents().filter((event) => event['event'] === 'tool_called' && (room === undefined || event['channel'] === room));

/** Waits until `room` has made another tool call than the `before` it had. */
async function anotherToolCall(room: string): Promise<void> {
  const before = toolCalls(room).length;
  await waitUntil(`a tool call in ${room}`, () => toolCalls(room).length > before, 30_000);
}

async function live(): Promise<string[]> {
  return [...started].filter((room) => !endings.has(room));
}

async function expectActive(rooms: readonly string[]): Promise<void> {
  for (const room of rooms) expect((await tier.api.state(room)).body.state, room).toBe('active');
}

async function exitedCleanly(replica: TierProcess): Promise<void> {
  expect(await replica.exited, `${replica.name}: ${replica.messages().slice(-15).join(' | ')}`).toEqual({ code: 0, signal: null });
}

describe('a rolling update of the voice tier', { timeout: TEST_MS }, () => {
  it('replaces a bridge, a TEN replica and an MCP server while rooms are mid-call without dropping a room or a tool call', async () => {
    try {
      // Four conversations, two on each bridge replica, each calling a tool on every question.
      await start('call-1', tier.bridgeApi('bridge-1'));
      await start('call-2', tier.bridgeApi('bridge-1'));
      await start('call-3', tier.bridgeApi('bridge-2'));
      await start('call-4', tier.bridgeApi('bridge-2'));
      for (const room of await live()) await anotherToolCall(room);

      // 1. The bridge: a new replica first, then the old one drains.
      await tier.startBridge('bridge-3');
      const oldBridge = tier.bridges.get('bridge-1') as TierProcess;
      oldBridge.sigterm();
      await waitUntil('the bridge service to stop routing to bridge-1', () => !tier.bridgeService.ready().includes('bridge-1'));
      await start('call-5');
      expect((await tier.placements(['call-5'])).get('call-5')?.bridge).not.toBe('bridge-1');
      // Its rooms go on, reached through the other replicas, and keep using tools.
      await anotherToolCall('call-1');
      await expectActive(['call-1', 'call-2']);
      expect(oldBridge.running).toBe(true);
      await end('call-1');
      await end('call-2');
      await exitedCleanly(oldBridge);
      tier.bridgeService.remove('bridge-1');

      // 2. A TEN replica: its drain step marks it; new sessions go to the other.
      const onTenA = [...(await tier.placements(await live()))].filter(([, placed]) => placed.ten === 'ten-a').map(([room]) => room);
      if (onTenA.length === 0) {
        // Least loaded first: fill until one lands there.
        await start('call-6');
        onTenA.push('call-6');
        expect((await tier.placements(['call-6'])).get('call-6')?.ten).toBe('ten-a');
      }
      const oldTen = tier.ten.get('ten-a')?.process as TierProcess;
      oldTen.sigterm();
      await waitUntil('ten-a to mark itself draining', async () => (await tier.redis.exists(`${tier.prefix}ten:ten-a:draining`)) === 1);
      await start('call-7');
      expect((await tier.placements(['call-7'])).get('call-7')?.ten).toBe('ten-b');
      await anotherToolCall(onTenA[0] as string);
      await expectActive(onTenA);
      expect(oldTen.running).toBe(true);
      for (const room of onTenA) await end(room);
      await exitedCleanly(oldTen);
      // The replacement takes sessions once it answers (its mark is cleared).
      await tier.startTen('ten-a', SCRIPT);
      await waitUntil('the drain mark of ten-a to be cleared', async () => (await tier.redis.exists(`${tier.prefix}ten:ten-a:draining`)) === 0);
      await start('call-8');
      expect((await tier.placements(['call-8'])).get('call-8')?.ten).toBe('ten-a');

      // 3. The MCP server: the replica holding the sessions' SSE streams drains; new streams go elsewhere.
      const streamsOn = (replica: TierProcess) => replica.lines.filter((line) => line['msg'] === 'sse session opened').length;
      const oldMcp = [...tier.mcp.values()].sort((a, b) => streamsOn(b) - streamsOn(a))[0] as TierProcess;
      expect(streamsOn(oldMcp)).toBeGreaterThan(0);
      await tier.startMcp('mcp-3');
      oldMcp.sigterm();
      await waitUntil(`the MCP service to stop routing to ${oldMcp.name}`, () => !tier.mcpService.ready().includes(oldMcp.name));
      const streamsBefore = streamsOn(oldMcp);
      for (const room of await live()) await anotherToolCall(room);
      await start('call-9');
      await anotherToolCall('call-9');
      expect(streamsOn(oldMcp)).toBe(streamsBefore);
      expect(oldMcp.running).toBe(true);
      for (const room of await live()) await end(room);
      await exitedCleanly(oldMcp);

      // No room dropped: every one ended because its call ended.
      expect([...endings.values()].every((state) => state === 'stopped'), JSON.stringify([...endings])).toBe(true);
      expect(endings.size).toBe(started.size);
      for (const replica of tier.bridges.values()) expect(replica.messages().filter((message) => message === 'agent failed' || message === 'room lease lost'), replica.name).toEqual([]);
      // No tool call failed, and every one has its audit row.
      const events = tier.sessionEvents();
      // (A tool call cut because its session was being stopped is the call ending, not the update.)
      expect(events.filter((event) => (event['event'] === 'tool_call_failed' || event['event'] === 'mcp_failed') && event['afterStop'] !== true)).toEqual([]);
      const calls = toolCalls().length;
      expect(calls).toBeGreaterThanOrEqual(started.size * 2);
      const outcomes = await waitUntil('every tool call to have its audit row', async () => {
        const found = await tier.auditOutcomes();
        return Object.values(found).reduce((sum, count) => sum + count, 0) >= calls ? found : undefined;
      });
      // Only successes. A room's last tool call can still be in flight when its call ends: the MCP
      // server finishes and audits it, but the stopped session no longer hears the answer, so there
      // may be up to one row per room more than the calls the sessions saw answered.
      expect(Object.keys(outcomes)).toEqual(['ok']);
      expect(outcomes['ok']).toBeGreaterThanOrEqual(calls);
      expect(outcomes['ok']).toBeLessThanOrEqual(calls + endings.size);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${tier.logs()}`, { cause: error });
    }
  });
});
