/**
 * `npm run bench:bridge`: the Jitsi agent bridge's latency both ways, next to a plain WebRTC
 * baseline measured in the same run, then a ramp of rooms until quality or capacity gives out.
 * Targets (2 cores, the harness on the same machine): added p95 ≤ 100 ms each way at 10 rooms
 * (moonshot ≤ 60 ms); ≥ 12 concurrent rooms, each ≥ 49.5 frames of 20 ms per second; ≤ 40 MiB
 * PSS per extra room; "at capacity" refusals before quality drops.
 *
 * Everything is real except Jitsi and TEN: the controller (startBridge, its HTTP API, TEN
 * client, websocket to TEN) with the real BrowserRoomJoiner (the bot's Chromium); the humans in a
 * Chromium of their own whose microphone is an espeak-ng WAV; real WebRTC between them through
 * the test stand-in for jitsi-web (test/standin-jitsi); a stand-in for TEN's agent server that
 * speaks its protocol (bench/ten-standin.ts). The controller, both stand-ins and this harness
 * share this Node process. It is a report: it exits 0 when a target is missed (printing MISSED),
 * 1 only when the benchmark itself fails.
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { percentile } from '../../../bench/measure.ts';
import { startBridge, type Bridge } from '../src/app.ts';
import { MIN_FRAMES_PER_SECOND } from '../src/browser/room-meters.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { BridgeApi, bridgeEnv, LogCapture } from '../test/helpers/bridge-harness.ts';
import { epochNow, HumanBrowser, ONSET_THRESHOLD, startBot, type Human } from '../test/helpers/browser-harness.ts';
import { startStandinJitsi } from '../test/standin-jitsi/server.ts';
import { AdmissionOverride } from './admission-override.ts';
import { table } from './table.ts';
import { startStandinTen } from './ten-standin.ts';
import { toneBurst, utterancesWav } from './utterances-wav.ts';
import { measureWindow, MAX_LAG_MS, type BenchRoom, type WindowContext, type WindowResult } from './window.ts';

/** The ramp's hard cap; BENCH_BRIDGE_MAX_ROOMS lowers it for a quick look. */
const HARD_CAP_ROOMS = Number(process.env['BENCH_BRIDGE_MAX_ROOMS'] ?? 20);
/**
 * BENCH_BRIDGE_PAST_CAPACITY=1: once the bridge has answered "at capacity", go on adding rooms
 * (admission overridden, see admission-override.ts) to see where frame rate and latency give out.
 * By default the ramp stops there, as the bridge would.
 */
const PAST_CAPACITY = process.env['BENCH_BRIDGE_PAST_CAPACITY'] === '1';
/** The ramp stops adding rooms once it has run this long (the whole run stays under ~8 min). */
const RAMP_BUDGET_MS = 6 * 60_000;
/** Whatever happens, the run is torn down after this. */
const WATCHDOG_MS = 9 * 60_000;
/** After a room joins: let its audio, the WebRTC jitter buffers and the meters settle. */
const SETTLE_MS = 3_000;
/** A ramp step's window; at 1 and 10 rooms a longer one, for at least 20 utterances per room. */
const STEP_WINDOW_MS = 8_000;
const LATENCY_WINDOW_MS = 28_000;
const LATENCY_ROOMS = [1, 10];
const TARGET_ADDED_P95_MS = 100;
const MOONSHOT_ADDED_P95_MS = 60;
const TARGET_ROOMS = 12;
const TARGET_PSS_PER_ROOM_MIB = 40;
const AGENT_NAME = 'AI agent';
const UTTERANCES = ['Yes.', 'Hello.', 'Okay.', 'Right.', 'Sure.'];
const UTTERANCE_GAP_MS = 700;
const ANSWER_MS = 300;

