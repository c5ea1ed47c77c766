import { describe, expect, it } from 'vitest';
import { SseParser, sseComment, sseEvent } from '../lib/sse.ts';

/** The console reads the bridge's event stream in whatever chunks the network cuts it into. */
describe('server-sent events', () => {
  it('reads events and comments cut anywhere, with LF, CRLF or CR line ends', () => {
    const text = 'event: state\r\ndata: {"a":1}\r\n\r\n: heartbeat\n\nevent: transcript\rdata: {"text":"hi"}\r\rdata: plain\ndata: second line\n\n';
    const whole = new SseParser().push(text);
    expect(whole).toEqual([
      { kind: 'event', event: 'state', data: '{"a":1}' },
      { kind: 'comment' },
      { kind: 'event', event: 'transcript', data: '{"text":"hi"}' },
      { kind: 'event', event: 'message', data: 'plain\nsecond line' },
    ]);
    // Every way of cutting it in two gives the same messages.
    for (let cut = 1; cut < text.length; cut += 1) {
      const parser = new SseParser();
      expect([...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))], `cut at ${cut}`).toEqual(whole);
    }
  });

  it('keeps an event until its blank line, and drops one without data', () => {
    const parser = new SseParser();
    expect(parser.push('event: state\ndata: {}\n')).toEqual([]);
    expect(parser.push('\nevent: nothing\n\nid: 7\nretry: 10\ndata:x\n\n')).toEqual([
      { kind: 'event', event: 'state', data: '{}' },
      { kind: 'event', event: 'message', data: 'x' },
    ]);
  });

  it('writes what it reads', () => {
    const parser = new SseParser();
    expect(parser.push(sseEvent('transcript', { text: 'two\nlines' }) + sseComment('heartbeat'))).toEqual([
      { kind: 'event', event: 'transcript', data: '{"text":"two\\nlines"}' },
      { kind: 'comment' },
    ]);
  });
});
