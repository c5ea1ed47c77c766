/** How long a client should wait before asking again when a start is refused for capacity. */
export const RETRY_AFTER_SECONDS = 15;

/**
 * An error a caller of the HTTP API sees: its status and a sentence that says what is wrong.
 * `outcome` labels the failed start in the metrics. Messages never hold a token or a JWT.
 */
export class BridgeError extends Error {
  readonly status: number;
  readonly outcome: string;
  /** Seconds a client should wait before trying again (sent as Retry-After). */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, message: string, outcome = 'error', retryAfterSeconds?: number) {
    super(message);
    this.name = 'BridgeError';
    this.status = status;
    this.outcome = outcome;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Any thrown value as a BridgeError: unknown failures are the bridge's own (500). */
export function asBridgeError(error: unknown, fallback: (message: string) => BridgeError = (message) => new BridgeError(500, message)): BridgeError {
  if (error instanceof BridgeError) return error;
  return fallback(error instanceof Error ? error.message : String(error));
}