const runStarted = performance.now();
const progress = (line: string) => process.stderr.write(`[${((performance.now() - runStarted) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
const out = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything started, stopped in reverse order whatever happens (error, watchdog, Ctrl-C). */
const closers: Array<{ what: string; close: () => Promise<unknown> }> = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const { what, close } of closers.reverse()) {
      await Promise.race([close(), sleep(20_000).then(() => Promise.reject(new Error('took over 20 s')))]).catch((error: unknown) => progress(`cleanup: ${what} failed: ${(error as Error).message}`));
    }
  })();
  return cleaning;
}
const abort = (why: string, code: number) => {
  progress(`${why}: cleaning up`);
  void cleanup().finally(() => process.exit(code));
};
setTimeout(() => abort(`watchdog: the run passed ${WATCHDOG_MS / 60_000} min`, 1), WATCHDOG_MS).unref();
process.once('SIGINT', () => abort('interrupted', 130));
process.once('SIGTERM', () => abort('terminated', 143));

interface Step extends WindowResult {
  /** Measured after the bridge had refused a room (BENCH_BRIDGE_PAST_CAPACITY=1). */
  readonly pastRefusal: boolean;
  readonly elapsedMs: number;
}

async function run(): Promise<void> {
  progress('making the speech WAV (espeak-ng, sox)');
  const speech = await utterancesWav(UTTERANCES, { gapMs: UTTERANCE_GAP_MS });
  closers.push({ what: 'the WAV', close: () => speech.remove() });

  const standin = await startStandinJitsi();
  closers.push({ what: 'the stand-in jitsi-web', close: () => standin.close() });
  const tenStandin = await startStandinTen();
  closers.push({ what: 'the TEN stand-in', close: () => tenStandin.close() });

  // ROOMS_MAX and the joiner's own limit above the hard cap: here only the joiner's measured
  // health (hasCapacity) or the ramp's own limits may stop admission.
  const roomsMax = HARD_CAP_ROOMS + 1;
  const env = await bridgeEnv(
    tenStandin.url,
    {
      JITSI_URL: standin.url,
      JWT_APP_SECRET: standin.secret,
      JITSI_JWT_SUBJECT: standin.xmppDomain,
      ROOMS_MAX: String(roomsMax),
      EMPTY_ROOM_GRACE_SECONDS: '600',
      TEN_CONNECT_TIMEOUT_SECONDS: '30',
      LOG_LEVEL: 'info',
    },
    roomsMax + 1,
  );
  const config = loadConfig(env);
  const logs = new LogCapture();
  progress('starting the bot Chromium, the humans’ Chromium and the bridge');
  const [joiner, humans] = await Promise.all([startBot(standin, { roomsMax, minFreeCpuCores: config.ADMISSION_MIN_FREE_CPU }), HumanBrowser.launch(standin, { wav: speech.path })]);
  closers.push({ what: 'the bot joiner', close: () => joiner.close() }, { what: 'the humans’ Chromium', close: () => humans.close() });
  const admission = new AdmissionOverride(joiner);
  const bridge: Bridge = await startBridge({ config, joiner: admission, logger: createLogger(config.LOG_LEVEL, logs.stream) });
  // Before the humans' browser closes (pushed later = closed first): rooms end cleanly with TEN /stop.
  closers.push({ what: 'the bridge', close: () => bridge.close() });
  const api = new BridgeApi(bridge.url, config.BRIDGE_API_TOKEN);

  printMachine(humans.browser.version(), speech.durationMs);

  const speaker = await humans.join({ room: 'bench-baseline', name: 'Speaker' });
  const listener = await humans.join({ room: 'bench-baseline', name: 'Listener', microphone: false });
  const rooms: BenchRoom[] = [];
  const context: WindowContext = { rooms, speaker, listener, joiner, api, tenStandin, answer: toneBurst(ANSWER_MS), agentName: AGENT_NAME };

  // Launching both browsers and the baseline pair loads the CPU for a few seconds, and the
  // joiner judges free CPU over 5 s: let that pass before the first room, as a deployed bridge
  // has long before its first room.
  const settleDeadline = performance.now() + 20_000;
  while (!joiner.hasCapacity() && performance.now() < settleDeadline) await sleep(250);
  progress(`the joiner ${joiner.hasCapacity() ? 'takes rooms' : 'still says it is at capacity after 20 s'}; starting the ramp`);

  const steps: Step[] = [];
  const rampStarted = performance.now();
  let stopReason = `the hard cap of ${HARD_CAP_ROOMS} rooms`;
  let probe: Probe | undefined;
  let lastStepMs = 0;
  for (let count = 1; count <= HARD_CAP_ROOMS; count += 1) {
    const windowMs = LATENCY_ROOMS.includes(count) ? LATENCY_WINDOW_MS : STEP_WINDOW_MS;
    const expectedMs = lastStepMs + windowMs - STEP_WINDOW_MS;
    if (performance.now() - rampStarted + expectedMs > RAMP_BUDGET_MS) {
      stopReason = `the ramp's time bound (${RAMP_BUDGET_MS / 60_000} min)`;
      break;
    }
    const stepStarted = performance.now();
    const added = await addRoom(api, humans, tenStandin, `bench-room-${count}`);
    if (typeof added === 'string') {
      // hasCapacity() turned false between the last window and this POST: that is the answer.
      probe ??= { room: `bench-room-${count}`, hasCapacity: joiner.hasCapacity(), answer: added, afterRooms: rooms.length };
      stopReason = `the bridge refused room ${count}: ${added}`;
      break;
    }
    rooms.push(added);
    await sleep(SETTLE_MS);
    const result = await measureWindow(context, windowMs);
    const step: Step = { ...result, pastRefusal: admission.pastCapacity, elapsedMs: performance.now() - runStarted };
    steps.push(step);
    if (windowMs === STEP_WINDOW_MS) lastStepMs = performance.now() - stepStarted;
    progress(describeStep(step));
    const crossed = qualityProblems(step, steps.at(-2));
    if (crossed.length > 0) {
      stopReason = crossed.join('; ');
      break;
    }
    if (!step.hasCapacity && probe === undefined) {
      probe = await probeCapacity(api, joiner.hasCapacity(), rooms.length);
      if (!PAST_CAPACITY) {
        stopReason = "the joiner's hasCapacity() turned false";
        break;
      }
      // Measure on past the refusal (BENCH_BRIDGE_PAST_CAPACITY=1): where does quality give out?
      admission.pastCapacity = true;
    }
  }
  progress(`ramp stopped: ${stopReason}`);
  // Never refused: would the bridge take one more room now? (Its answer is the point, whatever it is.)
  probe ??= await probeCapacity(api, joiner.hasCapacity(), rooms.length);

  report(steps, { stopReason, probe });
  const warnings = logs.lines.filter((line) => ['warn', 'error', 'fatal'].includes(String(line['level'])));
  if (warnings.length > 0) {
    const kinds = [...new Set(warnings.map((line) => `${String(line['msg'])}${line['reason'] === undefined ? '' : `: ${String(line['reason'])}`}`))];
    progress(`the bridge logged ${warnings.length} warnings/errors: ${kinds.slice(0, 6).join(' | ')}`);
  }
}

