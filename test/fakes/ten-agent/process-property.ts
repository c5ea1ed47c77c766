import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TenStartRequest } from './gin-bind.ts';
import { goMarshalIndent } from './go-json.ts';

/**
 * The agent server's `processProperty` (`ai_agents/server/internal/http_server.go`): from the
 * tenapp's property.json and a /start request to the temporary property file a worker runs with.
 */

/** What processProperty ended in, and so what /start answers. */
export type ProcessPropertyOutcome =
  | { readonly kind: 'written'; readonly propertyFile: string; readonly logFile: string }
  /** An error return: /start answers 10100. */
  | { readonly kind: 'failed'; readonly reason: string }
  /** A failed type assertion: the handler panics and gin's Recovery answers 500 with no body. */
  | { readonly kind: 'panicked'; readonly reason: string };

export interface ProcessPropertyInput {
  readonly request: TenStartRequest;
  readonly tenappDir: string;
  /** LOG_PATH: where the temporary property file and the worker's log go. */
  readonly logPath: string;
  /** The port handlerStart took from its counter before calling processProperty. */
  readonly workerHttpServerPort: number;
  /** The server's environment, for the "Environment variable not found" log lines. */
  readonly env: Readonly<Record<string, string>>;
  readonly log: (line: string) => void;
}

type Json = Record<string, unknown>;

interface StartProp {
  readonly extension: string;
  readonly property: string;
  readonly asString?: boolean;
}

/**
 * `startPropMap` (`internal/config.go`): request fields written into the nodes TEN names. The
 * channel entries are in both config.go versions read; `agora_rtm.user_id` (as a string) is what
 * TEN's own server-architecture notes list for the current version.
 */
const START_PROP_MAP: ReadonlyArray<{ readonly field: 'channel' | 'remoteStreamId' | 'botStreamId' | 'token' | 'workerHttpServerPort'; readonly props: readonly StartProp[] }> = [
  { field: 'channel', props: [{ extension: 'agora_rtc', property: 'channel' }, { extension: 'agora_rtm', property: 'channel' }] },
  { field: 'remoteStreamId', props: [{ extension: 'agora_rtc', property: 'remote_stream_id' }] },
  { field: 'botStreamId', props: [{ extension: 'agora_rtc', property: 'stream_id' }, { extension: 'agora_rtm', property: 'user_id', asString: true }] },
  { field: 'token', props: [{ extension: 'agora_rtc', property: 'token' }, { extension: 'agora_rtm', property: 'token' }] },
  { field: 'workerHttpServerPort', props: [{ extension: 'http_server', property: 'listen_port' }] },
];

/** Thrown where Go's unchecked type assertion `x.(map[string]interface{})` would panic. */
class GoPanic extends Error {}

export function processProperty(input: ProcessPropertyInput): ProcessPropertyOutcome {
  try {
    return run(input);
  } catch (error) {
    if (error instanceof GoPanic) return { kind: 'panicked', reason: error.message };
    throw error;
  }
}

