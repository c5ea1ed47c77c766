import { describe, expect, it } from 'vitest';
import { ResponseTimer } from '../../src/response-timer.ts';
import { FRAME_BYTES } from '../../src/room-joiner.ts';

/** What agent_bridge_response_latency_seconds times: the end of speech to the agent's first audible frame. */
const loud = Buffer.alloc(FRAME_BYTES);
for (let offset = 0; offset < FRAME_BYTES; offset += 2) loud.writeInt16LE(offset % 4 === 0 ? 8000 : -8000, offset);
const silent = Buffer.alloc(FRAME_BYTES);

/** A person speaks from `from` for `ms` (a loud frame every 20 ms), then silence follows. */
function speak(timer: ResponseTimer, from: number, ms: number): number {
  for (let at = from; at < from + ms; at += 20) timer.heard(loud, at);
  timer.heard(silent, from + ms + 20);
  return from + ms - 20;
}

describe('the response timer', () => {
  it('times from the last loud frame of the speech to the agent’s first loud frame, once', () => {
    const timer = new ResponseTimer();
    const lastLoud = speak(timer, 1_000, 2_000);
    // Silence from TEN before its speech does not end the wait.
    expect(timer.agentAudio(silent, lastLoud + 300)).toBeUndefined();
    expect(timer.agentAudio(loud, lastLoud + 900)).toBeCloseTo(0.9, 6);
    // The rest of the answer is not another answer.
    expect(timer.agentAudio(loud, lastLoud + 920)).toBeUndefined();
  });

  it('does not start a wait on speech heard while the agent speaks, unless a flush ended its turn', () => {
    const timer = new ResponseTimer();
    timer.agentAudio(loud, 10_000);
    // An echo of the agent's voice, during its turn.
    speak(timer, 10_100, 200);
    expect(timer.agentAudio(loud, 10_400)).toBeUndefined();
    // Barge-in: someone interrupts, TEN flushes, then answers the interruption.
    timer.flushed();
    const lastLoud = speak(timer, 10_500, 600);
    expect(timer.agentAudio(loud, lastLoud + 1_200)).toBeCloseTo(1.2, 6);
  });

  it('does not take something the agent says long after as the answer', () => {
    const timer = new ResponseTimer();
    const lastLoud = speak(timer, 0, 500);
    expect(timer.agentAudio(loud, lastLoud + 45_000)).toBeUndefined();
  });
});
