'use client';

import { useCallback, useEffect, useState } from 'react';
import { api } from './api.ts';

interface AgentState {
  readonly running: boolean;
  readonly startedAt?: number;
  /** Whether this user may keep it alive and stop it (they started it, or moderate the room). */
  readonly canControl: boolean;
  readonly pingIntervalMs: number;
}

/**
 * Starts and stops the voice agent for the room, and keeps it alive while this page shows the
 * room (the agent server stops an agent nobody pings).
 */
export function AgentPanel({ room, onChange }: { room: string; onChange: () => void }) {
  const [state, setState] = useState<AgentState>();
  const [busy, setBusy] = useState<'loading' | 'starting' | 'stopping' | undefined>('loading');
  const [error, setError] = useState<string>();

  useEffect(() => {
    let cancelled = false;
    setBusy('loading');
    api<AgentState>(`/api/agent?room=${encodeURIComponent(room)}`)
      .then((loaded) => !cancelled && setState(loaded))
      .catch((failure: Error) => !cancelled && setError(failure.message))
      .finally(() => !cancelled && setBusy(undefined));
    return () => {
      cancelled = true;
    };
  }, [room]);

  // Keep-alive while running, by those who may; a failed ping shows why (e.g. the agent server restarted).
  useEffect(() => {
    if (state?.running !== true || !state.canControl) return;
    const timer = setInterval(() => {
      api<AgentState>('/api/agent/ping', { room })
        .then(setState)
        .catch((failure: Error) => {
          setError(failure.message);
          setState((current) => (current === undefined ? current : { ...current, running: false }));
          onChange();
        });
    }, state.pingIntervalMs);
    return () => clearInterval(timer);
  }, [room, state?.running, state?.canControl, state?.pingIntervalMs, onChange]);

  const act = useCallback(
    async (action: 'start' | 'stop') => {
      setBusy(action === 'start' ? 'starting' : 'stopping');
      setError(undefined);
      try {
        setState(await api<AgentState>(`/api/agent/${action}`, { room }));
      } catch (failure) {
        setError((failure as Error).message);
      } finally {
        setBusy(undefined);
        onChange();
      }
    },
    [room, onChange],
  );

  const running = state?.running === true;
  const othersAgent = running && state?.canControl === false;
  return (
    <div className="agent" aria-live="polite">
      <p data-testid="agent-state">
        Voice agent:{' '}
        {busy === 'loading' ? (
          <span className="muted">checking…</span>
        ) : running ? (
          <strong className="ok">running</strong>
        ) : (
          <strong className="muted">not running</strong>
        )}
        {busy === 'starting' && <span className="muted"> — starting…</span>}
        {busy === 'stopping' && <span className="muted"> — stopping…</span>}
      </p>
      <div className="actions">
        <button type="button" className="primary" onClick={() => void act('start')} disabled={busy !== undefined || running}>
          {busy === 'starting' && <span className="spinner" aria-hidden="true" />} Start agent
        </button>
        <button type="button" onClick={() => void act('stop')} disabled={busy !== undefined || !running || othersAgent}>
          {busy === 'stopping' && <span className="spinner" aria-hidden="true" />} Stop agent
        </button>
      </div>
      {othersAgent && <p className="muted">Someone else started the agent; only they or a moderator of this room can stop it.</p>}
      {error !== undefined && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </div>
  );
}
