import type { Graph, MessageKind } from './graph.ts';
import type { FakeTenEvent, FakeTenScript } from './protocol.ts';

/**
 * A small stand-in for the TEN runtime inside one worker: it delivers cmd, data and audio frames
 * between extensions. A message with an explicit destination goes to that node (the graph's
 * connections are not consulted, as with TEN's `set_dests`); any other goes where the graph's
 * routes for its kind and name from its sender lead. A cmd that reaches no node gets an error
 * result at once; data and audio frames that reach no node are dropped.
 */

export interface Cmd {
  readonly name: string;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly source: string;
}

export interface CmdResult {
  readonly ok: boolean;
  readonly properties: Readonly<Record<string, unknown>>;
  /** False for the streamed results before the last one (chat_completion). */
  readonly final: boolean;
}

export interface Data {
  readonly name: string;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly source: string;
}

export interface AudioFrame {
  readonly name: string;
  /** Interleaved PCM. */
  readonly pcm: Buffer;
  readonly sampleRate: number;
  readonly channels: number;
  readonly bytesPerSample: number;
  /** The frame's "metadata" property, when it has one. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export type Respond = (result: CmdResult) => void;

/** What an addon implements; every hook is optional, as in TEN's AsyncExtension. */
export interface Extension {
  start?(): Promise<void>;
  stop?(): Promise<void>;
  onCmd?(cmd: Cmd, respond: Respond): void | Promise<void>;
  onData?(data: Data): void | Promise<void>;
  onAudioFrame?(frame: AudioFrame): void | Promise<void>;
}

/** What an extension gets: its node's name and resolved property, and the ways to send. */
export interface ExtensionContext {
  readonly name: string;
  readonly property: Readonly<Record<string, unknown>>;
  readonly script: FakeTenScript;
  readonly emit: (event: FakeTenEvent) => void;
  readonly log: (line: string) => void;
  /** Sends a cmd and waits for its final result; `onPartial` sees the streamed ones before it. */
  sendCmd(name: string, properties?: Record<string, unknown>, dest?: string, onPartial?: (result: CmdResult) => void): Promise<CmdResult>;
  sendData(name: string, properties: Record<string, unknown>, dest?: string): void;
  sendAudioFrame(frame: AudioFrame, dest?: string): void;
}

export class Runtime {
  private readonly extensions = new Map<string, Extension>();

  constructor(
    private readonly graph: Graph,
    private readonly script: FakeTenScript,
    private readonly emit: (event: FakeTenEvent) => void,
    private readonly log: (line: string) => void,
  ) {}

  public contextFor(name: string, property: Readonly<Record<string, unknown>>): ExtensionContext {
    return {
      name,
      property,
      script: this.script,
      emit: this.emit,
      log: (line) => this.log(`[${name}] ${line}`),
      sendCmd: (cmd, properties = {}, dest, onPartial) => this.sendCmd(name, cmd, properties, dest, onPartial),
      sendData: (data, properties, dest) => this.sendData(name, data, properties, dest),
      sendAudioFrame: (frame, dest) => this.sendAudioFrame(name, frame, dest),
    };
  }

  public register(name: string, extension: Extension): void {
    this.extensions.set(name, extension);
  }

  public get all(): ReadonlyMap<string, Extension> {
    return this.extensions;
  }

  private destinations(kind: MessageKind, message: string, from: string, dest: string | undefined): { to: string[]; missing: string[] } {
    if (dest !== undefined) return this.extensions.has(dest) ? { to: [dest], missing: [] } : { to: [], missing: [dest] };
    const to = this.graph.routes.filter((route) => route.kind === kind && route.message === message && route.from === from).map((route) => route.to);
    return { to: [...new Set(to)], missing: [] };
  }

  private sendCmd(from: string, name: string, properties: Record<string, unknown>, dest: string | undefined, onPartial?: (result: CmdResult) => void): Promise<CmdResult> {
    const { to, missing } = this.destinations('cmd', name, from, dest);
    this.emit({ type: 'message', kind: 'cmd', name, from, to, explicit: dest !== undefined, missing });
    if (to.length === 0) return Promise.resolve({ ok: false, properties: { detail: `no destination for cmd ${name}` }, final: true });
    const cmd: Cmd = { name, properties, source: from };
    return new Promise<CmdResult>((resolve) => {
      let settled = false;
      for (const target of to) {
        const extension = this.extensions.get(target);
        const respond: Respond = (result) => {
          if (settled) return;
          if (!result.final) return onPartial?.(result);
          settled = true;
          resolve(result);
        };
        if (extension?.onCmd === undefined) respond({ ok: true, properties: {}, final: true });
        else void Promise.resolve(extension.onCmd(cmd, respond)).catch((error: unknown) => {
          this.log(`[${target}] on_cmd ${name} failed: ${String(error)}`);
          respond({ ok: false, properties: { detail: String(error) }, final: true });
        });
      }
    });
  }

  private sendData(from: string, name: string, properties: Record<string, unknown>, dest: string | undefined): void {
    const { to, missing } = this.destinations('data', name, from, dest);
    this.emit({ type: 'message', kind: 'data', name, from, to, explicit: dest !== undefined, missing });
    const data: Data = { name, properties, source: from };
    for (const target of to) {
      void Promise.resolve(this.extensions.get(target)?.onData?.(data)).catch((error: unknown) => this.log(`[${target}] on_data ${name} failed: ${String(error)}`));
    }
  }

  private sendAudioFrame(from: string, frame: AudioFrame, dest: string | undefined): void {
    const { to } = this.destinations('audio_frame', frame.name, from, dest);
    for (const target of to) {
      void Promise.resolve(this.extensions.get(target)?.onAudioFrame?.(frame)).catch((error: unknown) => this.log(`[${target}] on_audio_frame failed: ${String(error)}`));
    }
  }
}