/** The bridge's answer to one more room, with what the joiner said just before. */
interface Probe {
  readonly room: string;
  readonly hasCapacity: boolean;
  readonly answer: string;
  /** Rooms (with people) the bridge held when it was asked. */
  readonly afterRooms: number;
}

async function probeCapacity(api: BridgeApi, hasCapacity: boolean, afterRooms: number): Promise<Probe> {
  const room = 'bench-room-probe';
  const reply = await api.start(room);
  const retryAfter = reply.headers.get('retry-after');
  const answer = `${reply.status} ${reply.status >= 400 ? JSON.stringify(reply.body.error) : `state ${reply.body.state}`}${retryAfter === null ? '' : ` (Retry-After ${retryAfter})`}`;
  progress(`probe at ${afterRooms} rooms: hasCapacity() ${hasCapacity}; POST /rooms/${room}/agent → ${answer}`);
  // An admitted probe would be one more bot room in every later window: take it out again.
  if (reply.status < 300) await api.stop(room);
  return { room, hasCapacity, answer, afterRooms };
}

/** POSTs the agent into `room`, then a human joins; resolves once the human's speech reaches TEN. A refusal comes back as its answer. */
async function addRoom(api: BridgeApi, humans: HumanBrowser, tenStandin: Awaited<ReturnType<typeof startStandinTen>>, room: string): Promise<BenchRoom | string> {
  const started = await api.start(room);
  if (started.status === 503) return `${started.status} ${JSON.stringify(started.body.error)}`;
  if (started.status !== 201) throw new Error(`POST /rooms/${room}/agent answered ${started.status}: ${JSON.stringify(started.body.error ?? started.body)}`);
  const ten = tenStandin.sessions.get(room);
  if (ten === undefined) throw new Error(`the bridge started room ${room} without a TEN /start reaching the stand-in`);
  const human: Human = await humans.join({ room, name: 'Ada' });
  const joinedAt = epochNow();
  const deadline = Date.now() + 30_000;
  while (!ten.received.some(([at, level]) => at > joinedAt && level >= ONSET_THRESHOLD)) {
    if (Date.now() > deadline) throw new Error(`room ${room}: no speech reached the TEN stand-in within 30 s of the human joining (${ten.received.length} frames received)`);
    await sleep(50);
  }
  return { room, human, ten };
}

