'use client';

import { useCallback, useEffect, useState } from 'react';
import { isFinalState, type AgentBody, type AgentRunState, type AgentView, type TranscriptLine } from './agent-types.ts';
import { api } from './api.ts';
import { Transcript, withLine } from './transcript.tsx';
import { useAgentEvents } from './use-agent-events.ts';

const STATE_LABEL: Record<AgentRunState, string> = {
  starting: 'joining the room…',
  active: 'in the room',
  stopping: 'leaving the room…',
  stopped: 'not in the room',
  failed: 'failed',
  lost: 'lost (its bridge replica stopped); start it again',
};

/** The same answer with the agent's newer state from the event stream. */
function withAgent(body: AgentBody, agent: AgentView): AgentBody {
  return { ...body, agent, running: !isFinalState(agent.state) };
}

/**
 * The voice agent in the room: brings it in and takes it out (through the console, which asks
 * the agent bridge), and shows live what the bridge reports: its state, whom it hears, what it
 * last heard and said, its last error, and the transcript as it happens.
 */
export function AgentPanel({ room, onChange }: { room: string; onChange: () => void }) {
  const [body, setBody] = useState<AgentBody>();
  const [busy, setBusy] = useState<'loading' | 'starting' | 'stopping' | undefined>('loading');
  const [error, setError] = useState<string>();
  const [lines, setLines] = useState<TranscriptLine[]>([]);

  const load = useCallback(async () => {
    try {
      setBody(await api<AgentBody>(`/api/agent?room=${encodeURIComponent(room)}`));
    } catch (failure) {
      setError((failure as Error).message);
    }
  }, [room]);

  useEffect(() => {
    setBusy('loading');
    setLines([]);
    void load().finally(() => setBusy(undefined));
  }, [load]);

  const live = useAgentEvents(room, body?.running === true, {
    onState: (agent) => {
      setBody((current) => (current === undefined ? current : withAgent(current, agent)));
      // The session ended (stopped here, or by the bridge: the room emptied): history has it now.
      if (isFinalState(agent.state)) onChange();
    },
    onTranscript: (line) => setLines((current) => withLine(current, line)),
    onClosed: () => void load().then(onChange),
  });

  const act = useCallback(
    async (action: 'start' | 'stop') => {
      setBusy(action === 'start' ? 'starting' : 'stopping');
      setError(undefined);
      if (action === 'start') setLines([]);
      try {
        setBody(await api<AgentBody>(`/api/agent/${action}`, { room }));
      } catch (failure) {
        // What the bridge has now (e.g. an agent that joined after all), under the reason it failed.
        await load();
        setError((failure as Error).message);
      } finally {
        setBusy(undefined);
        onChange();
      }
    },
    [room, onChange, load],
  );

  const agent = body?.agent ?? null;
  const running = body?.running === true;
  const othersAgent = running && body?.canControl === false;
  const label = busy === 'loading' ? 'checking…' : busy === 'starting' ? STATE_LABEL.starting : busy === 'stopping' ? STATE_LABEL.stopping : STATE_LABEL[agent?.state ?? 'stopped'];
  const heard = lines.findLast((line) => line.role === 'user' && line.final)?.text ?? agent?.lastHeard ?? null;
  const said = lines.findLast((line) => line.role === 'assistant' && line.final)?.text ?? agent?.lastSaid ?? null;

  return (
    <div className="agent">
      <p data-testid="agent-state" role="status">
        Voice agent:{' '}
        <strong className={agent?.state === 'active' && busy === undefined ? 'ok' : agent?.state === 'failed' || agent?.state === 'lost' ? 'error' : 'muted'}>
          {busy !== undefined && busy !== 'loading' && <span className="spinner" aria-hidden="true" />} {label}
        </strong>
      </p>
      {agent !== null && (
        <dl className="agent-facts">
          <dt>Hears</dt>
          <dd data-testid="agent-participants">{running ? (agent.participants.length > 0 ? agent.participants.map((person) => person.displayName).join(', ') : 'nobody yet') : '—'}</dd>
          <dt>Last heard</dt>
          <dd data-testid="agent-last-heard">{heard ?? '—'}</dd>
          <dt>Last said</dt>
          <dd data-testid="agent-last-said">{said ?? '—'}</dd>
          {agent.lastError !== null && (
            <>
              <dt>Last error</dt>
              <dd data-testid="agent-last-error" className="error">
                {agent.lastError}
              </dd>
            </>
          )}
        </dl>
      )}
      <div className="actions">
        <button type="button" className="primary" onClick={() => void act('start')} disabled={busy !== undefined || running}>
          Start agent
        </button>
        <button type="button" onClick={() => void act('stop')} disabled={busy !== undefined || !running || othersAgent}>
          Stop agent
        </button>
      </div>
      {othersAgent && <p className="muted">Someone else started the agent; only they or a moderator of this room can stop it.</p>}
      {error !== undefined && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {(running || lines.length > 0) && <Transcript lines={lines} stream={live ? 'live' : running ? 'connecting' : 'ended'} />}
    </div>
  );
}
