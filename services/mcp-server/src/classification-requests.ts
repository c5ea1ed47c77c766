import type { IncomingMessage } from 'node:http';

/** The headers the SDK's era classification reads besides the body (SEP-2243's standard request headers). */
const CLASSIFYING_HEADERS = ['mcp-protocol-version', 'mcp-method', 'mcp-name'] as const;

/** Distinct header combinations kept; clients send a handful (one per version, method and tool), so this is never reached in use. */
const MAX_KEPT = 256;

/**
 * What the SDK's era classification (`isLegacyRequest`) reads of a request whose body is already
 * parsed: a web Request with its method and the standard headers. Building one costs more than
 * the classification itself (undici validates every part and gives each its own AbortSignal), and
 * the classification only reads it, so one is kept per combination of those headers. Bounded,
 * since the values are the client's: past MAX_KEPT the cache starts over.
 */
export class ClassificationRequests {
  private readonly kept = new Map<string, Request>();

  public for(req: IncomingMessage): Request {
    const values = CLASSIFYING_HEADERS.map((name) => {
      const value = req.headers[name];
      return typeof value === 'string' ? value : undefined;
    });
    const key = JSON.stringify(values);
    let request = this.kept.get(key);
    if (request === undefined) {
      if (this.kept.size >= MAX_KEPT) this.kept.clear();
      const headers = new Headers();
      values.forEach((value, index) => {
        if (value !== undefined) headers.set(CLASSIFYING_HEADERS[index]!, value);
      });
      request = new Request('http://mcp.invalid/mcp', { method: 'POST', headers });
      this.kept.set(key, request);
    }
    return request;
  }
}
