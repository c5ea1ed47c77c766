import type { NextFunction, Request, Response } from 'express';
import ipaddr from 'ipaddr.js';
import { externalUserId } from './callers.ts';

/** A JSON-RPC error body with no id, as the MCP spec asks for transport-level refusals. */
export function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/**
 * Refuses browsers from other sites: a request that carries an Origin must carry an allowed one
 * (403 otherwise). Server-to-server callers send none. The MCP SDK checks only Host.
 */
export function originCheck(allowedOrigins: readonly string[]) {
  const allowed = new Set(allowedOrigins.map((origin) => origin.replace(/\/$/, '')));
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin === undefined || allowed.has(origin)) return next();
    jsonRpcError(res, 403, -32000, `Origin not allowed: ${origin}`);
  };
}

/** Address ranges of a private network: loopback, RFC 1918, CGNAT, unique-local and link-local IPv6. */
const PRIVATE_RANGES = new Set(['loopback', 'private', 'carrierGradeNat', 'uniqueLocal', 'linkLocal']);

function isPrivate(address: string | undefined): boolean {
  if (address === undefined || !ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return PRIVATE_RANGES.has(parsed.range());
}

/**
 * Accepts only requests from the private network: the peer address is private and no proxy in
 * between reports a public client (a public request through an ingress arrives from a private
 * proxy address but carries the client in X-Forwarded-For).
 */
export function privateNetworkOnly() {
  return (req: Request, res: Response, next: NextFunction) => {
    const forwarded = String(req.headers['x-forwarded-for'] ?? '')
      .split(',')
      .map((address) => address.trim())
      .filter((address) => address !== '');
    if (isPrivate(req.socket.remoteAddress) && forwarded.every(isPrivate)) return next();
    res.status(403).json({ error: 'the SSE transport is only served on the private network' });
  };
}

/** Resolves which Connect end user the authenticated caller acts for (see `externalUserId`). */
export function endUser(trustedCallers: readonly string[]) {
  return (req: Request, res: Response, next: NextFunction) => {
    const auth = req.auth;
    if (auth === undefined) return next();
    const header = req.headers['x-end-user-id'];
    const id = externalUserId(auth.clientId, trustedCallers, typeof header === 'string' ? header : undefined);
    if (id === undefined) {
      res.status(400).json({ error: 'X-End-User-Id must be 1 to 250 visible ASCII characters' });
      return;
    }
    auth.extra = { ...auth.extra, externalUserId: id };
    next();
  };
}
