import { z } from 'zod';
import type { PortRange } from './port-pool.ts';

/** The items of a comma-separated list, blanks and repeats dropped (the first of each kept, in order). */
function listItems(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    ),
  ];
}

const list = z.string().default('').transform(listItems);

const nonEmptyList = (what: string) => list.pipe(z.array(z.string()).min(1, `give at least one ${what}`));

/** A number of seconds, at least `min` (fractions allowed: tests use short grace periods). */
function seconds(defaultValue: number, min: number) {
  const error = `must be a number of seconds, at least ${min}`;
  return z.coerce.number({ error }).min(min, { error }).default(defaultValue);
}

/** A whole number from `min` to `max` (`unit`), with one message for every way it can be wrong. */
function wholeNumber(unit: string, defaultValue: number, min: number, max: number) {
  const error = `must be a whole number from ${min} to ${max} (${unit})`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error }).default(defaultValue);
}

const PORT_RANGE = /^(\d{1,5})(?:-(\d{1,5}))?$/;
const PORT_RANGE_RULE = 'must be a port range first-last (e.g. 8800-8809) with 1 <= first <= last <= 65535';

const portRange = z.string({ error: PORT_RANGE_RULE }).transform((text, context): PortRange => {
  const match = PORT_RANGE.exec(text.trim());
  const first = Number(match?.[1]);
  const last = match?.[2] === undefined ? first : Number(match[2]);
  if (match === null || first < 1 || last > 65_535 || first > last) {
    context.addIssue({ code: 'custom', message: PORT_RANGE_RULE });
    return z.NEVER;
  }
  return { first, last };
});

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).transform((url) => url.replace(/\/+$/, ''));

/** One TEN replica as TEN_AGENT_URLS names it. */
export interface TenReplicaAddress {
  readonly name: string;
  /** The agent server's API, no trailing slash. */
  readonly apiUrl: string;
  /** Where this replica's session websockets listen: the API URL's host. */
  readonly workerHost: string;
}

