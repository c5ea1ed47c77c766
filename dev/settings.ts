/**
 * What `npm run dev` can be told from its environment: where PostgreSQL and Redis are, the port of
 * each process it starts, and the Chromium the agent bridge runs. Everything else comes from the
 * development environment's model (see native-environment.ts).
 */

/** Every process `npm run dev` starts, in the order it starts them. */
export const DEV_PROCESSES = [
  'pipedream',
  'identity-provider',
  'jitsi-web',
  'jitsi-embed',
  'mcp-server',
  'ten-agent',
  'jitsi-agent-bridge',
  'frontend',
] as const;

export type DevProcess = (typeof DEV_PROCESSES)[number];

/** Fixed ports, like the development rendering's where there is one; each has DEV_<NAME>_PORT. */
export const DEFAULT_PORTS: Readonly<Record<DevProcess, number>> = {
  frontend: 3000,
  'mcp-server': 8080,
  'jitsi-agent-bridge': 8090,
  // The rendering's 8080 is the MCP server's here: both run on one address.
  'ten-agent': 8081,
  'jitsi-web': 8000,
  'jitsi-embed': 8001,
  'identity-provider': 8100,
  pipedream: 8110,
};

/** The admin connection's database is replaced by this one, created when missing. */
export const DEFAULT_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432/voice_agent_dev';
/** Database 1, so keys the console and the bridge keep never meet the tests' (they use database 0). */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379/1';
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

export interface DevSettings {
  /** The dev database, which `npm run dev` creates when it is missing. */
  readonly postgresUrl: string;
  readonly redisUrl: string;
  readonly ports: Readonly<Record<DevProcess, number>>;
  /** The TEN sessions' websocket ports, one per room. @default - the development model's range */
  readonly tenWorkerPorts: string | undefined;
  /** The console's private metrics listener (its METRICS_PORT; 0 turns it off), DEV_FRONTEND_METRICS_PORT. @default - the development model's port */
  readonly frontendMetricsPort: number | undefined;
  readonly chromiumPath: string;
}

/** A setting that cannot be used, named with the variable it came from. */
export class SettingsError extends Error {}

/** Moves the console's metrics listener off the development model's port (9464). */
export const FRONTEND_METRICS_PORT_VARIABLE = 'DEV_FRONTEND_METRICS_PORT';

/** `DEV_JITSI_AGENT_BRIDGE_PORT` for `jitsi-agent-bridge`. */
export function portVariable(process: DevProcess): string {
  return `DEV_${process.toUpperCase().replaceAll('-', '_')}_PORT`;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): DevSettings {
  const problems: string[] = [];
  const ports = Object.fromEntries(
    DEV_PROCESSES.map((name) => {
      const variable = portVariable(name);
      const text = env[variable];
      if (text === undefined || text === '') return [name, DEFAULT_PORTS[name]];
      const port = Number(text);
      if (!Number.isInteger(port) || port < 1 || port > 65_535) problems.push(`${variable} must be a TCP port from 1 to 65535, got "${text}"`);
      return [name, port];
    }),
  ) as Record<DevProcess, number>;
  const taken = new Map<number, DevProcess>();
  for (const name of DEV_PROCESSES) {
    const other = taken.get(ports[name]);
    if (other !== undefined) problems.push(`${portVariable(name)} and ${portVariable(other)} are both ${ports[name]}: give each process its own port`);
    taken.set(ports[name], name);
  }
  const postgresUrl = env['DEV_POSTGRES_URL'] || DEFAULT_POSTGRES_URL;
  const redisUrl = env['DEV_REDIS_URL'] || DEFAULT_REDIS_URL;
  if (!/^postgres(ql)?:\/\/[^/]+\/[A-Za-z_][A-Za-z0-9_]*$/.test(postgresUrl)) {
    problems.push('DEV_POSTGRES_URL must be postgresql://user[:password]@host:port/database, the database a plain name (letters, digits, _)');
  }
  if (!/^rediss?:\/\//.test(redisUrl)) problems.push('DEV_REDIS_URL must be a redis:// URL');
  const tenWorkerPorts = env['DEV_TEN_WORKER_PORTS'] || undefined;
  if (tenWorkerPorts !== undefined && !/^\d{1,5}-\d{1,5}$/.test(tenWorkerPorts)) problems.push(`DEV_TEN_WORKER_PORTS must be a range first-last, e.g. 8800-8801, got "${tenWorkerPorts}"`);
  const metricsText = env[FRONTEND_METRICS_PORT_VARIABLE] || undefined;
  const frontendMetricsPort = metricsText === undefined ? undefined : Number(metricsText);
  if (frontendMetricsPort !== undefined) {
    if (!Number.isInteger(frontendMetricsPort) || frontendMetricsPort < 0 || frontendMetricsPort > 65_535) problems.push(`${FRONTEND_METRICS_PORT_VARIABLE} must be a TCP port from 1 to 65535, or 0 for none, got "${metricsText}"`);
    const other = taken.get(frontendMetricsPort);
    if (other !== undefined) problems.push(`${FRONTEND_METRICS_PORT_VARIABLE} and ${portVariable(other)} are both ${frontendMetricsPort}: give each its own port`);
  }
  if (problems.length > 0) throw new SettingsError(problems.join('\n'));
  return { postgresUrl, redisUrl, ports, tenWorkerPorts, frontendMetricsPort, chromiumPath: env['CHROMIUM_PATH'] || DEFAULT_CHROMIUM_PATH };
}

/** host:port of a connection URL, without its user or password, for messages. */
export function whereIs(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || (parsed.protocol.startsWith('redis') ? '6379' : '5432')}`;
}
