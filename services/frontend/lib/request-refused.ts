/**
 * A request the console refuses because of the request itself (too large, not JSON, too many,
 * not allowed), with the status and a sentence the caller can act on.
 */
export class RequestRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, such as Retry-After or Connection: close. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'RequestRefused';
  }
}
