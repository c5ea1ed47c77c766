/**
 * `npm run bench:voice-tier`: the voice tier's control plane under a ramp and a rolling update.
 *
 * What runs (test/voice-tier/voice-tier.ts): 2 MCP server replicas (real), 2 TEN replicas (the
 * fake agent server under the image's real drain wrapper; one worker process per session) and 2
 * bridge replicas (the real bridge with the scripted joiner: audio frames at real time, no
 * Chromium — the browser's cost is `bench:bridge`'s), behind a proxy standing in for each
 * Service, on the real Redis and Postgres. The person in each room speaks every 3 s, and every
 * utterance makes the agent call a tool.
 *
 * Each run: ramp ROOMS rooms (two starts at a time) through the bridge Service, then roll every
 * component once (bridge, TEN, MCP server): a replacement starts, the old replica gets SIGTERM,
 * its calls end CALL_TAIL_MS later and are started again as new calls elsewhere. Reported: rooms
 * placed, start latency (median, p95), rooms dropped (target 0), tool calls failed (target 0),
 * each drain's duration, and the tier's peak memory. The baseline, in the same run: the same ramp
 * on one bridge and one TEN replica with no Redis placement (the bridge places alone).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { FakeTenScript } from '../test/fakes/ten-agent/worker/protocol.ts';
import { waitUntil } from '../services/jitsi-agent-bridge/test/helpers/wait.ts';
import { VoiceTier, type TierProcess } from '../test/voice-tier/voice-tier.ts';
import { table } from '../services/jitsi-agent-bridge/bench/table.ts';
import { machine, median, percentile } from './measure.ts';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const ROOMS = Number(process.env['BENCH_ROOMS'] ?? 12);
const CALL_TAIL_MS = 3_000;
const SCRIPT: FakeTenScript = {
  transcripts: ['Where is my order S dash one?'],
  answers: ['Your order is in transit.'],
  toolCall: { name: 'lookup_order', arguments: { order_id: 'S-1' }, utterance: 'every' },
  voice: 'chirp',
};

interface RunResult {
  readonly placed: number;
  readonly startMs: number[];
  readonly dropped: number;
  readonly toolCalls: number;
  readonly toolCallsFailed: number;
  readonly drainMs: Record<string, number>;
  readonly peakRssMiB: number;
}

/** Resident memory of the given processes and all their descendants, in MiB. */
function treeRssMiB(roots: readonly number[]): number {
  const parents = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      parents.set(Number(entry), Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]));
      rss.set(Number(entry), Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0));
    } catch {
      // Gone meanwhile.
    }
  }
  const inTree = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (inTree.has(pid) || !inTree.has(parent)) continue;
      inTree.add(pid);
      grew = true;
    }
  }
  return [...inTree].reduce((sum, pid) => sum + (rss.get(pid) ?? 0), 0) / 1024;
}

class Run {
  readonly startMs: number[] = [];
  readonly live = new Set<string>();
  dropped = 0;
  peakRssMiB = 0;
  private next = 0;
  private sampler: NodeJS.Timeout | undefined;

  constructor(
    readonly tier: VoiceTier,
    readonly label: string,
  ) {}

  watch(): void {
    this.sampler = setInterval(() => {
      this.peakRssMiB = Math.max(this.peakRssMiB, treeRssMiB(this.tier.pids()));
    }, 500);
  }

  stopWatching(): void {
    clearInterval(this.sampler);
  }

  async startRoom(): Promise<void> {
    const room = `${this.label}-${(this.next++).toString().padStart(3, '0')}`;
    const clock = performance.now();
    const answer = await this.tier.api.start(room);
    if (answer.status !== 201) throw new Error(`${room} was not placed: ${answer.status} ${JSON.stringify(answer.body)}`);
    this.startMs.push(performance.now() - clock);
    this.live.add(room);
  }

  async ramp(rooms: number): Promise<void> {
    for (let index = 0; index < rooms; index += 2) await Promise.all([this.startRoom(), ...(index + 1 < rooms ? [this.startRoom()] : [])]);
  }

  /** A call ends: anything but "stopped" means the room was dropped. */
  async end(room: string): Promise<void> {
    const answer = await this.tier.api.stop(room);
    if (answer.status !== 200 || answer.body.state !== 'stopped') this.dropped += 1;
    this.live.delete(room);
  }

