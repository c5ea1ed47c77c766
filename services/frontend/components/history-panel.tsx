'use client';

import { useEffect, useState } from 'react';
import { api } from './api.ts';

interface AgentSessionRecord {
  readonly id: string;
  readonly room: string;
  readonly startedAt: string;
  readonly stoppedAt?: string;
  readonly stopReason?: string;
  readonly durationSeconds?: number;
}

interface ToolCallRecord {
  readonly id: string;
  readonly tool: string;
  readonly resultText: string;
  readonly isError: boolean;
  readonly durationMs: number;
  readonly calledAt: string;
}

interface History {
  readonly agentSessions: AgentSessionRecord[];
  readonly toolCalls: ToolCallRecord[];
}

const time = (iso: string) => new Date(iso).toLocaleString();

function duration(seconds: number): string {
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** The signed-in user's agent sessions and tool calls, reloaded whenever `version` changes. */
export function HistoryPanel({ version }: { version: number }) {
  const [history, setHistory] = useState<History>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();

  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    api<History>('/api/history')
      .then((loaded) => {
        if (cancelled) return;
        setHistory(loaded);
        setError(undefined);
      })
      .catch((failure: Error) => !cancelled && setError(failure.message))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [version]);

  return (
    <section className="panel" aria-labelledby="history-heading" aria-busy={loading}>
      <h2 id="history-heading">
        History {loading && <span className="spinner" aria-label="loading" />}
      </h2>
      {error !== undefined && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {history !== undefined && (
        <>
          <h3>Agent sessions</h3>
          {history.agentSessions.length === 0 ? (
            <p className="muted">None yet.</p>
          ) : (
            <div className="table-scroll">
              <table data-testid="agent-history">
                <thead>
                  <tr>
                    <th scope="col">Room</th>
                    <th scope="col">Started</th>
                    <th scope="col">Ended</th>
                    <th scope="col">Duration</th>
                  </tr>
                </thead>
                <tbody>
                  {history.agentSessions.map((session) => (
                    <tr key={session.id}>
                      <td>{session.room}</td>
                      <td>{time(session.startedAt)}</td>
                      <td>{session.stoppedAt !== undefined ? `${time(session.stoppedAt)} (${session.stopReason})` : 'running'}</td>
                      <td>{session.durationSeconds !== undefined ? duration(session.durationSeconds) : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <h3>Tool calls</h3>
          {history.toolCalls.length === 0 ? (
            <p className="muted">None yet.</p>
          ) : (
            <div className="table-scroll">
              <table data-testid="tool-history">
                <thead>
                  <tr>
                    <th scope="col">Tool</th>
                    <th scope="col">When</th>
                    <th scope="col">Result</th>
                  </tr>
                </thead>
                <tbody>
                  {history.toolCalls.map((call) => (
                    <tr key={call.id} className={call.isError ? 'error' : undefined}>
                      <td>{call.tool}</td>
                      <td>{time(call.calledAt)}</td>
                      <td className="clip" title={call.resultText}>
                        {call.isError ? 'failed: ' : ''}
                        {call.resultText}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
