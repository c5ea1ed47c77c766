import type { WebSocket } from 'ws';
import type { Logger } from '../logger.ts';
import { FRAME_BYTES, FRAME_MS, type JoinedRoom, type JoinedRoomEvents, type JoinRequest, type RoomAudioStats } from '../room-joiner.ts';
import { CAPTURE_TIME_BYTES, decodeRoomFrame, encodePlaybackChunk } from './page/dsp/wire.js';
import { PlayoutPacer } from './playout-pacer.ts';
import { RoomMeters, type PageAudioReport } from './room-meters.ts';

/** What the room's page needs besides the request (see room.js's JoinConfig). */
export interface RoomPageConfig {
  readonly serviceUrl: string;
  readonly hosts: { readonly domain: string; readonly muc: string };
  readonly workarounds: { readonly remoteAudioElement: boolean };
  /** The audio worklet module, from the relay (see PageRelay). */
  readonly workletUrl: string;
  readonly joinTimeoutMs: number;
}

export interface BrowserRoomOptions {
  readonly request: JoinRequest;
  readonly events: JoinedRoomEvents;
  /** The room's iframe dialled in; the room is joined over this socket. */
  readonly socket: WebSocket;
  readonly page: RoomPageConfig;
  readonly logger: Logger | undefined;
  /** Removes the room's iframe (the page itself may be gone: never throws). */
  readonly removeFrame: () => Promise<void>;
  /** The room is over, whichever way: the joiner forgets it. */
  readonly onGone: () => void;
}

type PageMessage =
  | { type: 'ready' }
  | { type: 'joined'; participantId: string }
  | { type: 'join-failed'; error: string }
  | { type: 'participants'; participants: Array<{ id: string; displayName: string }> }
  | ({ type: 'stats' } & PageAudioReport)
  | { type: 'left'; reason: string };

const LEAVE_TIMEOUT_MS = 5000;
const SOCKET_CLOSE_GRACE_MS = 500;

/**
 * One room held by the browser joiner: the socket to its iframe, the pacing of the agent's
 * speech, the meters. States: joining → joined → leaving → gone (or joining → gone).
 */
export class BrowserRoom implements JoinedRoom {
  private state: 'joining' | 'joined' | 'leaving' | 'gone' = 'joining';
  private readonly meters = new RoomMeters();
  private readonly pacer: PlayoutPacer;
  private participants: Array<{ id: string; displayName: string }> | undefined;
  private leaving: Promise<void> | undefined;
  private leftOnRequest: (() => void) | undefined;
  private warnedFrameSize = false;
  /** The page's count of agent audio trimmed from its buffer (ms), as last reported: the next report's increase is new loss. */
  private pageTrimmedMs = 0;
  participantId = '';

  private readonly options: BrowserRoomOptions;

  private constructor(options: BrowserRoomOptions) {
    this.options = options;
    this.pacer = new PlayoutPacer({
      send: (pcm, sampleRate) => {
        if (!this.sendBinary(encodePlaybackChunk(pcm, sampleRate))) this.droppedSpeech(durationMs(pcm.length, sampleRate));
      },
    });
  }

  /** Joins over the socket; rejects with the page's reason (never the JWT) or a deadline. */
  static join(options: BrowserRoomOptions, deadlineMs: number): Promise<BrowserRoom> {
    const room = new BrowserRoom(options);
    return new Promise<BrowserRoom>((resolve, reject) => {
      const fail = (message: string) => {
        clearTimeout(timer);
        room.finish();
        reject(new Error(message));
      };
      const timer = setTimeout(() => fail(`joining room "${options.request.room}" took longer than ${deadlineMs} ms`), deadlineMs);
      options.socket.on('message', (data, isBinary) => {
        if (isBinary) {
          room.frame(data as Buffer);
          return;
        }
        const message = parse(String(data));
        if (message === undefined) return;
        if (room.state === 'joining') {
          if (message.type === 'ready') room.sendJoin();
          else if (message.type === 'joined') {
            clearTimeout(timer);
            room.state = 'joined';
            room.participantId = message.participantId;
            resolve(room);
            // After join() resolves, so the controller holds the room before hearing about it.
            setImmediate(() => room.deliverParticipants());
          } else if (message.type === 'join-failed') fail(`could not join room "${options.request.room}": ${message.error}`);
          else if (message.type === 'participants') room.participants = message.participants;
          else if (message.type === 'left') fail(`could not join room "${options.request.room}": ${message.reason}`);
          return;
        }
        room.handle(message);
      });
      options.socket.on('close', () => {
        if (room.state === 'joining') fail(`could not join room "${options.request.room}": the room's page closed its connection to the bridge`);
        else if (room.state === 'leaving') room.leftOnRequest?.();
        // A crashed page or browser closes the socket too, a moment before Playwright says so:
        // give the better reason a chance to arrive first.
        else setTimeout(() => room.lost("the room's page closed its connection to the bridge"), SOCKET_CLOSE_GRACE_MS);
      });
      options.socket.on('error', () => undefined);
    });
  }

