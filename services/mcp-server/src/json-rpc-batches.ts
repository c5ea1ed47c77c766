import { jsonRpcRefusal, type Guard } from './http-guards.ts';

/** Protocol revision that removed JSON-RPC batching; every later one has none either. */
const FIRST_VERSION_WITHOUT_BATCHES = '2025-06-18';
/** MCP protocol versions are dates; anything else is left to the SDK, which refuses unknown versions. */
const PROTOCOL_VERSION = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Rules for a JSON-RPC batch at /mcp, checked before any message in it runs. The server is
 * stateless, so the version negotiated for the client is the one it names in each request's
 * MCP-Protocol-Version header: from 2025-06-18 on there are no batches, and one gets 400. A
 * batch may not use a request id twice: the answers are matched to requests by id, so one of the
 * two calls would run and its answer be lost. Nor may it cancel one of its own requests: a
 * cancelled request gets no answer, and the answer to the batch would wait for it forever.
 */
export const batchRules: Guard = (req) => {
  if (!Array.isArray(req.body)) return undefined;
  const version = req.headers['mcp-protocol-version'];
  if (typeof version === 'string' && PROTOCOL_VERSION.test(version) && version >= FIRST_VERSION_WITHOUT_BATCHES) {
    return jsonRpcRefusal(
      400,
      -32600,
      `Invalid Request: protocol version ${version} has no JSON-RPC batches (they were removed in ${FIRST_VERSION_WITHOUT_BATCHES}); send one message per request`,
    );
  }
  const requests = new Set<string>();
  const cancelled: unknown[] = [];
  for (const message of req.body as unknown[]) {
    const { id, method, params } = (message ?? {}) as { id?: unknown; method?: unknown; params?: { requestId?: unknown } };
    if (method === 'notifications/cancelled') cancelled.push(params?.requestId);
    if (method === undefined || (typeof id !== 'string' && typeof id !== 'number')) continue;
    if (requests.has(idKey(id))) return jsonRpcRefusal(400, -32600, `Invalid Request: request id ${JSON.stringify(id).slice(0, 80)} appears more than once in the batch`);
    requests.add(idKey(id));
  }
  const selfCancelled = cancelled.find((id) => (typeof id === 'string' || typeof id === 'number') && requests.has(idKey(id)));
  if (selfCancelled !== undefined) {
    return jsonRpcRefusal(400, -32600, `Invalid Request: the batch cancels its own request ${JSON.stringify(selfCancelled).slice(0, 80)}; send the cancellation on its own`);
  }
  return undefined;
};

function idKey(id: string | number): string {
  return `${typeof id}:${id}`;
}