const TEN_REPLICAS_RULE = 'must be a comma-separated list of http:// URLs of TEN agent servers, each optionally as name=url';
const REPLICA_NAME = /^[A-Za-z0-9[][A-Za-z0-9._:[\]-]{0,99}$/;

const tenReplicas = z.string({ error: 'is not set' }).transform((text, context): TenReplicaAddress[] => {
  const items = listItems(text);
  const replicas: TenReplicaAddress[] = [];
  for (const item of items) {
    const named = /^([^=/]+)=(.+)$/.exec(item);
    let url: URL;
    try {
      url = new URL(named?.[2] ?? item);
    } catch {
      context.addIssue({ code: 'custom', message: TEN_REPLICAS_RULE });
      return z.NEVER;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      context.addIssue({ code: 'custom', message: TEN_REPLICAS_RULE });
      return z.NEVER;
    }
    const workerHost = url.hostname.replace(/^\[|\]$/g, '');
    // An address (tests, a port-forward) has no name of its own: host:port is one.
    const isAddress = /^[\d.]+$/.test(workerHost) || workerHost.includes(':') || workerHost === 'localhost';
    const name = named?.[1] ?? (isAddress ? url.host : (workerHost.split('.')[0] as string));
    if (!REPLICA_NAME.test(name)) {
      context.addIssue({ code: 'custom', message: `names a replica ${JSON.stringify(name.slice(0, 40))}: a name is letters, digits and . _ : - [ ] (at most 100)` });
      return z.NEVER;
    }
    replicas.push({ name, apiUrl: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, workerHost });
  }
  if (replicas.length === 0) {
    context.addIssue({ code: 'custom', message: 'give at least one TEN agent server URL' });
    return z.NEVER;
  }
  const names = replicas.map((replica) => replica.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) {
    context.addIssue({ code: 'custom', message: `names the replica ${repeated} twice: each TEN replica needs its own name` });
    return z.NEVER;
  }
  return replicas;
});

const configSchema = z.object({
  /** 0 picks a free port (tests). */
  PORT: wholeNumber('a TCP port', 8090, 0, 65_535),
  /** `::` accepts IPv4 and IPv6 (Railway's private network is IPv6 in older environments). */
  HOST: z.string().min(1).default('::'),
  /** The bearer token every /rooms call carries (Doppler secret AGENT_BRIDGE_TOKEN). */
  BRIDGE_API_TOKEN: z.string({ error: 'is not set' }).min(32, 'must be at least 32 characters'),
  /** Host header names accepted (port-agnostic), e.g. `jitsi-agent-bridge,localhost`. */
  BRIDGE_ALLOWED_HOSTS: nonEmptyList('host name').transform((hosts) => hosts.map((host) => host.toLowerCase())),
  /** Origins accepted when a request carries one (server-to-server callers send none). */
  BRIDGE_ALLOWED_ORIGINS: nonEmptyList('origin').transform((origins) => origins.map((origin) => origin.replace(/\/+$/, ''))),
  /**
   * TEN's agent servers, one entry per replica: `http://ten-agent-0:8080` or `name=url`. Each
   * replica is addressed on its own (its sessions live in its memory): /start, /ping and /stop of
   * a session go to the replica that runs it, and its websocket listens on that replica's host.
   * A replica's name (for its Redis keys and its drain mark) is the first DNS label of the
   * host, unless given.
   */
  TEN_AGENT_URLS: tenReplicas,
  TEN_AGENT_GRAPH: z.string().min(1).default('voice_agent'),
  /** What /start sets as websocket_server's host: where the worker listens inside its container. */
  TEN_WORKER_BIND_HOST: z.string().min(1).default('::'),
  /** The worker ports every TEN replica opens, one per session (its WORKERS_MAX). */
  TEN_WORKER_PORTS: portRange,
  /** /start's timeout: TEN stops a session whose last /ping is older than this. */
  TEN_SESSION_TIMEOUT_SECONDS: wholeNumber('seconds', 60, 1, 86_400),
  /** How long the worker's websocket may take to answer after /start (TEN gives no readiness signal). */
  TEN_CONNECT_TIMEOUT_SECONDS: seconds(30, 0.1),
  /** jitsi-web: the bot page loads /libs/lib-jitsi-meet.min.js and connects to XMPP there. */
  JITSI_URL: httpUrl,
  /**
   * How the bot speaks XMPP to jitsi-web: `websocket` (/xmpp-websocket) or `bosh` (/http-bind),
   * for a web rendered with ENABLE_XMPP_WEBSOCKET=0, which serves no /xmpp-websocket.
   */
  JITSI_XMPP_TRANSPORT: z.enum(['websocket', 'bosh'], { error: 'must be websocket or bosh' }).default('websocket'),
  JITSI_XMPP_DOMAIN: z.string().min(1).default('meet.jitsi'),
  JITSI_MUC_DOMAIN: z.string().min(1).default('muc.meet.jitsi'),
  /** The bot's room JWT: iss, aud and sub as prosody expects them; HS256 with JWT_APP_SECRET. */
  JITSI_JWT_APP_ID: z.string({ error: 'is not set' }).min(1, 'is empty'),
  JITSI_JWT_AUDIENCE: z.string({ error: 'is not set' }).min(1, 'is empty'),
  JITSI_JWT_SUBJECT: z.string({ error: 'is not set' }).min(1, 'is empty'),
  JWT_APP_SECRET: z.string({ error: 'is not set' }).min(16, 'must be at least 16 characters'),
  AGENT_DISPLAY_NAME: z.string().trim().min(1).max(100).default('AI agent'),
  ROOMS_MAX: wholeNumber('rooms', 12, 1, 1000),
  /**
   * Refuse a new room while fewer cores than this are free (the container's CPU quota, or the
   * machine): a room costs about 0.14 of a core, and the rooms held lose audio once CPU runs out.
   * 0 turns the check off.
   */
  ADMISSION_MIN_FREE_CPU: z.coerce.number({ error: 'must be a number of cores from 0 to 64' }).min(0, { error: 'must be a number of cores from 0 to 64' }).max(64, { error: 'must be a number of cores from 0 to 64' }).default(0.25),
  /** Stop a room's agent once the room has had no people for this long. */
  EMPTY_ROOM_GRACE_SECONDS: seconds(30, 0),
  /** SIGTERM: running rooms end within this. */
  DRAIN_TIMEOUT_SECONDS: seconds(30, 0),
  /**
   * Where rooms are placed when several bridge replicas (or several TEN replicas) share the work:
   * leases in Redis. Unset, this replica places rooms on its own (one bridge replica only).
   */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  /** Prefix of every Redis key of the voice tier (the TEN drain step writes under it too). */
  VOICE_TIER_KEY_PREFIX: z.string().min(1).default('voice-tier:'),
  /** This replica's name among the bridge replicas. @default - the host name (the pod's name) */
  BRIDGE_REPLICA_ID: z.string().min(1).max(200).optional(),
  /** Where the other replicas reach this one. @default - http://<this host's address>:<PORT> */
  BRIDGE_ADVERTISE_URL: httpUrl.optional(),
  CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.output<typeof configSchema>;

/** Every variable the bridge reads, for a test entry or an in-process bridge that builds one. */
export type ConfigInput = Partial<Record<keyof Config, string>>;

/** A configuration problem, named by the variable, with no value in the message. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the configuration from environment variables. Throws one ConfigError that
 * names every wrong variable; values are never repeated, since some of them are secrets.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    const message = env[name] === undefined && issue.code === 'invalid_type' ? 'is not set' : issue.message;
    return `${name} ${message}`;
  });
  // One variable can break several rules with the same message; say it once.
  throw new ConfigError(`invalid configuration: ${[...new Set(problems)].join('; ')}`);
}

/** How often a session pings TEN: well inside its timeout, and at least every 10 s. */
export function pingIntervalMs(config: Pick<Config, 'TEN_SESSION_TIMEOUT_SECONDS'>): number {
  return Math.min((config.TEN_SESSION_TIMEOUT_SECONDS * 1000) / 4, 10_000);
}
