/**
 * Server-sent events (the WHATWG `text/event-stream` format), the small part the console needs:
 * reading the agent bridge's stream and writing the browser's. Only `event:` and `data:` fields
 * matter here; `id:` and `retry:` are ignored, comments (heartbeats) are reported as such.
 */

export type SseMessage = { readonly kind: 'event'; readonly event: string; readonly data: string } | { readonly kind: 'comment' };

/** Turns chunks of UTF-8 text into messages; keeps a partial line until its end arrives. */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  /** The messages completed by this chunk, in order. */
  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const messages: SseMessage[] = [];
    // A line ends at CRLF, LF or CR; a CR at the very end may be the first half of a CRLF.
    const lines = this.buffer.split(/\r\n|\n|\r(?!$)/);
    this.buffer = lines.pop() ?? '';
    for (const line of lines) {
      const message = this.line(line);
      if (message !== undefined) messages.push(message);
    }
    return messages;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') {
      // A blank line dispatches the event; one without data is dropped, as browsers do.
      const message: SseMessage | undefined = this.data.length > 0 ? { kind: 'event', event: this.event === '' ? 'message' : this.event, data: this.data.join('\n') } : undefined;
      this.event = '';
      this.data = [];
      return message;
    }
    if (line.startsWith(':')) return { kind: 'comment' };
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    return undefined;
  }
}

/** One event as the browser's EventSource reads it; `data` is JSON, so it has no line breaks. */
export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: keeps the connection (and any proxy on the way) from going idle. */
export function sseComment(text: string): string {
  return `: ${text}\n\n`;
}
