import type { RoomState } from '../room-session.ts';
import type { RoomRecord } from './placement.ts';

const NO_AUDIO = { framesPerSecond: 0, audioClockRatio: 1, queuedPlayoutMs: 0, underruns: 0, trimmedPlayoutMs: 0 };

/**
 * A room's state as the tier remembers it, for a replica that does not run the room: a session
 * lost with its replica (`lost`, with the reason as its last error), or one that ended on a
 * replica that is gone. What only the running replica knew (participants, audio) is empty.
 */
export function recordState(record: RoomRecord, lostReason?: string): RoomState {
  return {
    room: record.room,
    sessionId: record.sessionId,
    graph: record.graph,
    state: lostReason === undefined ? record.state : 'lost',
    startedAt: record.startedAt,
    participants: [],
    heard: { frames: 0, lastSpeechAt: null },
    lastHeard: null,
    lastSaid: null,
    lastError: lostReason ?? record.lastError,
    audio: NO_AUDIO,
  };
}
