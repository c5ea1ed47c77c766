import { pino, type DestinationStream, type Logger } from 'pino';

const REDACTED = '[redacted]';

/** Path segments after which the legacy SSE transport carries its token (`/sse/<token>`, `/messages/<token>`). */
const TOKEN_PATH_SEGMENTS = new Set(['sse', 'messages']);

/**
 * Query parameter names that look like they carry a credential, matched anywhere in the name
 * and in any case (`access_token`, `X-Amz-Signature`, `apiKey`, `sessionId`, …). A harmless
 * parameter caught by it (`keyword`) only loses its value in the log.
 */
const CREDENTIAL_PARAMETER = /token|key|secret|passw|pwd|auth|sig|code|session|credential|jwt|bearer|cookie/i;

/**
 * A value this long could be a token whatever it is called or wherever it sits (our tokens have at
 * least 16 characters): it is redacted too. No route of this server has a path segment so long.
 */
const TOKEN_LENGTH = 16;

/**
 * A request target as it may be logged: the token of an SSE path, every path segment and query
 * value long enough to be a token, and the value of every credential-looking query parameter
 * replaced by `[redacted]`, and any fragment dropped. The one place URLs are made safe to log.
 * Paths are matched however they are spelled (any case, doubled or back slashes,
 * percent-encoded, absolute-form), since a token sent in the wrong place is still a token.
 */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const fragmentAt = url.indexOf('#');
  const target = fragmentAt === -1 ? url : url.slice(0, fragmentAt);
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = queryAt === -1 ? undefined : target.slice(queryAt + 1);
  return `${redactPath(path)}${query === undefined ? '' : `?${redactQuery(query)}`}${fragmentAt === -1 ? '' : `#${REDACTED}`}`;
}

/** Everything after an `sse` or `messages` segment is the token (which may itself hold a slash). */
function redactPath(path: string): string {
  // Even indexes are segments, odd ones the separators between them.
  const parts = path.split(/([/\\]+)/);
  for (let index = 0; index + 2 < parts.length; index += 2) {
    if (!TOKEN_PATH_SEGMENTS.has(decoded(parts[index]!).toLowerCase())) continue;
    if (parts.slice(index + 2).join('') !== '') return `${parts.slice(0, index + 2).join('')}${REDACTED}`;
  }
  return parts.map((part, index) => (index % 2 === 0 && decoded(part).length >= TOKEN_LENGTH ? REDACTED : part)).join('');
}

function redactQuery(query: string): string {
  return query
    .split(/([&;])/)
    .map((pair, index) => {
      if (index % 2 === 1) return pair;
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      const value = equals === -1 ? '' : pair.slice(equals + 1);
      if (decoded(name).length >= TOKEN_LENGTH) return REDACTED;
      if (!CREDENTIAL_PARAMETER.test(decoded(name)) && decoded(value).length < TOKEN_LENGTH) return pair;
      return `${name}=${REDACTED}`;
    })
    .join('');
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Bytes of log lines gathered before they are written to stdout… */
const LOG_BUFFER_BYTES = 4096;
/** …or after this long, whichever comes first. */
const LOG_FLUSH_MS = 100;

/**
 * Where the server's lines go when no destination is given: stdout, written asynchronously as
 * pino's default does, but in chunks of up to LOG_BUFFER_BYTES at least every LOG_FLUSH_MS
 * rather than one write (a trip through libuv's thread pool) per line, which cost a tool call
 * more CPU than building its line. pino writes what is left synchronously when the process
 * exits (also after an uncaught exception), so only a kill (SIGKILL, the OOM killer) can lose
 * lines: those of the last LOG_FLUSH_MS.
 */
function bufferedStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES, periodicFlush: LOG_FLUSH_MS });
}

/**
 * Structured logs: one JSON object per line on stdout. Anything that can hold a token or a secret
 * is redacted: authorization headers, cookies, tokens in SSE paths and credential-looking query
 * parameters (`redactUrl`); tool arguments and results are never logged.
 */
export function createLogger(level: string, destination: DestinationStream = bufferedStdout()): Logger {
  return pino(
    {
      level,
      // The log format of every service we build; services/jitsi-agent-bridge/src/logger.ts and
      // services/frontend/lib/logger.ts have the same three lines and must keep them the same
      // (test/services/log-format.test.ts compares what the three write).
      base: { service: 'mcp-server' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-end-user-id"]', 'res.headers["set-cookie"]', '*.token', '*.password', '*.secret'],
        censor: REDACTED,
      },
    },
    destination,
  );
}
