import { describe, expect, it } from 'vitest';
import type { TranscriptLine } from '../components/agent-types.ts';
import { withLine } from '../components/transcript.tsx';

const line = (role: TranscriptLine['role'], text: string, final: boolean, at: string): TranscriptLine => ({ role, text, final, at });

describe('the transcript the console shows', () => {
  it('replaces an interim line of the same role with the next one and keeps the other role apart', () => {
    let lines: TranscriptLine[] = [];
    lines = withLine(lines, line('user', 'Where', false, '2026-12-02T10:00:00.000Z'));
    lines = withLine(lines, line('user', 'Where is my order?', true, '2026-12-02T10:00:01.000Z'));
    lines = withLine(lines, line('assistant', 'Your', false, '2026-12-02T10:00:02.000Z'));
    lines = withLine(lines, line('user', 'Thanks', false, '2026-12-02T10:00:03.000Z'));
    expect(lines.map(({ role, text }) => `${role}: ${text}`)).toEqual(['user: Where is my order?', 'assistant: Your', 'user: Thanks']);
  });

  it('skips a final line it already shows, as a reconnected stream replays them', () => {
    const greeting = line('assistant', 'Hello, how can I help?', true, '2026-12-02T10:00:00.000Z');
    const question = line('user', 'Where is my order?', true, '2026-12-02T10:00:01.000Z');
    let lines = [greeting, question, line('user', 'And', false, '2026-12-02T10:00:02.000Z')];
    for (const replayed of [greeting, question]) lines = withLine(lines, replayed);
    expect(lines).toEqual([greeting, question, line('user', 'And', false, '2026-12-02T10:00:02.000Z')]);
    // The same words said again later are a new line.
    const again = line('user', 'Where is my order?', true, '2026-12-02T10:00:09.000Z');
    expect(withLine(lines, again).at(-1)).toEqual(again);
  });
});
