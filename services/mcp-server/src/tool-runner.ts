import type { CallToolResult } from '@modelcontextprotocol/server';
import { request } from 'undici';
import { checkArgumentBounds, type ArgumentLimits } from './argument-bounds.ts';
import type { ActionTool, CatalogTool, WorkflowTool } from './catalog.ts';
import type { ConnectRunResult, PipedreamConnect } from './pipedream-connect.ts';

/** How a call ended, for the audit log and metrics. */
export type Outcome = 'ok' | 'tool_error' | 'timeout' | 'invalid_arguments' | 'not_connected' | 'cancelled';

export interface ToolRun {
  readonly result: CallToolResult;
  readonly outcome: Outcome;
  /** A short machine class of the failure (`upstream_503`, `network`, …); undefined on success. */
  readonly errorClass?: string;
}

export interface RunContext {
  /** The Connect external user this call acts for; never taken from the arguments. */
  readonly externalUserId: string;
  /** Aborted when the caller goes away or the server shuts down hard. */
  readonly signal?: AbortSignal;
  readonly argumentLimits: ArgumentLimits;
}

/** Longest text a tool result carries back to the model. */
const MAX_TEXT = 20_000;

/**
 * Runs one catalog tool. Never throws: every failure becomes an `isError` result with one plain
 * sentence a voice agent can say, and the details go to the audit log, not to the model.
 */
export async function runTool(tool: CatalogTool, args: unknown, context: RunContext, connect: PipedreamConnect | undefined): Promise<ToolRun> {
  // Bounds first: the schema check walks the arguments too, and could overflow on deep ones.
  const outOfBounds = checkArgumentBounds(args ?? {}, context.argumentLimits);
  if (outOfBounds !== undefined) {
    return failure('invalid_arguments', outOfBounds.errorClass, `I could not use ${tool.entry.title} because ${outOfBounds.reason}.`);
  }
  const problem = tool.checkArguments(args ?? {});
  if (problem !== undefined) {
    return failure('invalid_arguments', 'invalid_arguments', `I could not use ${tool.entry.title} because ${problem}.`);
  }
  const { signal, timedOut, release } = callSignal(tool.entry.timeoutMs, context.signal);
  try {
    return tool.entry.kind === 'workflow'
      ? await runWorkflow(tool.entry, tool.bearerToken, args ?? {}, context, signal)
      : await runAction(tool.entry, args ?? {}, context, signal, connect);
  } catch (error) {
    if (timedOut()) return failure('timeout', 'timeout', `${tool.entry.title} took too long to answer, so I stopped waiting.`);
    if (context.signal?.aborted) return failure('cancelled', 'cancelled', `${tool.entry.title} was cancelled.`);
    const status = statusOf(error);
    if (status !== undefined) return upstreamFailure(tool.entry.title, status);
    return failure('tool_error', 'network', `I could not reach ${tool.entry.title} just now.`);
  } finally {
    release();
  }
}

/**
 * The signal a call runs under: aborted after `timeoutMs` (with a TimeoutError, as
 * AbortSignal.timeout) or when the caller's signal aborts. Unlike AbortSignal.timeout joined with
 * AbortSignal.any, its timer is cleared as soon as the call ends (`release`), so a finished call
 * leaves no timer behind to fire and abort seconds later, and nothing for the garbage collector to
 * track.
 */
function callSignal(timeoutMs: number, caller: AbortSignal | undefined): { signal: AbortSignal; timedOut: () => boolean; release: () => void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, timeoutMs);
  // Like AbortSignal.timeout's, the timer alone keeps no process alive.
  timer.unref();
  const cancel = () => controller.abort(caller?.reason);
  if (caller?.aborted === true) cancel();
  else caller?.addEventListener('abort', cancel, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    release: () => {
      clearTimeout(timer);
      caller?.removeEventListener('abort', cancel);
    },
  };
}

/**
 * Calls a Pipedream HTTP-triggered workflow with our own request (the SDK's invoke drops the
 * body), through undici's request API, the HTTP client Node's fetch is built on, without
 * fetch's WHATWG streams and objects: those cost a workflow call about three times the CPU
 * (`npm run bench:mcp`). A redirect is not followed: a workflow URL answers itself, and a 3xx is
 * reported like any other status the workflow should not have answered.
 */
