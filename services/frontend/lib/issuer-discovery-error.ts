/**
 * The identity provider's discovery failed. undici's own message is only "fetch failed"; the
 * reason (ECONNREFUSED, ENOTFOUND, a timeout, a certificate) is in its cause. The message names
 * OIDC_ISSUER and its value, which is a URL and no secret, so an operator knows what to fix.
 */
export class IssuerDiscoveryError extends Error {
  constructor(
    readonly issuer: string,
    cause: unknown,
  ) {
    super(`cannot discover the identity provider at OIDC_ISSUER=${issuer} (${discoveryUrl(issuer)}): ${describeCause(cause)}`, { cause });
    this.name = 'IssuerDiscoveryError';
  }
}

/** Where openid-client looks for the issuer's metadata. */
function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/** An error and its causes, outermost first: "fetch failed: connect ECONNREFUSED 127.0.0.1:9". */
export function describeCause(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
    // Happy eyeballs tries each address and reports them together, with an empty message.
    const inner = current instanceof AggregateError ? current.errors.map((each: unknown) => describeCause(each)).join('; ') : '';
    const code = (current as NodeJS.ErrnoException).code;
    const message = current.message !== '' ? current.message : inner;
    parts.push(code !== undefined && !message.includes(code) ? `${message} (${code})` : message);
    current = current.cause;
  }
  if (parts.length === 0) parts.push(String(error));
  return parts.filter((part) => part !== '').join(': ');
}
