'use client';

import { useEffect, useId, useRef } from 'react';
import type { TranscriptLine } from './agent-types.ts';

/** Lines kept on the page; older ones scroll away. */
const MAX_LINES = 100;

/**
 * The transcript with `line` added: an interim line of the same role is replaced, not repeated,
 * and a final line already shown is skipped (a reconnected stream replays the final lines so far).
 */
export function withLine(lines: readonly TranscriptLine[], line: TranscriptLine): TranscriptLine[] {
  if (line.final && lines.some((shown) => shown.final && shown.role === line.role && shown.at === line.at && shown.text === line.text)) return [...lines];
  const open = lines.findLastIndex((candidate) => candidate.role === line.role);
  const replacing = open !== -1 && !(lines[open] as TranscriptLine).final;
  const next = replacing ? lines.toSpliced(open, 1, line) : [...lines, line];
  return next.slice(-MAX_LINES);
}

const SPEAKER = { user: 'Heard', assistant: 'Said' } as const;
const STREAM_LABEL = { live: 'live', connecting: 'connecting…', ended: 'ended' } as const;

/**
 * What the agent heard in the room and what it said, as it happens (`stream`: whether lines
 * are still coming). A log region: screen readers announce new lines politely; interim lines
 * are shown faded until the final one.
 */
export function Transcript({ lines, stream }: { lines: readonly TranscriptLine[]; stream: 'live' | 'connecting' | 'ended' }) {
  const headingId = useId();
  const list = useRef<HTMLDivElement>(null);
  // Follow the conversation: the newest line stays in view.
  useEffect(() => {
    if (list.current !== null) list.current.scrollTop = list.current.scrollHeight;
  }, [lines]);
  return (
    <div className="transcript">
      <h3 id={headingId}>
        Transcript <span className={stream === 'live' ? 'badge ok' : 'badge muted'}>{STREAM_LABEL[stream]}</span>
      </h3>
      {lines.length === 0 && <p className="muted">Nothing heard or said yet.</p>}
      {/* Focusable, so keyboard users can scroll it too. */}
      <div ref={list} className="transcript-lines" role="log" aria-live="polite" aria-labelledby={headingId} data-testid="transcript" data-stream={stream} tabIndex={0}>
        <ol>
          {lines.map((line, index) => (
            <li key={`${index}-${line.at}`} className={`line ${line.role}${line.final ? '' : ' interim'}`}>
              <span className="speaker">{SPEAKER[line.role]}:</span> <span className="text">{line.text}</span>
              {!line.final && <span className="visually-hidden"> (not final yet)</span>}
            </li>
          ))}
        </ol>
      </div>
    </div>
  );
}