/** Why the ramp stops after this step: a frame rate under the floor, or added p95 crossing the target. */
function qualityProblems(step: WindowResult, previous: WindowResult | undefined): string[] {
  const problems: string[] = [];
  const slowest = Math.min(...step.framesPerSecond);
  if (slowest < MIN_FRAMES_PER_SECOND) problems.push(`a room's frame rate fell to ${slowest.toFixed(2)}/s (< ${MIN_FRAMES_PER_SECOND})`);
  // "Crosses": from at or under the target to over it. A path already over it at one room never
  // crosses; the targets table reports that as MISSED and the ramp goes on for the other limits.
  for (const [direction, pick] of [['inbound', (w: WindowResult) => w.inbound], ['outbound', (w: WindowResult) => w.outbound]] as const) {
    const now = addedP95(pick(step), step.baseline);
    const before = previous === undefined ? undefined : addedP95(pick(previous), previous.baseline);
    if (now > TARGET_ADDED_P95_MS && before !== undefined && before <= TARGET_ADDED_P95_MS) problems.push(`${direction} added p95 crossed ${TARGET_ADDED_P95_MS} ms (${now.toFixed(0)} ms)`);
  }
  return problems;
}

/** Added by the bridge: the bridge path's percentile minus the baseline's (a difference of percentiles). */
function added(values: readonly number[], baseline: readonly number[], p: number): number {
  return percentile(values, p) - percentile(baseline, p);
}
const addedP95 = (values: readonly number[], baseline: readonly number[]) => added(values, baseline, 95);

