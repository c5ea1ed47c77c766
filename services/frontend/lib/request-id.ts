import { randomUUID } from 'node:crypto';
import { RequestRefused } from './request-refused.ts';

const REQUEST_ID = /^[A-Za-z0-9_-]{8,100}$/;

/**
 * The client's id for one user action, from the Idempotency-Key header (the browser sends one per
 * action and the same one on a retry). Without one, every request is its own action. Not the id
 * of one HTTP request in the log (`requestId`, from X-Request-Id: http-request-id.ts); its log
 * field is `idempotencyKey`.
 */
export function requestIdOf(request: Request): string {
  const header = request.headers.get('idempotency-key');
  if (header === null) return randomUUID();
  if (!REQUEST_ID.test(header)) throw new RequestRefused(400, 'The Idempotency-Key header must be 8 to 100 letters, digits, dashes or underscores.');
  return header;
}
