/**
 * A failure of a service the console depends on (the agent bridge, the MCP server), with a
 * message a user can act on and the HTTP status the console answers with. Never holds details.
 */
export class UpstreamError extends Error {
  /** Response headers to pass on, such as the service's Retry-After. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    message: string,
    readonly status: number,
    options?: ErrorOptions & { readonly headers?: Readonly<Record<string, string>> },
  ) {
    super(message, options);
    this.name = 'UpstreamError';
    this.headers = options?.headers ?? {};
  }
}