/** The least-squares slope of y over x. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const covariance = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  const variance = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  return covariance / variance;
}

// `+ 0` turns a rounded -0 into 0: "-0 ms" reads like a sign error.
const ms = (value: number) => (Number.isFinite(value) ? (Math.round(value) + 0).toFixed(0) : '-');
const pct = (share: number) => (share * 100).toFixed(0);
const verdict = (met: boolean) => (met ? 'met' : 'MISSED');

function describeStep(step: WindowResult): string {
  return (
    `${step.rooms} room${step.rooms === 1 ? '' : 's'}: p95 in ${ms(percentile(step.inbound, 95))} / out ${ms(percentile(step.outbound, 95))} / baseline ${ms(percentile(step.baseline, 95))} ms ` +
    `(${step.inbound.length}/${step.spoken} utterances, ${step.outbound.length}/${step.answered} answers), min ${Math.min(...step.framesPerSecond).toFixed(2)} frames/s, ` +
    `CPU bot ${pct(step.cpu.bot)} % humans ${pct(step.cpu.humans)} % node ${pct(step.cpu.node)} %, bot PSS ${step.botPssMiB.toFixed(0)} MiB, free CPU ${step.freeCpuCores?.toFixed(2) ?? '-'} cores, hasCapacity ${step.hasCapacity}`
  );
}

function printMachine(chromiumVersion: string, wavMs: number): void {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  const cores = cpuinfo.match(/^processor\s*:/gm)?.length ?? 0;
  out(`bench:bridge on ${cores} cores, ${model} (/proc/cpuinfo), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM; Chromium ${chromiumVersion}; node ${process.version}`);
  out(`speech: ${UTTERANCES.length} espeak-ng utterances ${UTTERANCE_GAP_MS} ms apart (${(wavMs / 1000).toFixed(1)} s, looped by Chromium's fake mic); answers: a ${ANSWER_MS} ms 1 kHz tone every second per room, real-time 20 ms frames from the TEN stand-in`);
  out(`onset = first level ≥ ${ONSET_THRESHOLD} RMS after ≥ 300 ms below it, paired with the first onset downstream within ${MAX_LAG_MS} ms; all times epoch ms (performance.timeOrigin + now)`);
  out('inbound  = human mic onset (its own captured microphone) → first non-silent frame received at the TEN stand-in’s websocket');
  out('outbound = TEN stand-in sends the first frame of an answer → audible onset at the human (AnalyserNode meter of the agent)');
  out('baseline = the same WebRTC path between two plain participants in their own room (speaker mic onset → listener meter), same windows');
  out('added    = bridge percentile − baseline percentile (a difference of percentiles, not a percentile of differences)');
}

function report(steps: readonly Step[], { stopReason, probe }: { stopReason: string; probe: Probe }): void {
  const first = steps[0];
  const last = steps.at(-1);
  if (first === undefined || last === undefined) throw new Error('the ramp measured no step');
  const atTen = steps.find((step) => step.rooms === 10);
  const latencySteps = [...new Set([first, atTen ?? last])];

  out();
  out('1. Latency, ms (every room of the window pooled; baseline = one speaker → listener pair in the same window)');
  out(
    table(
      ['rooms', 'direction', 'counted', 'bridge p50', 'bridge p95', 'baseline p50', 'baseline p95', 'added p50', 'added p95'],
      latencySteps.flatMap((step) =>
        (
          [
            ['inbound', step.inbound, `${step.inbound.length}/${step.spoken}`],
            ['outbound', step.outbound, `${step.outbound.length}/${step.answered}`],
          ] as const
        ).map(([direction, values, counted]) => [
          step.rooms,
          direction,
          counted,
          ms(percentile(values, 50)),
          ms(percentile(values, 95)),
          ms(percentile(step.baseline, 50)),
          ms(percentile(step.baseline, 95)),
          ms(added(values, step.baseline, 50)),
          ms(added(values, step.baseline, 95)),
        ]),
      ),
    ),
  );
  out(`counted = utterances (answers) that arrived within ${MAX_LAG_MS} ms / those that began in the window; baseline utterances: ${latencySteps.map((step) => `${step.baseline.length} at ${step.rooms} room${step.rooms === 1 ? '' : 's'}`).join(', ')}`);
  if (atTen === undefined) out(`(the ramp ended at ${last.rooms} room${last.rooms === 1 ? '' : 's'}, before 10: its last window is shown instead)`);

  out();
  out(`2. Ramp: one room (the agent + its own human) at a time, ${SETTLE_MS / 1000} s settle, then a ${STEP_WINDOW_MS / 1000} s window (${LATENCY_WINDOW_MS / 1000} s at ${LATENCY_ROOMS.join(' and ')} rooms)`);
  out(
    table(
      ['rooms', 'in p95', 'out p95', 'base p95', '+in p95', '+out p95', 'min fps', 'min clock', 'CPU bot %', 'CPU humans %', 'CPU node %', 'PSS bot MiB', 'PSS humans MiB', 'free CPU', 'hasCapacity'],
      steps.map((step) => [
        step.rooms,
        ms(percentile(step.inbound, 95)),
        ms(percentile(step.outbound, 95)),
        ms(percentile(step.baseline, 95)),
        ms(addedP95(step.inbound, step.baseline)),
        ms(addedP95(step.outbound, step.baseline)),
        Math.min(...step.framesPerSecond).toFixed(2),
        Math.min(...step.audioClockRatio).toFixed(4),
        pct(step.cpu.bot),
        pct(step.cpu.humans),
        pct(step.cpu.node),
        step.botPssMiB.toFixed(0),
        step.humansPssMiB.toFixed(0),
        step.freeCpuCores?.toFixed(2) ?? '-',
        `${step.hasCapacity ? 'yes' : 'no'}${step.pastRefusal ? ' (past refusal)' : ''}`,
      ]),
    ),
  );
  out('+in/+out = added p95 (bridge − baseline); fps = frames/s at the TEN stand-in’s socket (slowest room); clock = the page’s audio clock / wall time (stats(), slowest room);');
  out('CPU = % of one core over the window; node = this process (the controller, both stand-ins and the harness); PSS = the whole process tree');
  out(`stopped by: ${stopReason}`);

  // The first step at which quality fell (a frame rate under the floor, an added p95 crossing the target).
  const firstDegraded = steps.find((step, index) => qualityProblems(step, steps[index - 1]).length > 0);
  const firstSlow = steps.find((step) => Math.min(...step.framesPerSecond) < MIN_FRAMES_PER_SECOND);
  const withinTarget = (step: WindowResult) => addedP95(step.inbound, step.baseline) <= TARGET_ADDED_P95_MS && addedP95(step.outbound, step.baseline) <= TARGET_ADDED_P95_MS;
  const firstOver = steps.find((step) => Math.min(...step.framesPerSecond) < MIN_FRAMES_PER_SECOND || !withinTarget(step));
  const framesHeld = firstSlow === undefined ? last.rooms : firstSlow.rooms - 1;
  const qualityHeld = firstOver === undefined ? last.rooms : firstOver.rooms - 1;
  const refused = probe.answer.startsWith('503');
  const admitted = refused ? probe.afterRooms : last.rooms;
  const cpuSlope = (pick: (step: WindowResult) => number) => slope(steps.map((step) => [step.rooms, pick(step)] as const));
  const pssSlope = slope(steps.map((step) => [step.rooms, step.botPssMiB] as const));
  out(
    `rooms held: the bridge admitted ${admitted}${refused ? ` and refused room ${admitted + 1}` : ' and never refused'}; every room ≥ ${MIN_FRAMES_PER_SECOND} frames/s up to ${framesHeld}; ` +
      `that and added p95 ≤ ${TARGET_ADDED_P95_MS} ms both ways up to ${qualityHeld}`,
  );
  out(
    `CPU per room (slope over the ramp, % of a core): bot Chromium ${pct(cpuSlope((step) => step.cpu.bot))}, humans' Chromium ${pct(cpuSlope((step) => step.cpu.humans))}, node ${pct(cpuSlope((step) => step.cpu.node))}; ` +
      `at ${last.rooms} room${last.rooms === 1 ? '' : 's'} the bot Chromium used ${pct(last.cpu.bot)} % of a core (${pct(last.cpu.bot / last.rooms)} % a room)`,
  );
  out(`PSS of the bot Chromium: ${first.botPssMiB.toFixed(0)} MiB at 1 room, ${last.botPssMiB.toFixed(0)} MiB at ${last.rooms}; ${Number.isFinite(pssSlope) ? `${pssSlope.toFixed(1)} MiB` : '- (one step)'} per extra room (slope)`);
  out(`capacity probe at ${probe.afterRooms} rooms: hasCapacity() ${probe.hasCapacity}; POST /rooms/${probe.room}/agent → ${probe.answer}`);

  let refusal: string;
  let refusalMet: boolean | undefined;
  if (firstDegraded === undefined) {
    refusal = refused ? `refused at ${admitted} rooms, quality within its limits throughout` : `not exercised: quality held to ${last.rooms} rooms and the bridge kept accepting`;
    refusalMet = refused ? true : undefined;
  } else if (refused && admitted < firstDegraded.rooms) {
    refusal = `refused at ${admitted} rooms; quality first fell at ${firstDegraded.rooms} (past the refusal)`;
    refusalMet = true;
  } else if (refused && admitted === firstDegraded.rooms) {
    refusal = `quality first fell at ${firstDegraded.rooms} rooms and the bridge refused the next one`;
    refusalMet = true;
  } else {
    refusal = `quality first fell at ${firstDegraded.rooms} rooms; the bridge ${refused ? `refused only at ${admitted}` : 'still accepted a room after that'}`;
    refusalMet = false;
  }

  out();
  out('3. Targets');
  const latencyRow = (direction: 'inbound' | 'outbound') => {
    const value = atTen === undefined ? undefined : addedP95(atTen[direction], atTen.baseline);
    return [
      `added p95 ${direction} at 10 rooms ≤ ${TARGET_ADDED_P95_MS} ms (moonshot ≤ ${MOONSHOT_ADDED_P95_MS})`,
      value === undefined ? `10 rooms not reached (${ms(addedP95(last[direction], last.baseline))} ms at ${last.rooms})` : `${ms(value)} ms`,
      value === undefined ? 'MISSED' : `${verdict(value <= TARGET_ADDED_P95_MS)}; moonshot ${verdict(value <= MOONSHOT_ADDED_P95_MS)}`,
    ];
  };
  const concurrent = Math.min(admitted, framesHeld);
  out(
    table(
      ['target', 'measured', 'verdict'],
      [
        latencyRow('inbound'),
        latencyRow('outbound'),
        [`≥ ${TARGET_ROOMS} concurrent rooms, each ≥ ${MIN_FRAMES_PER_SECOND} frames/s`, `${concurrent} rooms (admitted ${admitted}, frames held to ${framesHeld})`, verdict(concurrent >= TARGET_ROOMS)],
        [`≤ ${TARGET_PSS_PER_ROOM_MIB} MiB PSS per extra room`, Number.isFinite(pssSlope) ? `${pssSlope.toFixed(1)} MiB` : 'one step only', Number.isFinite(pssSlope) ? verdict(pssSlope <= TARGET_PSS_PER_ROOM_MIB) : 'MISSED'],
        ['"at capacity" before quality drops', refusal, refusalMet === undefined ? 'not shown' : verdict(refusalMet)],
      ],
    ),
  );
}

// Last in the file: the helpers above are consts, initialised only once their line has run.
try {
  await run();
  await cleanup();
  out();
  out(`4. This process: peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; total run time ${((performance.now() - runStarted) / 1000).toFixed(0)} s (every browser and server closed)`);
  process.exit(0);
} catch (error) {
  progress(`bench:bridge failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await cleanup();
  process.exit(1);
}
