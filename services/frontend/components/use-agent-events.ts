'use client';

import { useEffect, useRef, useState } from 'react';
import type { AgentView, TranscriptLine } from './agent-types.ts';

export interface AgentEventHandlers {
  readonly onState: (agent: AgentView) => void;
  readonly onTranscript: (line: TranscriptLine) => void;
  /** The stream closed for good (the console answered an error, e.g. no agent in the room any more). */
  readonly onClosed: () => void;
}

/**
 * Listens to the room's agent events (`/api/agent/events`) while `listening` is true, and says
 * whether the stream is connected. The browser's EventSource reconnects by itself after a
 * dropped connection; an answer that is not a stream (404, 502…) closes it, and `onClosed` lets
 * the panel ask why.
 */
export function useAgentEvents(room: string, listening: boolean, handlers: AgentEventHandlers): boolean {
  const [connected, setConnected] = useState(false);
  // The latest handlers, without reopening the stream each time the panel renders.
  const latest = useRef(handlers);
  latest.current = handlers;

  useEffect(() => {
    if (!listening) return;
    const source = new EventSource(`/api/agent/events?room=${encodeURIComponent(room)}`);
    source.addEventListener('open', () => setConnected(true));
    const parse = (event: Event) => JSON.parse((event as MessageEvent<string>).data) as unknown;
    source.addEventListener('state', (event) => latest.current.onState(parse(event) as AgentView));
    source.addEventListener('transcript', (event) => latest.current.onTranscript(parse(event) as TranscriptLine));
    source.addEventListener('error', () => {
      setConnected(false);
      if (source.readyState === EventSource.CLOSED) latest.current.onClosed();
    });
    return () => {
      source.close();
      setConnected(false);
    };
  }, [room, listening]);
  return connected;
}
