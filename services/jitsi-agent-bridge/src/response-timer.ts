import { isSpeech } from './pcm-level.ts';

/**
 * How long the agent takes to answer, as the bridge sees it: from the end of a person's speech
 * to the agent's first audible frame after it.
 *
 * - Start: the capture time of the last room frame above the speech level (pcm-level.ts,
 *   -45 dBFS RMS) before the agent's answer. The room is the mix of every person, so it is the
 *   end of whoever spoke last; TEN's own VAD may judge the end a little differently.
 * - End: the first agent frame above the same level that the bridge hands to the room after
 *   that speech. Silent frames TEN sends before its speech do not end the wait.
 *
 * Speech heard while the agent is speaking (an echo of its own voice, or someone talking over it
 * without a barge-in) does not start a wait; a flush (barge-in) ends the agent's turn, so the
 * answer to the interruption is timed. The agent's turn ends once no audible frame of it has come
 * for AGENT_TURN_GAP_MS. A wait longer than MAX_WAIT_MS is not an answer (the agent said
 * something later on its own, a tool result say) and is not observed.
 */

/** Without an audible frame of the agent for this long, its turn is over. */
const AGENT_TURN_GAP_MS = 1_000;
/** Past this a reply is not the answer to that speech. */
const MAX_WAIT_MS = 30_000;

export class ResponseTimer {
  /** Capture time (performance.now()) of the last speech frame not yet answered. */
  private speechEndedAt: number | undefined;
  /** When the agent's last audible frame was handed to the room. */
  private agentLastAudibleAt = Number.NEGATIVE_INFINITY;

  /** A frame of room audio captured at `capturedAt` (performance.now() clock). */
  heard(frame: Buffer, capturedAt: number): void {
    if (this.agentSpeaking(capturedAt)) return;
    if (isSpeech(frame)) this.speechEndedAt = capturedAt;
  }

  /** Agent audio handed to the room at `at`; the wait in seconds when this answers the last speech. */
  agentAudio(pcm: Buffer, at: number): number | undefined {
    if (!isSpeech(pcm)) return undefined;
    const wasSpeaking = this.agentSpeaking(at);
    this.agentLastAudibleAt = at;
    const endedAt = this.speechEndedAt;
    if (wasSpeaking || endedAt === undefined) return undefined;
    this.speechEndedAt = undefined;
    const waitMs = at - endedAt;
    return waitMs >= 0 && waitMs <= MAX_WAIT_MS ? waitMs / 1000 : undefined;
  }

  /** Barge-in: the agent's turn is over now. */
  flushed(): void {
    this.agentLastAudibleAt = Number.NEGATIVE_INFINITY;
  }

  private agentSpeaking(now: number): boolean {
    return now - this.agentLastAudibleAt < AGENT_TURN_GAP_MS;
  }
}
