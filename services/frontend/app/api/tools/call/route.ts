import { randomUUID } from 'node:crypto';
import { NextResponse } from 'next/server';
import { withoutConnectTokens } from '../../../../lib/connect-link.ts';
import { endUserId } from '../../../../lib/end-user-id.ts';
import type { Recorded } from '../../../../lib/history/recorder.ts';
import { callTool, ToolOutcomeUnknown } from '../../../../lib/mcp-tools.ts';
import { requestIdOf } from '../../../../lib/request-id.ts';
import { jsonBody, jsonError, route } from '../../../../lib/route.ts';
import { fingerprint, ToolCallClaims } from '../../../../lib/tool-call-claims.ts';

export const dynamic = 'force-dynamic';

const HISTORY_CATCHES_UP = 'The tool ran. Your history will show this call once the history database is back.';

/**
 * Runs one MCP tool for the signed-in user (`POST {name, arguments}`, with an Idempotency-Key per
 * user action) through the MCP server, which checks the arguments against the tool's schema.
 *
 * A tool that ran is never reported as failed: its history entry goes to Postgres, or to the
 * outbox while Postgres is away (the answer says history will catch up), or at worst to the log.
 * A retry with the same key gets the first outcome back instead of running the tool again.
 */
export const POST = route(async (request, { runtime, session }) => {
  const body = await jsonBody(request, runtime);
  const name = body['name'];
  const args = body['arguments'] ?? {};
  if (typeof name !== 'string' || name === '' || args === null || typeof args !== 'object' || Array.isArray(args)) {
    return jsonError(400, 'expected a JSON body {"name": "<tool>", "arguments": {…}}');
  }
  const { config, logger, recorder } = runtime;
  const requestId = requestIdOf(request);
  const userKey = endUserId(session.user.sub);
  const callFingerprint = fingerprint(name, args);
  const claims = new ToolCallClaims(runtime.redis, config.TOOL_CALL_REPLAY_SECONDS);

  const claim = await claims.claim(userKey, requestId, callFingerprint);
  if (claim.kind === 'running') return jsonError(409, 'This action is still running; wait a moment, then try again to see its result.');
  if (claim.kind === 'other-call') return jsonError(422, 'This request id was already used for another tool call; send a new one.');
  if (claim.kind === 'done') return NextResponse.json({ ...claim.outcome.body, replayed: true }, { status: claim.outcome.status });

  const calledAt = new Date();
  const started = performance.now();
  let outcome: Awaited<ReturnType<typeof callTool>>;
  try {
    outcome = await callTool(config, session.user.sub, name, args as Record<string, unknown>);
  } catch (error) {
    // The tool may have run: the same key keeps getting this answer. Otherwise a retry may run it.
    const settle =
      error instanceof ToolOutcomeUnknown
        ? claims.complete(userKey, requestId, callFingerprint, { status: error.status, body: { error: error.message } })
        : claims.release(userKey, requestId);
    await settle.catch((failure: Error) => logger.warn({ err: failure.message, idempotencyKey: requestId }, 'cannot settle the tool call claim'));
    throw error;
  }

  // From here on the tool has run: nothing below may turn that into a failure.
  const durationMs = performance.now() - started;
  const id = randomUUID();
  let recorded: Recorded = 'logged';
  try {
    recorded = await recorder.record({
      kind: 'tool-call',
      id,
      requestId,
      userSub: session.user.sub,
      tool: name,
      arguments: args as Record<string, unknown>,
      // A Connect Link in the result is for the user, now: never stored.
      resultText: withoutConnectTokens(outcome.text),
      isError: outcome.isError,
      durationMs,
      calledAt: calledAt.toISOString(),
    });
  } catch (error) {
    logger.error({ err: (error as Error).message, idempotencyKey: requestId }, 'recording the tool call failed');
  }
  const answer = {
    ...outcome,
    durationMs: Math.round(durationMs),
    callId: id,
    requestId,
    ...(recorded === 'stored' ? {} : { historyPending: true, note: HISTORY_CATCHES_UP }),
  };
  await claims.complete(userKey, requestId, callFingerprint, { status: 200, body: answer }).catch((failure: Error) => {
    // A retry with this key may find the claim still "running" until it expires; the call itself stands.
    logger.warn({ err: failure.message, idempotencyKey: requestId }, 'cannot keep the tool call outcome for retries');
  });
  return NextResponse.json(answer);
});
