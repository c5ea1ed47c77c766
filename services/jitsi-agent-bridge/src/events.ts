import type { Response } from 'express';
import type { RoomEvent, RoomSession, RoomState } from './room-session.ts';

/**
 * GET /rooms/:room/agent/events: the room's state on connect and on every change, the
 * session's final transcript lines so far, then TEN's transcripts as they come, a comment line as a heartbeat (so proxies keep the stream open),
 * and the end of the stream after the final `stopped` or `failed` state.
 */

export const HEARTBEAT_MS = 15_000;

const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  // nginx (jitsi-web, ingresses) would otherwise buffer the stream.
  'x-accel-buffering': 'no',
} as const;

const isFinal = (event: RoomEvent) => event.type === 'state' && (event.state.state === 'stopped' || event.state.state === 'failed');

export function streamRoomEvents(res: Response, session: RoomSession, heartbeatMs = HEARTBEAT_MS): void {
  res.status(200).set({ ...STREAM_HEADERS, connection: 'keep-alive' });
  res.flushHeaders();
  const write = (event: RoomEvent) => {
    // A session that already ended: its final state closed the stream.
    if (finished) return;
    res.write(`event: ${event.type}\ndata: ${JSON.stringify(event.type === 'state' ? event.state : event.transcript)}\n\n`);
    if (isFinal(event)) finish();
  };
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
  let unsubscribe = () => undefined as unknown;
  let finished = false;
  function finish() {
    if (finished) return;
    finished = true;
    clearInterval(heartbeat);
    unsubscribe();
    res.end();
  }
  res.on('close', finish);
  unsubscribe = session.subscribe(write);
  write({ type: 'state', state: session.snapshot() });
  for (const transcript of session.transcript()) write({ type: 'transcript', transcript });
}

/** The stream of a room whose session runs nowhere (ended, or lost with its replica): its last state, then the end. */
export function streamFinalState(res: Response, state: RoomState): void {
  res.status(200).set(STREAM_HEADERS);
  res.end(`event: state\ndata: ${JSON.stringify(state)}\n\n`);
}
