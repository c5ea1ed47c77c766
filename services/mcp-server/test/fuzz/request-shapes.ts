import fc from 'fast-check';
import { TOKENS } from '../helpers/mcp.ts';

/**
 * The fuzz's generated requests, as plain data fast-check can print and shrink: method, target,
 * headers and body, mostly well-formed enough to reach a tool and then wrong in one way or a few.
 */

/** The server the fuzz runs against has these limits, so generated bodies can cross them. */
export const FUZZ_LIMITS = { bodyLimitBytes: 65_536, argumentMaxBytes: 16_384 } as const;
/** Every token the server knows: they must never reach its log. */
export const SECRETS = [TOKENS.console, TOKENS.tenAgent, TOKENS.rotated];
const BODY_LIMIT_BYTES = FUZZ_LIMITS.bodyLimitBytes;
const ARGUMENT_MAX_BYTES = FUZZ_LIMITS.argumentMaxBytes;

// Values hold placeholders `wire.ts` fills in when the request is sent, so every tool call gets an
// id and an argument-name marker of its own even while fast-check shrinks:
//   id '$CALL'          → a unique request id `fz-<n>`
//   argument '$MARK'    → a unique argument name `fzm<n>`, found again in the audit row
//   string '$DEEP:<n>'  → an object nested n levels deep
//   string '$BIG:<n>'   → a string of n bytes
//   path '$SESSION'     → the id of the legacy SSE session the fuzz holds open

export type BodyShape =
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'truncated'; readonly value: unknown; readonly keep: number }
  | { readonly kind: 'invalid-utf8'; readonly value: unknown; readonly at: number }
  | { readonly kind: 'bytes'; readonly bytes: readonly number[] };

export interface RequestShape {
  readonly method: string;
  readonly path: string;
  readonly query: ReadonlyArray<readonly [string, string]>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: BodyShape | undefined;
  /** Compress the body as gzip, saying so in Content-Encoding ('gzip') or not ('gzip-unlabelled'). */
  readonly compression: 'none' | 'gzip' | 'gzip-unlabelled';
}

const TOOL_NAMES = ['lookup_order', 'slow_report', 'flaky_service', 'send_slack_message', 'execute_anything', '', 'LOOKUP_ORDER'];

/** Strings with what breaks naive code: NUL, controls, lone surrogates, commas, backslashes, secrets. */
const nastyString = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udfffy', 'a,b', '\\', '\u001f\u007f', '\u2028', 'order_id', 'toString', '__proto__', 'constructor', ...SECRETS),
);

const argumentValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    nastyString,
    fc.constantFrom('$DEEP:31', '$DEEP:33', '$DEEP:3000', `$BIG:${ARGUMENT_MAX_BYTES + 10}`, `$BIG:${BODY_LIMIT_BYTES + 10}`),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(nastyString, tie('value'), { maxKeys: 3 }),
  ),
})).value;

const toolArguments = fc.oneof(
  fc.dictionary(nastyString, argumentValue, { maxKeys: 4 }).map((args) => ({ ...args, $MARK: 1 })),
  fc.dictionary(nastyString, argumentValue, { maxKeys: 4 }),
  fc.record({ order_id: fc.oneof(fc.constant('A-1001'), nastyString) }),
  fc.record({ sku: nastyString }).map((args) => ({ ...args, $MARK: 1 })),
  fc.jsonValue({ maxDepth: 2 }),
);

const requestId = fc.oneof({ weight: 4, arbitrary: fc.integer() }, { weight: 2, arbitrary: fc.string({ maxLength: 6 }) }, { weight: 1, arbitrary: fc.constant(null) });

/**
 * A request's `_meta`: a progress token, and (for a 2026-07-28 request) the envelope, sometimes
 * naming another revision or missing a key, which the headers may or may not match.
 */