function run({ request, tenappDir, logPath, workerHttpServerPort, env, log }: ProcessPropertyInput): ProcessPropertyOutcome {
  let content: string;
  try {
    content = readFileSync(join(tenappDir, 'property.json'), 'utf8');
  } catch (error) {
    return { kind: 'failed', reason: `read property.json failed: ${(error as Error).message}` };
  }
  let propertyJson: unknown;
  try {
    propertyJson = JSON.parse(content);
  } catch (error) {
    return { kind: 'failed', reason: `unmarshal property.json failed: ${(error as Error).message}` };
  }
  if (typeof propertyJson !== 'object' || propertyJson === null || Array.isArray(propertyJson)) {
    return { kind: 'failed', reason: 'property.json is not a JSON object' };
  }
  const graphName = request.graph_name ?? '';
  // The real function returns a nil error here (and for a missing "ten" section or
  // predefined_graphs below), so the real server goes on to start a worker without a property
  // file. The fake refuses instead: see the README's deliberate differences.
  if (graphName === '') return { kind: 'failed', reason: 'graph_name is mandatory' };

  // No AGORA_APP_CERTIFICATE in the fake: the token stays empty and is not injected.
  const token = '';

  const tenSection = asMap((propertyJson as Json)['ten']);
  if (tenSection === undefined) return { kind: 'failed', reason: 'Invalid format: _ten section missing' };
  const predefined = tenSection['predefined_graphs'];
  if (!Array.isArray(predefined)) return { kind: 'failed', reason: 'Invalid format: predefined_graphs missing or not an array' };

  const graphs = predefined.filter((graph): graph is Json => asMap(graph)?.['name'] === graphName);
  if (graphs.length === 0) return { kind: 'failed', reason: 'graph not found' };
  tenSection['predefined_graphs'] = graphs;
  for (const graph of graphs) graph['auto_start'] = true;

  const nodesNamed = (name: unknown): Json[] =>
    graphs.flatMap((graph) => {
      const nodes = asMap(graph['graph'])?.['nodes'];
      return Array.isArray(nodes) ? nodes.map((node) => asMap(node) ?? {}).filter((node) => node['name'] === name) : [];
    });

  for (const [extensionName, props] of Object.entries(request.properties ?? {})) {
    if (extensionName === '' || props === null) continue;
    for (const [prop, value] of Object.entries(props)) {
      for (const node of nodesNamed(extensionName)) {
        const properties = assertMap(node['property'], `node "${extensionName}" has no property object`);
        const existing = asMap(properties[prop]);
        if (existing !== undefined) {
          properties[prop] = mergeProperties(existing, assertMap(value, `properties.${extensionName}.${prop} is not an object but node property ${prop} is`));
        } else {
          properties[prop] = value;
        }
      }
    }
  }

  const requestValues = {
    channel: request.channel_name ?? '',
    // getFieldValue returns numbers as interface values, which never equal "": always injected.
    remoteStreamId: request.user_uid ?? 0,
    botStreamId: request.bot_uid ?? 0,
    token,
    workerHttpServerPort,
  };
  for (const { field, props } of START_PROP_MAP) {
    const value = requestValues[field];
    if (value === '') continue;
    for (const { extension, property, asString } of props) {
      for (const node of nodesNamed(extension)) {
        assertMap(node['property'], `node "${extension}" has no property object`)[property] = asString === true ? String(value) : value;
      }
    }
  }

  const channel = request.channel_name ?? '';
  if (channel !== '') {
    for (const graph of graphs) {
      const nodes = asMap(graph['graph'])?.['nodes'];
      for (const node of Array.isArray(nodes) ? nodes : []) {
        const properties = asMap(asMap(node)?.['property']);
        if (properties !== undefined && 'channel' in properties) properties['channel'] = channel;
      }
    }
  }

  logMissingEnv(graphs, env, log);

  const modified = goMarshalIndent(propertyJson);
  const ts = goTimestamp(new Date());
  const tempDir = writableOr(logPath, tmpdir());
  const safeChannel = sanitizeChannelName(channel);
  if (safeChannel === undefined) return { kind: 'failed', reason: 'invalid channel name' };
  const propertyFile = resolve(tempDir, `property-${safeChannel}-${ts}.json`);
  if (!propertyFile.startsWith(resolve(tempDir))) return { kind: 'failed', reason: 'path traversal detected in property file path' };
  const logFile = `${logPath}/app-${safeChannel}-${ts}.log`;
  mkdirSync(tempDir, { recursive: true });
  const fd = openSync(propertyFile, 'w');
  try {
    writeSync(fd, modified);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { kind: 'written', propertyFile, logFile };
}

/** mergeProperties: maps merge recursively, anything else replaces. */
function mergeProperties(original: Json, update: Json): Json {
  for (const [key, value] of Object.entries(update)) {
    const existing = asMap(original[key]);
    const incoming = asMap(value);
    original[key] = existing !== undefined && incoming !== undefined ? mergeProperties(existing, incoming) : value;
  }
  return original;
}

/** The handler's env check: it only logs, for string properties at the top of each node. */
function logMissingEnv(graphs: Json[], env: Readonly<Record<string, string>>, log: (line: string) => void): void {
  const pattern = /\$\{env:([^}|]+)(\|[^}]*)?\}/g;
  for (const graph of graphs) {
    const nodes = asMap(graph['graph'])?.['nodes'];
    for (const node of Array.isArray(nodes) ? nodes : []) {
      for (const [key, value] of Object.entries(asMap(asMap(node)?.['property']) ?? {})) {
        if (typeof value !== 'string') continue;
        for (const match of value.matchAll(pattern)) {
          const variable = match[1] ?? '';
          if ((env[variable] ?? '') !== '') continue;
          log(match[2] !== undefined ? `Optional environment variable not set; using default variable=${variable} property=${key}` : `Environment variable not found variable=${variable} property=${key}`);
        }
      }
    }
  }
}

/** sanitizeChannelName: undefined where the real one returns an error. */
export function sanitizeChannelName(channel: string): string | undefined {
  if (channel === '' || Buffer.byteLength(channel, 'utf8') > 100) return undefined;
  if (channel.includes('..') || channel.includes('/') || channel.includes('\\') || channel.includes('\0')) return undefined;
  if (channel.startsWith('.')) return undefined;
  let sanitized = channel.replace(/[:*?"<>|]/g, '_');
  // Go slices bytes: a multi-byte character across byte 50 is cut as well.
  const bytes = Buffer.from(sanitized, 'utf8');
  if (bytes.length > 50) sanitized = bytes.subarray(0, 50).toString('utf8');
  return sanitized === '' ? 'default' : sanitized;
}

/**
 * `time.Now().Format("20060102_150405_000")`: Go reads `_000` as literal text (fractional
 * seconds need `.000`), so every name ends in `_000`.
 */
function goTimestamp(now: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}_${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}_000`;
}

/** LOG_PATH if a file can be created there (the real probe), else the system temp directory. */
function writableOr(dir: string, fallback: string): string {
  const probe = join(dir, 'test-write-permission');
  try {
    closeSync(openSync(probe, 'w'));
    rmSync(probe, { force: true });
    return dir;
  } catch {
    return fallback;
  }
}

function asMap(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function assertMap(value: unknown, reason: string): Json {
  const map = asMap(value);
  if (map === undefined) throw new GoPanic(`interface conversion: interface {} is not map[string]interface {} (${reason})`);
  return map;
}
