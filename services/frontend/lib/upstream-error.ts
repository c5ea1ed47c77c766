/**
 * A failure of a service the console depends on (the TEN agent server, the MCP server), with a
 * message a user can act on and the HTTP status the console answers with. Never holds details.
 */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'UpstreamError';
  }
}
