import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ConfigInput } from '../../src/config.ts';
import { BridgeApi } from './bridge-harness.ts';
import { waitUntil } from './wait.ts';

/**
 * A bridge replica as a process of its own (test/helpers/bridge-entry.ts: src/main.ts with the
 * scripted joiner), for tests that need replicas to die, drain and exit as processes do.
 */

export interface BridgeProcess {
  readonly child: ChildProcess;
  readonly api: BridgeApi;
  /** Its JSON log lines so far. */
  readonly lines: Array<Record<string, unknown>>;
  readonly stderr: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Log messages so far, for a failure's description. */
  summary(): string;
  /** SIGKILL unless it already exited. */
  kill(): void;
}

const ENTRY = fileURLToPath(new URL('./bridge-entry.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Starts a bridge process with `env` (PORT 0 picks a port) and resolves once it listens. */
export async function startBridgeProcess(env: ConfigInput): Promise<BridgeProcess> {
  const child = spawn(process.execPath, ['--import', TSX, ENTRY], { env: { PATH: process.env['PATH'], ...env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const summary = () => [...lines.map((line) => `${String(line['msg'])}${line['room'] === undefined ? '' : ` [${String(line['room'])}]`}`), ...stderr].join(' | ');
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    const listening = await waitUntil('the bridge to listen', () => lines.find((line) => line['msg'] === 'bridge listening'), 30_000, summary);
    const api = new BridgeApi(`http://127.0.0.1:${String(listening['port'])}`, env.BRIDGE_API_TOKEN!);
    return { child, api, lines, stderr, exited, summary, kill };
  } catch (error) {
    kill();
    throw error;
  }
}
