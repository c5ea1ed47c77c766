import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** Every refusal of the API is `{"error": "<sentence>"}` with its status. */
export function refuse(res: Response, status: number, error: string): void {
  res.status(status).json({ error });
}

/**
 * Refuses requests for a Host this service is not known by (DNS rebinding): the name is
 * compared without its port and in lowercase, as the MCP server's SDK middleware does. 403 as
 * the MCP server answers; the name is repeated back, the allowed list is not.
 */
export function hostCheck(allowedHosts: readonly string[]) {
  const allowed = new Set(allowedHosts.map((host) => host.toLowerCase()));
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.host;
    if (header === undefined || header === '') return refuse(res, 403, 'the request has no Host header');
    let hostname: string;
    try {
      hostname = new URL(`http://${header}`).hostname.toLowerCase();
    } catch {
      return refuse(res, 403, 'the Host header is not a host name');
    }
    if (!allowed.has(hostname)) return refuse(res, 403, `Host not allowed: ${hostname}`);
    next();
  };
}

/**
 * Refuses browsers from other sites: a request that carries an Origin must carry an allowed one.
 * Server-to-server callers (the console's server side) send none.
 */
export function originCheck(allowedOrigins: readonly string[]) {
  const allowed = new Set(allowedOrigins.map((origin) => origin.replace(/\/+$/, '')));
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin === undefined || allowed.has(origin)) return next();
    refuse(res, 403, `Origin not allowed: ${origin}`);
  };
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * `Authorization: Bearer <token>`, compared in constant time (over digests, so the lengths
 * match whatever was sent). 401 with a `WWW-Authenticate: Bearer` challenge otherwise.
 */
export function bearerAuth(token: string) {
  const expected = digest(token);
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^Bearer ([^\s]+)$/i.exec(header.trim());
    if (match === null) {
      res.set('WWW-Authenticate', 'Bearer realm="jitsi-agent-bridge"');
      return refuse(res, 401, 'this API needs an Authorization: Bearer <BRIDGE_API_TOKEN> header');
    }
    if (!timingSafeEqual(digest(match[1]!), expected)) {
      res.set('WWW-Authenticate', 'Bearer realm="jitsi-agent-bridge", error="invalid_token"');
      return refuse(res, 401, 'the bearer token is not the bridge API token');
    }
    next();
  };
}