  play(pcm: Buffer, sampleRate: number): void {
    if (this.state !== 'joined') {
      this.droppedSpeech(durationMs(pcm.length, sampleRate));
      return;
    }
    // Past the pacer's bound (a minute queued) it trims the oldest audio.
    const trimmedBefore = this.pacer.trimmedMs();
    this.pacer.enqueue(pcm, sampleRate);
    this.droppedSpeech(this.pacer.trimmedMs() - trimmedBefore);
  }

  flush(): void {
    if (this.state !== 'joined') return;
    this.pacer.flush();
    this.sendText({ type: 'flush' });
  }

  stats(): RoomAudioStats {
    return this.meters.stats({ queuedMs: this.pacer.queuedMs(), trimmedMs: this.pacer.trimmedMs() });
  }

  /** Whether the meters cover a full window (admission control ignores rooms that just joined). */
  settled(): boolean {
    return this.meters.settled();
  }

  leave(): Promise<void> {
    this.leaving ??= this.leaveOnce();
    return this.leaving;
  }

  /** The page or the browser went away under the room: tell the controller, once. */
  lost(reason: string): void {
    if (this.state !== 'joined') {
      this.finish();
      return;
    }
    this.options.logger?.warn({ reason }, 'room lost');
    this.finish();
    this.options.events.onLeft(reason);
  }

  private async leaveOnce(): Promise<void> {
    if (this.state === 'gone') return;
    this.state = 'leaving';
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, LEAVE_TIMEOUT_MS);
      this.leftOnRequest = () => {
        clearTimeout(timer);
        resolve();
      };
      this.sendText({ type: 'leave' });
      if (this.options.socket.readyState !== this.options.socket.OPEN) this.leftOnRequest();
    });
    this.options.logger?.info('room left');
    await this.finish();
  }

  private handle(message: PageMessage): void {
    if (message.type === 'participants') {
      this.participants = message.participants;
      this.deliverParticipants();
    } else if (message.type === 'stats') {
      this.meters.report(message);
      // The page's buffer trims when Node's clock runs ahead of the audio clock.
      const trimmedMs = message.playback.trimmedMs;
      if (trimmedMs > this.pageTrimmedMs) this.droppedSpeech(trimmedMs - this.pageTrimmedMs);
      this.pageTrimmedMs = trimmedMs;
    } else if (message.type === 'left') {
      if (this.state === 'leaving') this.leftOnRequest?.();
      else this.lost(message.reason);
    }
  }

  private frame(data: Buffer): void {
    // Frames before the join completes are the page's audio graph starting, not the room's yet.
    if (this.state !== 'joined') return;
    if (data.length !== FRAME_BYTES + CAPTURE_TIME_BYTES) {
      if (!this.warnedFrameSize) this.options.logger?.warn({ bytes: data.length }, `the page sent a frame that is not ${FRAME_BYTES} bytes and its capture time; dropped`);
      this.warnedFrameSize = true;
      this.dropped('to_ten', 1);
      return;
    }
    const { pcm, capturedAtEpochMs } = decodeRoomFrame(data);
    this.meters.frame();
    try {
      // The page's epoch clock and this process's agree on one machine; a frame never comes from the future.
      this.options.events.onFrame(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), Math.min(performance.now(), capturedAtEpochMs - performance.timeOrigin));
    } catch (error) {
      this.options.logger?.error({ err: error }, 'onFrame threw');
    }
  }

  private deliverParticipants(): void {
    if (this.state === 'joined' && this.participants !== undefined) this.options.events.onParticipants(this.participants);
  }

  private sendJoin(): void {
    const { request, page } = this.options;
    this.sendText({ type: 'join', room: request.room, jwt: request.jwt, displayName: request.displayName, ...page });
  }

  private sendText(message: Record<string, unknown>): void {
    if (this.options.socket.readyState === this.options.socket.OPEN) this.options.socket.send(JSON.stringify(message));
  }

  /** False when the page's socket is gone and the message was lost. */
  private sendBinary(message: Uint8Array): boolean {
    if (this.options.socket.readyState !== this.options.socket.OPEN) return false;
    this.options.socket.send(message);
    return true;
  }

  /** Audio lost here, told to the controller in 20 ms frames. */
  private dropped(direction: 'to_ten' | 'to_room', frames: number): void {
    if (frames <= 0) return;
    try {
      this.options.events.onDropped?.(direction, frames);
    } catch (error) {
      this.options.logger?.error({ err: error }, 'onDropped threw');
    }
  }

  /** The agent's speech lost here, `ms` of it (TEN's messages and the pacer's trims come in any length). */
  private droppedSpeech(ms: number): void {
    this.dropped('to_room', ms / FRAME_MS);
  }

  /** Frees everything; idempotent. */
  private async finish(): Promise<void> {
    if (this.state === 'gone') return;
    this.state = 'gone';
    this.pacer.close();
    this.options.socket.close();
    this.options.onGone();
    await this.options.removeFrame();
  }
}

function durationMs(bytes: number, sampleRate: number): number {
  return (bytes / 2 / sampleRate) * 1000;
}

function parse(text: string): PageMessage | undefined {
  try {
    const message: unknown = JSON.parse(text);
    return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string' ? (message as PageMessage) : undefined;
  } catch {
    return undefined;
  }
}
