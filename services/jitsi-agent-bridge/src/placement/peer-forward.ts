import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Request, Response } from 'express';
import { REQUEST_ID_HEADER } from '../request-log.ts';
import type { Peer } from './placement.ts';

/**
 * Passes a room request to the bridge replica that holds the room (or can take it) and streams
 * its answer back as it comes, the SSE event stream included. The console talks to any replica
 * behind one Service; only one of them runs a given room.
 */

/** Set on a forwarded request: the replica it reaches answers it itself, so a request makes one hop at most. */
export const FORWARDED_HEADER = 'x-bridge-forwarded-by';

/** Headers the holder needs to accept and answer the request as its first receiver would have. */
const PASSED_HEADERS = ['authorization', 'host', 'origin', 'accept', 'content-type', 'content-length', 'last-event-id'] as const;

export function isForwarded(req: Request): boolean {
  return req.headers[FORWARDED_HEADER] !== undefined;
}

/**
 * Sends `req` to `peer` and pipes the answer into `res`. When the peer cannot be reached, answers
 * 502 with `describe(peer, cause)` and resolves; it never throws.
 */
export function forwardToPeer(req: Request, res: Response, peer: Peer, forwardedBy: string, describe: (cause: string) => string): Promise<void> {
  return new Promise((resolve) => {
    const target = new URL(req.originalUrl, peer.url);
    const headers: Record<string, string | string[]> = { [FORWARDED_HEADER]: forwardedBy };
    // The Host stays the caller's: it is one the holder accepts (every replica has the same list).
    for (const name of PASSED_HEADERS) {
      const value = req.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    // The holder logs the request under the id this replica gave it (and answers with it).
    const requestId = res.getHeader(REQUEST_ID_HEADER);
    if (typeof requestId === 'string') headers[REQUEST_ID_HEADER] = requestId;
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send(target, { method: req.method, headers, timeout: 15_000 }, (answer) => {
      res.status(answer.statusCode ?? 502);
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && name !== 'connection' && name !== 'transfer-encoding' && name !== 'keep-alive') res.setHeader(name, value);
      }
      // An event stream stays open for as long as the room runs: no idle timeout from here on.
      upstream.setTimeout(0);
      res.flushHeaders();
      answer.pipe(res);
      answer.on('end', resolve);
      answer.on('error', () => resolve());
    });
    upstream.on('timeout', () => upstream.destroy(new Error('no answer within 15 s')));
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (!res.headersSent) res.status(502).json({ error: describe(error.code ?? error.message) });
      else res.end();
      resolve();
    });
    // The caller went away (a console closing its event stream): so does the upstream request.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
}