const requestMeta = fc.record(
  {
    progressToken: fc.oneof(fc.integer(), fc.string({ maxLength: 4 })),
    'io.modelcontextprotocol/protocolVersion': fc.constantFrom('2026-07-28', '2026-07-28', '2025-11-25', '2099-01-01'),
    'io.modelcontextprotocol/clientInfo': fc.constant({ name: 'fuzz', version: '1' }),
    'io.modelcontextprotocol/clientCapabilities': fc.oneof(fc.constant({}), fc.jsonValue({ maxDepth: 1 })),
  },
  { requiredKeys: [] },
);

const jsonRpcMessage = fc.oneof(
  { weight: 10, arbitrary: fc.record({
    jsonrpc: fc.constant('2.0'),
    id: fc.constant('$CALL'),
    method: fc.constant('tools/call'),
    params: fc.record({ name: fc.constantFrom(...TOOL_NAMES), arguments: toolArguments, _meta: requestMeta }, { requiredKeys: ['name'] }),
  }) },
  { weight: 2, arbitrary: fc.record({
    jsonrpc: fc.constant('2.0'),
    id: requestId,
    method: fc.constantFrom('initialize', 'tools/list', 'ping', 'resources/list', 'nope/nope', 'server/discover'),
    params: fc.oneof(
      fc.constant({ protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } }),
      fc.constant({ protocolVersion: '2099-01-01', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  }) },
  {
    weight: 1,
    arbitrary: fc.record({
      jsonrpc: fc.constant('2.0'),
      method: fc.constantFrom('notifications/initialized', 'notifications/cancelled', 'tools/call'),
      params: fc.oneof(fc.record({ requestId }), fc.jsonValue({ maxDepth: 2 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ jsonrpc: fc.constantFrom('1.0', '2.0'), id: requestId, result: fc.jsonValue({ maxDepth: 2 }) }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

const restCall = fc.record({ tool: fc.constantFrom(...TOOL_NAMES), args: toolArguments }, { requiredKeys: ['tool'] });
const oddJson = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('$DEEP:5000', `$BIG:${BODY_LIMIT_BYTES + 100}`));

/** Bodies for /mcp and /messages: mostly JSON-RPC, sometimes anything. */
const jsonRpcBody = fc.oneof(
  { weight: 6, arbitrary: jsonRpcMessage },
  { weight: 2, arbitrary: fc.array(jsonRpcMessage, { maxLength: 6 }) },
  { weight: 1, arbitrary: restCall },
  { weight: 1, arbitrary: oddJson },
);
/** Bodies for /execute-tool: mostly its own shape. */
const restBody = fc.oneof({ weight: 6, arbitrary: restCall }, { weight: 1, arbitrary: jsonRpcMessage }, { weight: 1, arbitrary: oddJson });

function bodyOf(value: fc.Arbitrary<unknown>): fc.Arbitrary<BodyShape | undefined> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 24, arbitrary: value.map((json) => ({ kind: 'json' as const, value: json })) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncated' as const), value, keep: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalid-utf8' as const), value, at: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 }) }) },
  );
}

const path = fc.oneof(
  { weight: 10, arbitrary: fc.constant('/mcp') },
  { weight: 5, arbitrary: fc.constant('/execute-tool') },
  { weight: 2, arbitrary: fc.constantFrom(`/sse/${TOKENS.tenAgent}`, `/sse/${TOKENS.console}`, '/sse/not-a-token-00000000', `/SSE/${TOKENS.tenAgent}`, `//sse/${TOKENS.tenAgent}`) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      `/messages/${TOKENS.tenAgent}?sessionId=$SESSION`,
      `/messages/${TOKENS.tenAgent}?sessionId=$SESSION`,
      `/messages/${TOKENS.tenAgent}?sessionId=$SESSION`,
      `/messages/${TOKENS.console}?sessionId=$SESSION`,
      `/messages/${TOKENS.tenAgent}?sessionId=00000000-0000-0000-0000-000000000000`,
      `/messages/${TOKENS.tenAgent}`,
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom('/health', '/ready', '/metrics') },
  { weight: 1, arbitrary: fc.webPath() },
);

