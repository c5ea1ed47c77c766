/**
 * The one seam between the controller (rooms, TEN sessions, the HTTP API) and whatever puts the
 * agent into a Jitsi room. Today that is a headless Chromium page running lib-jitsi-meet
 * (src/browser/); a server-side Jitsi client can replace it by implementing these two interfaces.
 *
 * Audio crosses the seam as TEN's websocket_server speaks it: 16 kHz, mono, PCM16 little-endian,
 * 20 ms frames of 640 bytes from the room; any sample rate back into it.
 */

/** 16 kHz × 20 ms: the frame TEN's websocket_server expects. */
export const FRAME_SAMPLE_RATE = 16_000;
export const FRAME_MS = 20;
export const FRAME_SAMPLES = (FRAME_SAMPLE_RATE * FRAME_MS) / 1000;
export const FRAME_BYTES = FRAME_SAMPLES * 2;

/** What a joiner needs to enter one room as the agent. */
export interface JoinRequest {
  /** The Jitsi room name, already validated (lowercase). */
  readonly room: string;
  /** The bot's own room JWT (room claim = `room`), minted by the controller. Never log it. */
  readonly jwt: string;
  /** The participant name people see. */
  readonly displayName: string;
  /** Correlates the joiner's log lines with the controller's. */
  readonly sessionId: string;
}

/** Measured health of one joined room, for admission control and `GET /rooms/:room/agent`. */
export interface RoomAudioStats {
  /** Frames delivered to `onFrame` per second over the last few seconds (50 is nominal). */
  readonly framesPerSecond: number;
  /** The page's audio clock against wall time over the last few seconds (1 is nominal; below 0.999 it is falling behind). */
  readonly audioClockRatio: number;
  /** Agent audio queued for playout, in ms. */
  readonly queuedPlayoutMs: number;
  /** Playout underruns (the ring buffer ran dry while audio was expected) since join. */
  readonly underruns: number;
  /** Agent audio dropped because the ring buffer was over its bound, in ms, since join. */
  readonly trimmedPlayoutMs: number;
}

/** Events a joined room reports to the controller. */
export interface JoinedRoomEvents {
  /**
   * One 20 ms frame (FRAME_BYTES bytes) of the room's mixed audio, in order; `capturedAt` is when
   * the joiner captured it, on this process's performance.now() clock (for the bridge's added
   * latency, which starts there).
   */
  onFrame(frame: Buffer, capturedAt: number): void;
  /**
   * The joiner discarded audio: `frames` 20 ms frames (fractions for partial ones) of the room's
   * audio (`to_ten`) or of the agent's speech (`to_room`). Optional: a joiner that loses nothing
   * need not say so.
   */
  onDropped?(direction: 'to_ten' | 'to_room', frames: number): void;
  /** The people in the room changed; the agent itself is never counted. */
  onParticipants(participants: ReadonlyArray<{ id: string; displayName: string }>): void;
  /** The room was left without `leave()` being called (kicked, connection lost, page crashed). */
  onLeft(reason: string): void;
}

/** The agent in one room. */
export interface JoinedRoom {
  /** Queues the agent's speech: PCM16 mono little-endian at `sampleRate` (TEN's `metadata.sample_rate`). */
  play(pcm: Buffer, sampleRate: number): void;
  /** Barge-in: drops every queued sample within one frame. */
  flush(): void;
  stats(): RoomAudioStats;
  /** Leaves the room and frees its resources; safe to call twice. */
  leave(): Promise<void>;
}

export interface RoomJoiner {
  /** Joins, or rejects with an Error whose message says what failed (never the JWT). */
  join(request: JoinRequest, events: JoinedRoomEvents): Promise<JoinedRoom>;
  /** True while the joiner can take another room without degrading the ones it holds. */
  hasCapacity(): boolean;
  /** Leaves every room and stops the browser (or whatever backs the joiner). */
  close(): Promise<void>;
}
