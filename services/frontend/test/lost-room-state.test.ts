import { describe, expect, it } from 'vitest';
import { recordState } from '../../jitsi-agent-bridge/src/placement/record-state.ts';
import { isRunning, parseRoomState } from '../lib/agent-bridge.ts';
import { agentView } from '../lib/agent-view.ts';

/**
 * A room lost with its bridge replica, as any bridge replica answers it (the bridge's own
 * recordState): the console reads it, shows it ended, and says why.
 */
describe('a room lost with its bridge replica', () => {
  const lost = recordState(
    {
      room: 'order-desk',
      sessionId: 'session-1',
      replicaId: 'bridge-1',
      graph: 'voice_agent',
      state: 'active',
      startedAt: '2026-12-02T10:00:00.000Z',
      ten: { name: 'ten-agent-0', port: 8800 },
      lastError: null,
    },
    "bridge replica bridge-1 stopped without ending the agent's session session-1",
  );

  it('is a state the console understands, and an ended one', () => {
    const state = parseRoomState(JSON.parse(JSON.stringify(lost)));
    expect(state).toBeDefined();
    expect(state?.state).toBe('lost');
    expect(isRunning(state)).toBe(false);
    expect(agentView(state!)).toMatchObject({ state: 'lost', lastError: "bridge replica bridge-1 stopped without ending the agent's session session-1" });
  });
});
