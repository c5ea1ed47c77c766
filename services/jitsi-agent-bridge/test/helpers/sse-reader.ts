/**
 * Reads a text/event-stream over fetch, as a browser's EventSource would, keeping every event
 * and comment in order, until the server ends the stream or `close()`.
 */

export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

export class SseReader {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  contentType = '';
  /** Resolves when the server ended the stream (or close() aborted it). */
  readonly ended: Promise<void>;
  private readonly abort = new AbortController();
  private ready!: () => void;
  /** Resolves once the response headers arrived. */
  readonly opened = new Promise<void>((resolve) => (this.ready = resolve));

  constructor(url: string, headers: Record<string, string>) {
    this.ended = this.read(url, headers);
  }

  private async read(url: string, headers: Record<string, string>): Promise<void> {
    try {
      const response = await fetch(url, { headers, signal: this.abort.signal });
      this.status = response.status;
      this.contentType = response.headers.get('content-type') ?? '';
      this.ready();
      if (response.body === null) return;
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          this.parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    } finally {
      this.ready();
    }
  }

  private parse(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length > 0) this.events.push({ event, data: JSON.parse(data.join('\n')) });
  }

  close(): Promise<void> {
    this.abort.abort();
    return this.ended;
  }
}
