import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerRefusal, type Guard, type GuardedRequest } from './http-guards.ts';
import { readBody, type BodyStep } from './request-body.ts';

/** What POST /mcp runs, in order; `src/app.ts` builds its Express route from the same parts. */
export interface McpEndpointSteps {
  /** Starts the request: Connection: close while draining, its id and its log line. */
  readonly begin: (req: GuardedRequest, res: ServerResponse) => void;
  /** Host, Origin, bearer token, end user, request id for the tools, rate-limit admission. */
  readonly beforeBody: readonly Guard[];
  /** Reads the bounded JSON body into `req.body`. */
  readonly body: readonly BodyStep[];
  /** Batch rules, then the charge for the rest of a batch. */
  readonly afterBody: readonly Guard[];
  readonly serve: (req: GuardedRequest, res: ServerResponse) => Promise<void>;
  /** What Express's error handler answers for an error any step raised. */
  readonly answerError: (error: unknown, req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * POST /mcp on plain node:http, ahead of Express: the steps of the Express route, run in the same
 * order with the same functions, without Express's routing, its request and response prototypes
 * and its per-middleware dispatch, which cost more CPU than all the checks together (the tool
 * calls at /mcp are nearly all of this server's traffic).
 */
export function mcpEndpoint(steps: McpEndpointSteps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { begin, beforeBody, body, afterBody, serve, answerError } = steps;
  return async (req: GuardedRequest, res) => {
    begin(req, res);
    try {
      if (await refused(beforeBody, req, res)) return;
      await readBody(body, req, res);
      if (await refused(afterBody, req, res)) return;
      await serve(req, res);
    } catch (error) {
      try {
        answerError(error, req, res);
      } catch {
        // Answering failed too (Express's final handler would take over here): cut the exchange
        // rather than leave the client waiting or let the rejection end the process.
        res.destroy();
      }
    }
  };
}

/** Runs guards until one refuses, and answers its refusal; true when one did. */
async function refused(guards: readonly Guard[], req: GuardedRequest, res: ServerResponse): Promise<boolean> {
  for (const guard of guards) {
    const verdict = guard(req);
    // Most guards answer at once; awaiting only the ones that do not saves a turn of the microtask queue each.
    const refusal = verdict instanceof Promise ? await verdict : verdict;
    if (refusal !== undefined) {
      answerRefusal(res, refusal);
      return true;
    }
  }
  return false;
}

/**
 * The requests the endpoint serves: POST to /mcp spelled as clients spell it. Express matches more
 * spellings (any case, a trailing slash, an absolute-form target); those still reach its route,
 * which runs the same steps.
 */
export function isMcpPost(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url ?? '';
  return url === '/mcp' || url.startsWith('/mcp?');
}
