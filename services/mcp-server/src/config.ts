import { z } from 'zod';

/** Comma-separated list, blanks and repeats dropped (the first of each kept, in order). */
const list = z
  .string()
  .default('')
  .transform((text) => [
    ...new Set(
      text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    ),
  ]);

/** A whole number of `unit`, at least `min` (and at most `max`), with one message for every way it can be wrong. */
function wholeNumber(unit: string, defaultValue: number, min: number, max?: number) {
  const error = max === undefined ? `must be a whole number of ${unit}, at least ${min}` : `must be a whole number from ${min} to ${max} (${unit})`;
  const bounded = z.coerce.number({ error }).int({ error }).min(min, { error });
  return (max === undefined ? bounded : bounded.max(max, { error })).default(defaultValue);
}

/**
 * A number of seconds from 0 to `max`, fractions allowed; blank is refused rather than read as 0
 * (which would quietly mean "do not wait").
 */
function seconds(defaultValue: number, max: number) {
  const error = `must be a number of seconds from 0 to ${max}`;
  return z
    .string({ error })
    .trim()
    .regex(/^(\d+(\.\d*)?|\.\d+)$/, { error })
    .transform(Number)
    .pipe(z.number().max(max, { error }))
    .default(defaultValue);
}

/** The owner of an SSE session is remembered this long in Redis (`src/legacy-sse.ts`); a drain cannot usefully outlast it. */
const SSE_DRAIN_MAX_SECONDS = 24 * 60 * 60;

const configSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  /** `::` accepts IPv4 and IPv6 (Railway's private network is IPv6 in older environments). */
  HOST: z.string().min(1).default('::'),
  /** `caller:token` pairs (or bare tokens), comma-separated so a token can be rotated without downtime. */
  MCP_AUTH_TOKENS: z.string().min(1, 'give at least one token'),
  /** Callers that may name the end user they act for, with the X-End-User-Id header (the console). */
  MCP_TRUSTED_CALLERS: list,
  /** Host header values accepted on the MCP, SSE and REST endpoints. */
  MCP_ALLOWED_HOSTS: list.pipe(z.array(z.string()).min(1, 'give at least one host name')),
  /** Origins accepted when a request carries one; none by default (server-to-server callers send none). */
  MCP_ALLOWED_ORIGINS: list,
  TOOL_CATALOG: z.string().min(1),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL'),
  PIPEDREAM_CLIENT_ID: z.string().min(1).optional(),
  PIPEDREAM_CLIENT_SECRET: z.string().min(1).optional(),
  PIPEDREAM_PROJECT_ID: z.string().min(1).optional(),
  PIPEDREAM_PROJECT_ENVIRONMENT: z.enum(['development', 'production']).default('production'),
  PIPEDREAM_BASE_URL: z.url().default('https://api.pipedream.com'),
  /** Tool-protocol messages per minute, per caller (per end user for trusted callers), per replica. */
  RATE_LIMIT_PER_MINUTE: wholeNumber('messages', 600, 1),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  /** How deep a tool call's arguments may nest (the arguments object is level 1). */
  ARGUMENT_MAX_DEPTH: wholeNumber('levels of nesting', 32, 1, 1000),
  /** How large a tool call's arguments may be, as JSON. */
  ARGUMENT_MAX_BYTES: wholeNumber('bytes', 64 * 1024, 256),
  /** How long a request body may take to arrive once its headers have been accepted. */
  BODY_TIMEOUT_MS: wholeNumber('milliseconds', 10_000, 100),
  /** How long a client may take to send its request headers. */
  HEADERS_TIMEOUT_MS: wholeNumber('milliseconds', 10_000, 100),
  /** How long an idle keep-alive connection stays open; longer than the proxies' in front (60 s for nginx and most load balancers). */
  KEEP_ALIVE_TIMEOUT_MS: wholeNumber('milliseconds', 65_000, 100),
  AUDIT_BUFFER_MAX: z.coerce.number().int().min(100).default(100_000),
  /** /ready turns 503 when the oldest audit record not yet written is older than this. */
  AUDIT_MAX_LAG_MS: wholeNumber('milliseconds', 30_000, 100),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(15_000),
  /**
   * How long SIGTERM keeps serving the legacy SSE streams this replica holds (the TEN agent keeps
   * one per voice session for the whole call) before closing the ones still open; 0 closes them at once.
   */
  SSE_DRAIN_TIMEOUT_SECONDS: seconds(1800, SSE_DRAIN_MAX_SECONDS),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.output<typeof configSchema>;

/** A configuration problem, named by the variable, with no value in the message. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the configuration from environment variables. Throws a ConfigError that
 * names the variable; values are never repeated, since most of them are secrets.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    const message = issue.code === 'invalid_type' && env[name] === undefined ? 'is not set' : issue.message;
    return `${name} ${message}`;
  });
  // One variable can break several rules with the same message; say it once.
  throw new ConfigError(`invalid configuration: ${[...new Set(problems)].join('; ')}`);
}

/** Pipedream Connect credentials, present only when every one is set. */
export function pipedreamCredentials(config: Config) {
  const { PIPEDREAM_CLIENT_ID, PIPEDREAM_CLIENT_SECRET, PIPEDREAM_PROJECT_ID } = config;
  if (PIPEDREAM_CLIENT_ID === undefined || PIPEDREAM_CLIENT_SECRET === undefined || PIPEDREAM_PROJECT_ID === undefined) {
    return undefined;
  }
  return {
    clientId: PIPEDREAM_CLIENT_ID,
    clientSecret: PIPEDREAM_CLIENT_SECRET,
    projectId: PIPEDREAM_PROJECT_ID,
    projectEnvironment: config.PIPEDREAM_PROJECT_ENVIRONMENT,
    baseUrl: config.PIPEDREAM_BASE_URL,
  };
}
