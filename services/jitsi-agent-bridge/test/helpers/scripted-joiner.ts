import { FRAME_BYTES, FRAME_MS, type JoinedRoom, type JoinedRoomEvents, type JoinRequest, type RoomAudioStats, type RoomJoiner } from '../../src/room-joiner.ts';

/**
 * A RoomJoiner for the controller's tests, honest to the interface without a browser or a Jitsi:
 * a joined room sends 20 ms frames in real time (silence, or speech a test queues with `say`),
 * keeps what the agent plays on a virtual playout clock (so a flush visibly drops queued audio),
 * and lets a test change who is in the room or make the agent lose the room. The real browser
 * joiner is tested in test/browser*.
 */

export interface Person {
  readonly id: string;
  readonly displayName: string;
}

export const ALICE: Person = { id: 'alice-1', displayName: 'Alice' };

export interface PlayedAudio {
  readonly pcm: Buffer;
  readonly sampleRate: number;
  /** performance.now() when play was called. */
  readonly at: number;
}

export interface ScriptedJoinerOptions {
  /** Who is in a room when the agent joins. @default [ALICE] */
  readonly people?: readonly Person[];
}

export class ScriptedRoom implements JoinedRoom {
  readonly request: JoinRequest;
  readonly played: PlayedAudio[] = [];
  /** For each flush, how many played chunks had come before it and how much audio was still queued (ms). */
  readonly flushes: Array<{ afterPlayed: number; droppedMs: number }> = [];
  framesSent = 0;
  leaveCalls = 0;
  private readonly events: JoinedRoomEvents;
  private readonly speech: Buffer[] = [];
  private speechDone: (() => void) | undefined;
  private microphone: NodeJS.Timeout | undefined;
  private readonly startedAt = performance.now();
  /** performance.now() when the queued playout runs out. */
  private playoutEndsAt = 0;
  private trimmedMs = 0;

  constructor(request: JoinRequest, events: JoinedRoomEvents) {
    this.request = request;
    this.events = events;
  }

  get isJoined(): boolean {
    return this.microphone !== undefined;
  }

  /** Starts the room's audio: a frame every 20 ms by the wall clock, as the page's worklet sends them. */
  startMicrophone(): void {
    const started = performance.now();
    const tick = () => {
      while (this.framesSent * FRAME_MS <= performance.now() - started) {
        const frame = this.speech.shift() ?? Buffer.alloc(FRAME_BYTES);
        this.framesSent += 1;
        this.events.onFrame(frame, performance.now());
        if (this.speech.length === 0 && this.speechDone !== undefined) {
          const done = this.speechDone;
          this.speechDone = undefined;
          done();
        }
      }
      this.microphone = setTimeout(tick, 5);
    };
    this.microphone = setTimeout(tick, 0);
  }

  /** Someone in the room speaks `pcm` (16 kHz PCM16); resolves once its last frame went out. */
  say(pcm: Buffer): Promise<void> {
    for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES) {
      const frame = Buffer.alloc(FRAME_BYTES);
      pcm.copy(frame, 0, offset, Math.min(offset + FRAME_BYTES, pcm.length));
      this.speech.push(frame);
    }
    return new Promise((resolve) => (this.speechDone = resolve));
  }

  setPeople(people: readonly Person[]): void {
    this.events.onParticipants(people);
  }

  /** The agent loses the room (kicked, connection lost) without `leave()`. */
  lose(reason: string): void {
    this.stopMicrophone();
    this.events.onLeft(reason);
  }

  /** Samples the agent has played, by sample rate. */
  playedSamples(sampleRate?: number): number {
    return this.played.filter((chunk) => sampleRate === undefined || chunk.sampleRate === sampleRate).reduce((sum, chunk) => sum + chunk.pcm.length / 2, 0);
  }

  play(pcm: Buffer, sampleRate: number): void {
    if (!this.isJoined) throw new Error(`play() on room ${this.request.room} after it was left`);
    const now = performance.now();
    this.played.push({ pcm, sampleRate, at: now });
    this.playoutEndsAt = Math.max(now, this.playoutEndsAt) + ((pcm.length / 2) * 1000) / sampleRate;
  }

  flush(): void {
    const now = performance.now();
    const droppedMs = Math.max(0, this.playoutEndsAt - now);
    this.trimmedMs += droppedMs;
    this.playoutEndsAt = now;
    this.flushes.push({ afterPlayed: this.played.length, droppedMs });
  }

  stats(): RoomAudioStats {
    const elapsedMs = performance.now() - this.startedAt;
    return {
      framesPerSecond: elapsedMs < 1 ? 0 : Math.min(50, (this.framesSent * 1000) / elapsedMs),
      audioClockRatio: 1,
      queuedPlayoutMs: Math.max(0, this.playoutEndsAt - performance.now()),
      underruns: 0,
      trimmedPlayoutMs: this.trimmedMs,
    };
  }

  async leave(): Promise<void> {
    this.leaveCalls += 1;
    this.stopMicrophone();
  }

  private stopMicrophone(): void {
    clearTimeout(this.microphone);
    this.microphone = undefined;
  }
}

export class ScriptedJoiner implements RoomJoiner {
  /** Every room joined, in order. */
  readonly rooms: ScriptedRoom[] = [];
  /** Every join request, including those that failed or were held. */
  readonly requests: JoinRequest[] = [];
  capacity = true;
  closed = false;
  /** The next joins reject with this message. */
  failJoinWith: string | undefined;
  private people: readonly Person[];
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  constructor(options: ScriptedJoinerOptions = {}) {
    this.people = options.people ?? [ALICE];
  }

  /** Joins wait from now on until `releaseJoins()`. */
  holdJoins(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  releaseJoins(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  setPeopleAtJoin(people: readonly Person[]): void {
    this.people = people;
  }

  /** The latest room joined under this name. */
  room(name: string): ScriptedRoom | undefined {
    return this.rooms.filter((room) => room.request.room === name).at(-1);
  }

  /** Rooms the agent is in now. */
  joinedRooms(): ScriptedRoom[] {
    return this.rooms.filter((room) => room.isJoined);
  }

  async join(request: JoinRequest, events: JoinedRoomEvents): Promise<JoinedRoom> {
    if (this.closed) throw new Error('the joiner is closed');
    this.requests.push(request);
    if (this.gate !== undefined) await this.gate;
    if (this.failJoinWith !== undefined) throw new Error(this.failJoinWith);
    const room = new ScriptedRoom(request, events);
    this.rooms.push(room);
    // Like a conference join: the people already there are reported, then audio flows.
    if (this.people.length > 0) events.onParticipants(this.people);
    room.startMicrophone();
    return room;
  }

  hasCapacity(): boolean {
    return this.capacity && !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.joinedRooms().map((room) => room.leave()));
  }
}
