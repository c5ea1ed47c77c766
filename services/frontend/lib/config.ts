import { z } from 'zod';

/** A whole number in a range, from an environment variable; the message never repeats the value. */
function wholeNumber(min: number, max: number, defaultValue: number) {
  const range = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error: range }).int(range).min(min, range).max(max, range).default(defaultValue);
}

/** Identity-provider subjects, comma-separated; blanks dropped. */
const subjectList = z
  .string()
  .default('')
  .transform((text, context) => {
    const subjects = text
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    subjects.forEach((subject, index) => {
      if (subject.length > 255) context.addIssue({ code: 'custom', message: `entry ${index + 1} is longer than 255 characters` });
    });
    return subjects;
  });

/**
 * The console's configuration, from environment variables, validated once. Errors name the
 * variable and never repeat its value (most are secrets).
 */
const configSchema = z.object({
  /** The console's own public origin, e.g. https://console.example.com: OIDC redirects come back here. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }),
  /** OpenID Connect issuer (discovery at <issuer>/.well-known/openid-configuration). */
  OIDC_ISSUER: z.url({ protocol: /^https?$/ }),
  OIDC_CLIENT_ID: z.string().min(1),
  OIDC_CLIENT_SECRET: z.string().min(1),
  OIDC_SCOPES: z.string().default('openid profile email'),
  /** Signs the session cookie (HMAC-SHA256); at least 32 characters. */
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters'),
  SESSION_TTL_SECONDS: z.coerce.number().int().min(60).default(8 * 60 * 60),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL'),
  /** The MCP server's Streamable HTTP endpoint, e.g. http://mcp-server:8080/mcp. */
  MCP_SERVER_URL: z.url({ protocol: /^https?$/ }),
  /** The console's bearer token at the MCP server (caller "console"). */
  MCP_CONSOLE_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  /**
   * The Jitsi agent bridge's controller API, e.g. http://jitsi-agent-bridge:8090: it puts the
   * voice agent into a room, runs its TEN session and reports its state and transcript.
   */
  AGENT_BRIDGE_URL: z.url({ protocol: /^https?$/ }),
  /** The bearer token the bridge requires (its BRIDGE_API_TOKEN). Never logged, never sent to the browser. */
  AGENT_BRIDGE_TOKEN: z.string().min(32, 'must be at least 32 characters'),
  /** Jitsi Meet's public URL, e.g. https://meet.example.com (external_api.js is loaded from it). */
  JITSI_PUBLIC_URL: z.url({ protocol: /^https?$/ }),
  /** Room JWT claims: iss (= Jitsi's JWT_APP_ID), aud (one of JWT_ACCEPTED_AUDIENCES), sub (the XMPP domain). */
  JITSI_JWT_APP_ID: z.string().min(1),
  JITSI_JWT_AUDIENCE: z.string().min(1),
  JITSI_JWT_SUBJECT: z.string().min(1).default('meet.jitsi'),
  JITSI_JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(24 * 60 * 60).default(15 * 60),
  /** The HS256 key Jitsi's prosody checks room tokens with. Never reaches the browser. */
  JWT_APP_SECRET: z.string().min(16, 'must be at least 16 characters'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest JSON request body read, in bytes; larger ones get 413 without being read. */
  BODY_LIMIT_BYTES: wholeNumber(1024, 10 * 1024 * 1024, 64 * 1024),
  /** Requests per minute one signed-in user may make, counted in Redis across replicas. */
  RATE_LIMIT_USER_PER_MINUTE: wholeNumber(1, 100_000, 120),
  /** Requests per minute from one client address without a session (sign-in, probes, the smoke test). */
  RATE_LIMIT_ADDRESS_PER_MINUTE: wholeNumber(1, 100_000, 60),
  /**
   * How many reverse proxies in front of the console append the peer address to X-Forwarded-For;
   * the client address is the entry this far from the right (Next.js's server fills the header
   * only when a request has none, so a direct client could write it).
   */
  TRUSTED_PROXY_HOPS: wholeNumber(1, 10, 1),
  /** The smoke test (/api/mcp/test) answers from one MCP round trip per this many seconds. */
  MCP_PROBE_CACHE_SECONDS: wholeNumber(1, 3600, 15),
  /** How long a tool call's outcome is kept for a retry with the same request id. */
  TOOL_CALL_REPLAY_SECONDS: wholeNumber(60, 7 * 24 * 60 * 60, 24 * 60 * 60),
  /** A room's owner stays its owner this long after the owner last used it. */
  ROOM_OWNER_TTL_SECONDS: wholeNumber(60, 30 * 24 * 60 * 60, 24 * 60 * 60),
  /**
   * The private port of the Prometheus metrics (GET /metrics), on the console's host; never the
   * public port. 0 turns the listener off.
   */
  METRICS_PORT: wholeNumber(0, 65_535, 9464),
  /** Identity-provider subjects who moderate every room (comma-separated). */
  CONSOLE_ADMINS: subjectList,
});

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    const message = issue.code === 'invalid_type' && env[name] === undefined ? 'is not set' : issue.message;
    return `${name} ${message}`;
  });
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}