async function runWorkflow(entry: WorkflowTool, token: string | undefined, args: unknown, context: RunContext, signal: AbortSignal): Promise<ToolRun> {
  const response = await request(entry.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/plain;q=0.9, */*;q=0.1',
      'x-pd-external-user-id': context.externalUserId,
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(args),
    signal,
  });
  const text = await response.body.text();
  if (response.statusCode < 200 || response.statusCode > 299) return upstreamFailure(entry.title, response.statusCode, text);
  const contentType = response.headers['content-type'];
  return success(parseBody(text, typeof contentType === 'string' ? contentType : null));
}

async function runAction(entry: ActionTool, args: unknown, context: RunContext, signal: AbortSignal, connect: PipedreamConnect | undefined): Promise<ToolRun> {
  if (connect === undefined) return failure('tool_error', 'not_configured', `${entry.title} is not set up on this server.`);
  const result = await connect.run({
    actionKey: entry.actionKey,
    app: entry.app,
    externalUserId: context.externalUserId,
    // Our fixed props win over the model's arguments.
    configuredProps: { ...(args as Record<string, unknown>), ...entry.fixedProps },
    timeoutMs: entry.timeoutMs,
    retries: entry.retries,
    signal,
  });
  if (result.kind === 'not-connected') return notConnected(entry, result);
  return success(result.summary !== undefined ? { result: result.ret, summary: result.summary } : result.ret);
}

/**
 * The user has no account connected for the action's app: the action did not run (an error
 * result, so neither the model nor the console says it did), and the result says what to do,
 * with the user's Connect Link in the text (the model can pass it on) and in structured content
 * (the console shows it as a link).
 */
function notConnected(entry: ActionTool, result: Extract<ConnectRunResult, { kind: 'not-connected' }>): ToolRun {
  const needed = `You need to connect your ${entry.app} account before I can use ${entry.title}.`;
  const text = result.connectLinkUrl !== undefined ? `${needed} Open this link to connect it, then ask me again: ${result.connectLinkUrl}` : needed;
  return {
    outcome: 'not_connected',
    errorClass: 'not_connected',
    result: {
      isError: true,
      content: [{ type: 'text', text }],
      ...(result.connectLinkUrl !== undefined
        ? { structuredContent: { app: entry.app, connectLinkUrl: result.connectLinkUrl, ...(result.connectLinkExpiresAt !== undefined ? { connectLinkExpiresAt: result.connectLinkExpiresAt } : {}) } }
        : {}),
    },
  };
}

function success(value: unknown): ToolRun {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  const structured = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  return {
    outcome: 'ok',
    result: {
      content: [{ type: 'text', text: text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text }],
      ...(structured !== undefined ? { structuredContent: structured } : {}),
    },
  };
}

function failure(outcome: Outcome, errorClass: string, sentence: string): ToolRun {
  return { outcome, errorClass, result: { isError: true, content: [{ type: 'text', text: sentence }] } };
}

/** A sentence for an upstream HTTP failure, by status; the body is never shown to the model. */
function upstreamFailure(title: string, status: number, body = ''): ToolRun {
  const errorClass = `upstream_${status}`;
  if (status === 429) return failure('tool_error', errorClass, `${title} is busy right now; please try again in a moment.`);
  if (status === 404) return failure('tool_error', errorClass, `${title} is not available right now.`);
  if (status === 400 && body.includes('No $.respond called')) {
    return failure('tool_error', 'no_response', `${title} finished without giving me an answer.`);
  }
  if (status >= 500) return failure('tool_error', errorClass, `${title} ran into a problem on its side; please try again later.`);
  return failure('tool_error', errorClass, `${title} did not accept that request.`);
}

function parseBody(text: string, contentType: string | null): unknown {
  if (contentType?.includes('json') === true || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** The HTTP status carried by an SDK error (PipedreamError has `statusCode`). */
function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
