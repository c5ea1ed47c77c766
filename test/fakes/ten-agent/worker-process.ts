import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { TenStartRequest } from './gin-bind.ts';
import { workerBundle } from './worker-bundle.ts';
import { EVENT_MARKER, SCRIPT_VARIABLE, type FakeTenEvent, type FakeTenEventType, type FakeTenScript } from './worker/protocol.ts';

/**
 * One worker process, as the agent server runs one (`ai_agents/server/internal/worker_linux.go`):
 * started in the tenapp directory in a process group of its own, stopped by SIGTERM to the group
 * and SIGKILL two seconds later if the group is still there.
 */

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A session's worker as the fake server knows it; tests read its events. */
export interface FakeTenWorker {
  readonly channelName: string;
  readonly graphName: string;
  readonly requestId: string;
  /** Unix seconds, as `/list` reports it. */
  readonly createTs: number;
  /** Unix seconds of the /start or the last /ping. */
  updateTs: number;
  /** The request's timeout when > 0, else WORKER_QUIT_TIMEOUT_SECONDS. */
  readonly quitTimeoutSeconds: number;
  /** The /start body as decoded (unknown fields dropped). */
  readonly startRequest: Readonly<TenStartRequest>;
  readonly pid: number;
  /** The temporary property file the worker runs with. */
  readonly propertyFile: string;
  /** `app-<channel>-<ts>.log` under LOG_PATH (written unless LOG_STDOUT). */
  readonly logFile: string;
  /** What the worker reported, in order. */
  readonly events: readonly FakeTenEvent[];
  /** The worker's other output lines, stdout and stderr. */
  readonly output: readonly string[];
  /** Signals the server sent to the worker's process group, in order. */
  readonly signalsSent: readonly NodeJS.Signals[];
  /** How the process ended; undefined while it runs. */
  readonly exit: WorkerExit | undefined;
  readonly exited: Promise<WorkerExit>;
  /** The first event of a type (matching `where`), waiting for it up to `timeoutMs` (default 10 s). */
  waitFor<T extends FakeTenEventType>(type: T, where?: (event: Extract<FakeTenEvent, { type: T }>) => boolean, timeoutMs?: number): Promise<Extract<FakeTenEvent, { type: T }>>;
}

export interface SpawnWorkerOptions {
  readonly channelName: string;
  readonly graphName: string;
  readonly startRequest: TenStartRequest;
  readonly quitTimeoutSeconds: number;
  readonly tenappDir: string;
  readonly propertyFile: string;
  readonly logFile: string;
  readonly logStdout: boolean;
  readonly env: Readonly<Record<string, string>>;
  readonly script: FakeTenScript;
  readonly onExit: (worker: WorkerProcess) => void;
}

export class WorkerProcess implements FakeTenWorker {
  public readonly channelName: string;
  public readonly graphName: string;
  public readonly requestId: string;
  public readonly createTs: number;
  public updateTs: number;
  public readonly quitTimeoutSeconds: number;
  public readonly startRequest: Readonly<TenStartRequest>;
  public readonly pid: number;
  public readonly propertyFile: string;
  public readonly logFile: string;
  public readonly events: FakeTenEvent[] = [];
  public readonly output: string[] = [];
  public readonly signalsSent: NodeJS.Signals[] = [];
  public exit: WorkerExit | undefined;
  public readonly exited: Promise<WorkerExit>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<(event: FakeTenEvent) => void>();

  constructor(options: SpawnWorkerOptions) {
    this.channelName = options.channelName;
    this.graphName = options.graphName;
    this.requestId = options.startRequest.request_id ?? '';
    this.createTs = unixSeconds();
    this.updateTs = this.createTs;
    this.quitTimeoutSeconds = options.quitTimeoutSeconds;
    this.startRequest = options.startRequest;
    this.propertyFile = options.propertyFile;
    this.logFile = options.logFile;
    // The worker inherits the server's environment and nothing else of this process's.
    // (Cast: Next.js's types, seen when the console's tests compile this, require NODE_ENV.)
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...options.env, [SCRIPT_VARIABLE]: JSON.stringify(options.script) } as Record<string, string> as unknown as NodeJS.ProcessEnv;
    this.child = spawn(process.execPath, [workerBundle(), '--property', options.propertyFile], {
      cwd: options.tenappDir,
      detached: true,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (this.child.pid === undefined) throw new Error('the worker process did not start');
    this.pid = this.child.pid;
    this.child.stdin?.on('error', () => undefined);
    const line = (text: string) => {
      if (text.startsWith(EVENT_MARKER)) {
        const event = JSON.parse(text.slice(EVENT_MARKER.length)) as FakeTenEvent;
        this.events.push(event);
        for (const listener of this.listeners) listener(event);
        return;
      }
      this.output.push(text);
      // PrefixWriter: every line of the worker prefixed with its channel.
      if (options.logStdout) process.stdout.write(`[${this.channelName}] ${text}\n`);
      else appendFileSync(options.logFile, `[${this.channelName}] ${text}\n`);
    };
    if (this.child.stdout !== null) createInterface({ input: this.child.stdout }).on('line', line);
    if (this.child.stderr !== null) createInterface({ input: this.child.stderr }).on('line', line);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        options.onExit(this);
        resolve(this.exit);
      });
    });
  }

  public waitFor<T extends FakeTenEventType>(type: T, where: (event: Extract<FakeTenEvent, { type: T }>) => boolean = () => true, timeoutMs = 10_000): Promise<Extract<FakeTenEvent, { type: T }>> {
    const matches = (event: FakeTenEvent): event is Extract<FakeTenEvent, { type: T }> => event.type === type && where(event as Extract<FakeTenEvent, { type: T }>);
    const found = this.events.find(matches);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`worker "${this.channelName}" reported no ${type} event within ${timeoutMs} ms; events: ${this.events.map((event) => event.type).join(', ')}; output:\n${this.output.slice(-20).join('\n')}`));
      }, timeoutMs);
      const listener = (event: FakeTenEvent) => {
        if (!matches(event)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(event);
      };
      this.listeners.add(listener);
      void this.exited.then(() => {
        if (!this.listeners.has(listener)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        reject(new Error(`worker "${this.channelName}" exited (${JSON.stringify(this.exit)}) before a ${type} event; output:\n${this.output.slice(-20).join('\n')}`));
      });
    });
  }

  /** kill(-pid, signal); false where the real syscall.Kill would return an error. */
  public signalGroup(signal: NodeJS.Signals | 0): boolean {
    try {
      process.kill(-this.pid, signal);
      if (signal !== 0) this.signalsSent.push(signal);
      return true;
    } catch (error) {
      return signal === 0 && (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  /**
   * Worker.stop: SIGTERM to the group (SIGKILL at once if that fails), then up to 20 checks
   * 100 ms apart; SIGKILL if the group is still there. False where the real stop returns an
   * error (the server answers 10102).
   */
  public async stop(): Promise<boolean> {
    if (!this.signalGroup('SIGTERM')) return this.signalGroup('SIGKILL');
    for (let check = 0; check < 20; check += 1) {
      if (!this.signalGroup(0)) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return this.signalGroup('SIGKILL');
  }

  /** For the fake's own cleanup: no grace period. */
  public async kill(): Promise<void> {
    if (this.exit === undefined) this.signalGroup('SIGKILL');
    await this.exited;
  }
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
