import { hash, timingSafeEqual } from 'node:crypto';
import { bearerAuthChallengeResponse, OAuthError, OAuthErrorCode, verifyBearerToken, type AuthInfo, type VerifyBearerTokenOptions } from '@modelcontextprotocol/server';
import { ConfigError } from './config.ts';
import type { Guard } from './http-guards.ts';

/** Who may call tools: a named caller holding one of the configured tokens. */
export interface Caller {
  readonly name: string;
  readonly tokenDigest: Buffer;
}

/** Shortest token accepted: shorter ones can be guessed. */
const MIN_TOKEN_LENGTH = 16;
const CALLER_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** Pipedream caps external user ids at 250 characters. */
const END_USER_ID = /^[\x21-\x7e]{1,250}$/;
/** Static service tokens never expire; the SDK's bearer middleware still wants a number. */
const NEVER = Number.MAX_SAFE_INTEGER;

/**
 * Parses MCP_AUTH_TOKENS: comma-separated `caller:token` pairs (a bare token is caller
 * `caller-N`). A caller may hold several tokens, so one can be rotated while the other works.
 */
export function parseCallers(text: string): Caller[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item, index) => {
      const separator = item.indexOf(':');
      const name = separator === -1 ? `caller-${index + 1}` : item.slice(0, separator);
      const token = separator === -1 ? item : item.slice(separator + 1);
      if (!CALLER_NAME.test(name)) throw new ConfigError(`MCP_AUTH_TOKENS entry ${index + 1} has an invalid caller name`);
      if (token.length < MIN_TOKEN_LENGTH) {
        throw new ConfigError(`MCP_AUTH_TOKENS entry ${index + 1} (caller "${name}") is shorter than ${MIN_TOKEN_LENGTH} characters`);
      }
      return { name, tokenDigest: digest(token) };
    });
}

/** One-shot, as it runs for every request: a Hash object per token would cost several times more. */
function digest(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/**
 * Finds the caller holding a token. Compares digests in constant time and always checks every
 * caller, so timing reveals neither the token nor which entry matched.
 */
export function findCaller(callers: readonly Caller[], token: string): Caller | undefined {
  const presented = digest(token);
  let found: Caller | undefined;
  for (const caller of callers) {
    if (timingSafeEqual(presented, caller.tokenDigest) && found === undefined) found = caller;
  }
  return found;
}

/** The verifier for the SDK's bearer middleware: a known token becomes the caller's AuthInfo. */
export function tokenVerifier(callers: readonly Caller[]) {
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const caller = findCaller(callers, token);
      // An OAuthError, so the bearer middleware answers 401 (anything else would be a 500).
      if (caller === undefined) throw new OAuthError(OAuthErrorCode.InvalidToken, 'Unknown token');
      return { token, clientId: caller.name, scopes: [], expiresAt: NEVER };
    },
  };
}

/**
 * Requires a known bearer token, and makes its caller the request's `auth`. Refusals are the SDK's
 * own (what its Express `requireBearerAuth` answers): 401 with a `WWW-Authenticate: Bearer`
 * challenge and an OAuth error body, or 500 if verifying failed for another reason.
 */
export function bearerAuth(callers: readonly Caller[]): Guard {
  const options: VerifyBearerTokenOptions = { verifier: tokenVerifier(callers), requiredScopes: [] };
  return async (req) => {
    try {
      req.auth = await verifyBearerToken(req.headers.authorization, options);
      return undefined;
    } catch (error) {
      const challenge = bearerAuthChallengeResponse(error, options);
      const wwwAuthenticate = challenge.headers.get('WWW-Authenticate');
      const oauthError = error instanceof OAuthError ? error : new OAuthError(OAuthErrorCode.ServerError, 'Internal Server Error');
      return {
        status: challenge.status,
        body: oauthError.toResponseObject(),
        ...(wwwAuthenticate !== null ? { headers: { 'WWW-Authenticate': wwwAuthenticate } } : {}),
      };
    }
  };
}

/**
 * The Pipedream Connect external user a call acts for. Trusted callers (the console) name the
 * signed-in user in X-End-User-Id; every other caller acts as itself. The model's arguments never
 * choose it. Returns undefined when a trusted caller sends a malformed header.
 */
export function externalUserId(caller: string, trustedCallers: readonly string[], endUserHeader: string | undefined): string | undefined {
  if (endUserHeader === undefined || !trustedCallers.includes(caller)) return caller;
  // A malformed header from a trusted caller is a bug there; refuse rather than guess.
  return END_USER_ID.test(endUserHeader) ? endUserHeader : undefined;
}
