/**
 * What gin's `c.ShouldBindBodyWith(&req, binding.JSON)` accepts for the agent server's request
 * structs (`StartReq`, `StopReq`, `PingReq` in `ai_agents/server/internal/http_server.go`).
 */

/** The body of `POST /start` (StartReq), as it arrives on the wire. */
export interface TenStartRequest {
  request_id?: string;
  channel_name?: string;
  graph_name?: string;
  /** uint32; becomes agora_rtc.remote_stream_id. */
  user_uid?: number;
  /** uint32; becomes agora_rtc.stream_id (and agora_rtm.user_id, as a string). */
  bot_uid?: number;
  /** Overwritten by the server before use. */
  token?: string;
  /** Overwritten by the server with the next port of its 10001–30000 counter. */
  worker_http_server_port?: number;
  /** `{nodeName: {property: value}}`, merged into that node's `property`. */
  properties?: Record<string, Record<string, unknown> | null> | null;
  /** Seconds without a /ping before the reaper stops the worker; only values > 0 are honoured. */
  timeout?: number;
  /** Ignored by the real server (security). */
  tenapp_dir?: string;
}

/** The body of `POST /stop` and `POST /ping`. */
export interface TenChannelRequest {
  request_id?: string;
  channel_name?: string;
}

type FieldKind = 'string' | 'uint32' | 'int32' | 'int' | 'properties';

export const START_FIELDS: Record<string, FieldKind> = {
  request_id: 'string',
  channel_name: 'string',
  graph_name: 'string',
  user_uid: 'uint32',
  bot_uid: 'uint32',
  token: 'string',
  worker_http_server_port: 'int32',
  properties: 'properties',
  timeout: 'int',
  tenapp_dir: 'string',
};

export const CHANNEL_FIELDS: Record<string, FieldKind> = {
  request_id: 'string',
  channel_name: 'string',
};

/**
 * One JSON value that is an object (or null) whose known fields have the Go types; field names
 * match case-insensitively (encoding/json), unknown fields are ignored, null leaves a field unset.
 * Returns undefined where Go returns an error (gin then answers 10000).
 */
export function bindJson(raw: string, fields: Record<string, FieldKind>): Record<string, unknown> | undefined {
  if (raw.trim() === '') return undefined; // io.EOF
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Record<string, unknown> = {};
  const names = Object.keys(fields);
  for (const [key, fieldValue] of Object.entries(value as Record<string, unknown>)) {
    const name = names.find((candidate) => candidate === key) ?? names.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
    if (name === undefined || fieldValue === null) continue;
    const kind = fields[name];
    if (kind === undefined || !fitsGoType(kind, fieldValue)) return undefined;
    out[name] = fieldValue;
  }
  return out;
}

function fitsGoType(kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'uint32':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
    case 'int32':
      return typeof value === 'number' && Number.isInteger(value) && value >= -0x8000_0000 && value <= 0x7fff_ffff;
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'properties':
      // map[string]map[string]interface{}: each node entry an object (or null).
      return (
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.values(value).every((inner) => inner === null || (typeof inner === 'object' && !Array.isArray(inner)))
      );
  }
}
