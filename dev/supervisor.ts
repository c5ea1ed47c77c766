import { spawn, type ChildProcess } from 'node:child_process';
import { prefixLines } from './log-prefix.ts';
import { descendantsOf, groupRuns, stillRuns } from './process-tree.ts';
import { waitUntilReady, type Readiness } from './readiness.ts';

/** One process the supervisor starts. */
export interface ChildSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Its whole environment: nothing else of ours is passed on. */
  readonly env: Readonly<Record<string, string>>;
  /** Started once these are ready. */
  readonly after: readonly string[];
  readonly readiness: Readiness;
  /** Where it listens, for its ready line. */
  readonly listensAt: string;
  /** What it is, for its ready line. */
  readonly about: string;
}

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** How long a process may take to stop on SIGTERM: longer than the bridge's and the MCP server's 30 s drains. */
const STOP_SECONDS = 45;
/** After SIGTERM to what is left of a group, before SIGKILL. */
const GROUP_STOP_SECONDS = 3;

interface Running {
  readonly spec: ChildSpec;
  readonly child: ChildProcess;
  /** Its process group: the child leads a group of its own (detached), so its children are found by it. */
  readonly group: number;
  readonly exited: Promise<void>;
  exit?: string;
}

/**
 * Starts every process, each once those it comes after are ready, in a process group of its own;
 * prefixes each one's output with its name; prints one line per process once it is ready, and
 * `summary` once all are. Stops them all together: on SIGINT or SIGTERM (a second one kills at
 * once), or when one of them exits or does not get ready, naming it. Resolves with the exit code:
 * 0 after a stop that was asked for, 1 after a failure.
 */
export function supervise(specs: readonly ChildSpec[], output: Output, summary: string): Promise<number> {
  const width = Math.max(...specs.map((spec) => spec.name.length));
  const urlWidth = Math.max(...specs.map((spec) => spec.listensAt.length));
  const running = new Map<string, Running>();
  const ready = new Map<string, Promise<void>>();
  let stopping: Promise<number> | undefined;
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  const start = (spec: ChildSpec): Running => {
    const child = spawn(spec.command, [...spec.args], { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const prefix = `${spec.name.padEnd(width)} | `;
    prefixLines(child.stdout!, prefix, output.out);
    prefixLines(child.stderr!, prefix, output.err);
    // A stand-in reads its stdin to notice that we went away; nothing is ever written to it.
    child.stdin!.on('error', () => undefined);
    const entry: Running = {
      spec,
      child,
      group: child.pid ?? -1,
      exited: new Promise<void>((resolve) => {
        child.once('error', (error) => {
          entry.exit ??= `could not be started: ${error.message}`;
          resolve();
        });
        child.once('exit', (code, signal) => {
          entry.exit ??= signal !== null ? `was ended by ${signal}` : `exited with code ${code}`;
          resolve();
        });
      }),
    };
    running.set(spec.name, entry);
    void entry.exited.then(() => {
      if (stopping === undefined) void stop(`${spec.name} ${entry.exit}`, 1);
    });
    return entry;
  };

  /** The promise that `name` gets ready, its launch begun once (after what it comes after). */
  const readyOf = (name: string): Promise<void> => {
    let promise = ready.get(name);
    if (promise === undefined) {
      const spec = specs.find((candidate) => candidate.name === name);
      if (spec === undefined) throw new Error(`dev: nothing named ${name} to start`);
      promise = launch(spec);
      ready.set(name, promise);
    }
    return promise;
  };

  const launch = (spec: ChildSpec): Promise<void> => {
    const launched = (async () => {
      await Promise.all(spec.after.map(readyOf));
      if (stopping !== undefined) return;
      const entry = start(spec);
      await waitUntilReady(spec.readiness, () => (stopping !== undefined ? 'stopping' : entry.exit !== undefined ? `${entry.exit} before it was ready` : undefined));
      output.out(`ready  ${spec.name.padEnd(width)}  ${spec.listensAt.padEnd(urlWidth)}  ${spec.about}\n`);
    })();
    // What it comes after failing has stopped everything already; its own failure stops it all here.
    launched.catch((error: Error) => {
      if (stopping === undefined) void stop(`${spec.name} ${error.message}`, 1);
    });
    return launched;
  };

  /** Stops everything once; `why` is said first when the stop was not asked for. */
  const stop = (why: string | undefined, code: number): Promise<number> => {
    stopping ??= (async () => {
      output.err(why === undefined ? 'dev: stopping every process (Ctrl-C again to kill them at once)\n' : `dev: ${why}; stopping the others\n`);
      await stopAll([...running.values()]);
      output.err(code === 0 ? 'dev: every process stopped\n' : 'dev: every process stopped; npm run dev failed\n');
      resolveDone(code);
      return code;
    })();
    return stopping;
  };

  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals === 1) void stop(undefined, 0);
    else {
      output.err('dev: killing every process\n');
      killAll([...running.values()]);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  void done.then(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });

  void Promise.all(specs.map((spec) => readyOf(spec.name))).then(
    () => {
      if (stopping === undefined) output.out(summary);
    },
    () => undefined,
  );
  return done;
}

/**
 * SIGTERM to each process, which ends what it started itself (the bridge its Chromium, the TEN
 * stand-in its workers); then whatever is left of its group, and every descendant that escaped
 * into a group of its own, is killed.
 */
async function stopAll(entries: readonly Running[]): Promise<void> {
  const descendants = descendantsOf(process.pid);
  await Promise.all(
    entries.map(async (entry) => {
      if (entry.exit === undefined) entry.child.kill('SIGTERM');
      await within(entry.exited, STOP_SECONDS);
      if (entry.group > 0 && groupRuns(entry.group)) {
        signalGroup(entry.group, 'SIGTERM');
        await until(() => !groupRuns(entry.group), GROUP_STOP_SECONDS);
        signalGroup(entry.group, 'SIGKILL');
        await until(() => !groupRuns(entry.group), GROUP_STOP_SECONDS);
      }
    }),
  );
  for (const left of descendants.filter(stillRuns)) {
    try {
      process.kill(left.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  await until(() => !descendants.some(stillRuns), GROUP_STOP_SECONDS);
}

/** The second Ctrl-C: no waiting. */
function killAll(entries: readonly Running[]): void {
  const descendants = descendantsOf(process.pid);
  for (const entry of entries) if (entry.group > 0) signalGroup(entry.group, 'SIGKILL');
  for (const left of descendants) {
    try {
      process.kill(left.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // the group is gone
  }
}

function within(promise: Promise<void>, seconds: number): Promise<void> {
  return Promise.race([promise, new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000).unref())]);
}

async function until(condition: () => boolean, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}