const credentialName = fc.constantFrom('token', 'access_token', 'Token', 'API_KEY', 'key', 'secret', 'password', 'auth', 'X-Amz-Signature', 'code', 'session', 'refresh_token');
const query = fc.oneof(
  { weight: 3, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: fc.array(fc.tuple(fc.oneof(credentialName, fc.constantFrom('page', 'q', 'x')), fc.oneof(fc.constantFrom(...SECRETS), fc.string({ maxLength: 6 }))), { maxLength: 3 }) },
);

/** Header values Node's HTTP client will send (visible characters and spaces). */
const headerText = fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_=;,./:"\'()'.split('')), maxLength: 24 });

/** Mostly `usual` (a value, or no header when undefined), sometimes one of `unusual`. */
function mostly(usual: string | undefined, unusual: fc.Arbitrary<string | undefined>, odds = 4): fc.Arbitrary<string | undefined> {
  return fc.oneof({ weight: odds, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: unusual });
}

const headers = fc
  .record({
    authorization: fc.oneof(
      { weight: 24, arbitrary: fc.constantFrom(...SECRETS).map((token) => `Bearer ${token}`) },
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom('Bearer', 'Bearer ', 'Bearer not-a-real-token-0000', 'Basic dXNlcjpwYXNz', `bearer ${TOKENS.console}`, `Bearer  ${TOKENS.console}`) },
      { weight: 1, arbitrary: headerText },
    ),
    'content-type': mostly(
      'application/json',
      fc.constantFrom(
        undefined,
        'application/json; charset=utf-8',
        'application/json; charset=latin1',
        'application/json; charset=utf-16',
        'application/json; charset="',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json-seq',
        'multipart/form-data; boundary=x',
      ),
      20,
    ),
    'content-encoding': mostly(undefined, fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'gzip, br', 'x-unknown', 'GZIP'), 15),
    accept: mostly('application/json, text/event-stream', fc.constantFrom(undefined, 'application/json', 'text/event-stream', '*/*'), 20),
    origin: mostly(undefined, fc.constantFrom('https://console.example.com', 'https://evil.example.com', 'null', 'https://console.example.com/'), 20),
    host: mostly(undefined, fc.constantFrom('localhost', 'mcp-server:8080', 'evil.example.com', ''), 20),
    'mcp-protocol-version': fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      { weight: 3, arbitrary: fc.constantFrom('2025-03-26', '2024-11-05', '2025-06-18', '2025-11-25', '2026-07-28', '2026-07-28') },
      { weight: 1, arbitrary: fc.oneof(fc.constant('2099-01-01'), headerText) },
    ),
    // 2026-07-28's standard headers, which must match the body (-32020 otherwise).
    'mcp-method': mostly(undefined, fc.constantFrom('tools/call', 'tools/call', 'tools/list', 'server/discover', ''), 2),
    'mcp-name': mostly(undefined, fc.constantFrom(...TOOL_NAMES), 2),
    'x-end-user-id': mostly(undefined, fc.oneof(fc.constantFrom('user-1', 'user-2', 'has space', 'x'.repeat(300)), headerText), 3),
    'x-forwarded-for': mostly(undefined, fc.constantFrom('203.0.113.9', '10.0.0.7', '10.0.0.7, 203.0.113.9', 'garbage', '::1'), 10),
  })
  .map((picked) => Object.fromEntries(Object.entries(picked).filter(([, value]) => value !== undefined)) as Record<string, string>);

export const requestShape: fc.Arbitrary<RequestShape> = path.chain((chosen) =>
  fc.record({
    // The method each route expects, mostly.
    method: fc.oneof(
      { weight: 12, arbitrary: fc.constant(/^\/(mcp|execute-tool|messages)/.test(chosen) ? 'POST' : 'GET') },
      { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
    ),
    path: fc.constant(chosen),
    query,
    headers,
    body: bodyOf(chosen.startsWith('/execute-tool') ? restBody : jsonRpcBody),
    compression: fc.oneof(
      { weight: 12, arbitrary: fc.constant('none' as const) },
      { weight: 2, arbitrary: fc.constant('gzip' as const) },
      { weight: 1, arbitrary: fc.constant('gzip-unlabelled' as const) },
    ),
  }),
);