  /** Rooms seen failed or lost while they should be running. */
  async checkLive(): Promise<void> {
    for (const room of [...this.live]) {
      const state = (await this.tier.api.state(room)).body.state;
      if (state !== 'active' && state !== 'starting') {
        this.dropped += 1;
        this.live.delete(room);
      }
    }
  }

  /**
   * Replaces `old`: `step.before` (a replacement that can start next to it), SIGTERM, the old
   * replica's calls end after CALL_TAIL_MS, it exits, `step.after` (a replacement that takes its
   * name), and its calls start again as new calls.
   */
  async roll(old: TierProcess, step: { before?: () => Promise<unknown>; after?: () => Promise<unknown>; held: (rooms: string[]) => Promise<string[]> }): Promise<number> {
    await step.before?.();
    const held = await step.held([...this.live]);
    old.sigterm();
    await new Promise((resolve) => setTimeout(resolve, CALL_TAIL_MS));
    await this.checkLive();
    for (const room of held) if (this.live.has(room)) await this.end(room);
    progress(`${this.label}: ${old.name} draining (${held.length} calls on it ended)`);
    const exit = await Promise.race([old.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${old.name} did not exit within its drain limit: ${old.messages().slice(-10).join(' | ')}`)), 150_000))]);
    if (exit.code !== 0) throw new Error(`${old.name} exited ${JSON.stringify(exit)}: ${old.messages().slice(-10).join(' | ')}`);
    await step.after?.();
    for (let restarted = 0; restarted < held.length; restarted += 1) await this.startRoom();
    return old.drainMs as number;
  }
}

async function ramped(label: string, options: ConstructorParameters<typeof VoiceTier>[0], tens: string[], bridges: string[]): Promise<{ tier: VoiceTier; run: Run }> {
  const tier = await new VoiceTier({ speakEveryMs: 3_000, drainSeconds: 120, ...options }).open(tens);
  const run = new Run(tier, label);
  run.watch();
  await Promise.all([tier.startMcp('mcp-1'), tier.startMcp('mcp-2')]);
  await Promise.all(tens.map((name) => tier.startTen(name, SCRIPT)));
  for (const id of bridges) await tier.startBridge(id);
  progress(`${label}: tier up, ramping ${ROOMS} rooms`);
  await run.ramp(ROOMS);
  progress(`${label}: ${run.live.size} rooms placed`);
  return { tier, run };
}

async function baseline(index: number): Promise<RunResult> {
  const { tier, run } = await ramped(`base${index}`, { seats: ROOMS, roomsMax: ROOMS, sharedPlacement: false }, ['ten-a'], ['bridge-1']);
  try {
    for (const room of [...run.live]) await run.end(room);
    return { placed: run.startMs.length, startMs: run.startMs, dropped: run.dropped, toolCalls: 0, toolCallsFailed: 0, drainMs: {}, peakRssMiB: run.peakRssMiB };
  } finally {
    run.stopWatching();
    await tier.close();
  }
}

async function tiered(index: number): Promise<RunResult> {
  const { tier, run } = await ramped(`tier${index}`, { seats: ROOMS / 2 + 1, roomsMax: ROOMS / 2 + 1 }, ['ten-a', 'ten-b'], ['bridge-1', 'bridge-2']);
  try {
    const placed = async (rooms: string[]) => [...(await tier.placements(rooms))];
    const drainMs: Record<string, number> = {};
    drainMs['bridge'] = await run.roll(tier.bridges.get('bridge-1')!, {
      before: () => tier.startBridge('bridge-3'),
      held: async (rooms) => (await placed(rooms)).filter(([, where]) => where.bridge === 'bridge-1').map(([room]) => room),
    });
    drainMs['ten'] = await run.roll(tier.ten.get('ten-a')!.process!, {
      // A TEN replica keeps its name (a StatefulSet's pod): the new one starts once the old exited.
      after: () => tier.startTen('ten-a', SCRIPT),
      held: async (rooms) => (await placed(rooms)).filter(([, where]) => where.ten === 'ten-a').map(([room]) => room),
    });
    // Which session's stream an MCP replica holds is not told apart here: every call ends once.
    drainMs['mcp'] = await run.roll(tier.mcp.get('mcp-1')!, { before: () => tier.startMcp('mcp-3'), held: async (rooms) => rooms });
    await run.checkLive();
    for (const room of [...run.live]) await run.end(room);
    const events = tier.sessionEvents();
    const calls = events.filter((event) => event['event'] === 'tool_called').length;
    // A tool call cut because its session was being stopped is the call ending, not the update.
    const failures = events.filter((event) => (event['event'] === 'tool_call_failed' || event['event'] === 'mcp_failed') && event['afterStop'] !== true);
    for (const failure of failures) progress(`${run.label}: ${String(failure['event'])} in ${String(failure['channel'])}: ${String(failure['detail'])}`);
    const failed = failures.length;
    await waitUntil('the audit rows', async () => Object.values(await tier.auditOutcomes()).reduce((sum, count) => sum + count, 0) >= calls, 20_000).catch(() => undefined);
    return { placed: run.startMs.length, startMs: run.startMs, dropped: run.dropped, toolCalls: calls, toolCallsFailed: failed, drainMs, peakRssMiB: run.peakRssMiB };
  } finally {
    run.stopWatching();
    await tier.close();
  }
}

const round = (value: number) => Math.round(value);

function progress(line: string): void {
  process.stderr.write(`  ${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

async function main(): Promise<void> {
  process.stdout.write(`bench:voice-tier on ${machine()}: ${RUNS} runs, ${ROOMS} rooms each (no Chromium: control plane and audio frames only)\n`);
  const results: Array<{ label: string; result: RunResult }> = [];
  for (let index = 0; index < RUNS; index += 1) {
    results.push({ label: `baseline ${index + 1}`, result: await baseline(index) });
    results.push({ label: `tier ${index + 1}`, result: await tiered(index) });
    process.stdout.write(`run ${index + 1} of ${RUNS} done\n`);
  }
  const rows = results.map(({ label, result }) => {
    const sorted = [...result.startMs].sort((a, b) => a - b);
    return [
      label,
      result.placed,
      round(median(sorted)),
      round(percentile(sorted, 95)),
      result.dropped,
      result.toolCalls,
      result.toolCallsFailed,
      result.drainMs['bridge'] === undefined ? '-' : (result.drainMs['bridge'] / 1000).toFixed(1),
      result.drainMs['ten'] === undefined ? '-' : (result.drainMs['ten'] / 1000).toFixed(1),
      result.drainMs['mcp'] === undefined ? '-' : (result.drainMs['mcp'] / 1000).toFixed(1),
      round(result.peakRssMiB),
    ];
  });
  process.stdout.write(`${table(['run', 'placed', 'start p50 ms', 'start p95 ms', 'dropped', 'tool calls', 'failed', 'bridge drain s', 'TEN drain s', 'MCP drain s', 'peak RSS MiB'], rows)}\n`);
  const summary = (kind: string) => {
    const chosen = results.filter(({ label }) => label.startsWith(kind)).map(({ result }) => result);
    const p95s = chosen.map((result) => percentile([...result.startMs].sort((a, b) => a - b), 95));
    const p50s = chosen.map((result) => median(result.startMs));
    return { p50: median(p50s), p95: median(p95s), dropped: chosen.reduce((sum, result) => sum + result.dropped, 0), failed: chosen.reduce((sum, result) => sum + result.toolCallsFailed, 0), rss: median(chosen.map((result) => result.peakRssMiB)) };
  };
  const base = summary('baseline');
  const tier = summary('tier');
  process.stdout.write(
    `median over runs: start p50 ${round(tier.p50)} ms (baseline ${round(base.p50)} ms), p95 ${round(tier.p95)} ms (baseline ${round(base.p95)} ms); ` +
      `peak RSS ${round(tier.rss)} MiB (baseline ${round(base.rss)} MiB)\n` +
      `rooms dropped during the updates: ${tier.dropped} (target 0); tool calls failed: ${tier.failed} (target 0)\n`,
  );
  process.exitCode = tier.dropped === 0 && tier.failed === 0 ? 0 : 1;
}

await main();
