import type { IncomingMessage, ServerResponse } from 'node:http';
import { validateHostHeader, type AuthInfo } from '@modelcontextprotocol/server';
import type { NextFunction, Request, Response } from 'express';
import ipaddr from 'ipaddr.js';
import { externalUserId } from './callers.ts';

/**
 * A request as the guards see it, on Express or on plain node:http (`src/mcp-endpoint.ts`): the
 * caller once authenticated, the body once read.
 */
export type GuardedRequest = IncomingMessage & { auth?: AuthInfo; body?: unknown };

/** How a guard refuses a request: the status, the JSON body and any headers of the answer. */
export interface Refusal {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A check of a request before it is served: undefined lets it through. The same function guards
 * the Express routes (through `expressGuard`) and the plain node:http endpoint at /mcp, so the two
 * cannot disagree about what they refuse.
 */
export type Guard = (req: GuardedRequest) => Refusal | undefined | Promise<Refusal | undefined>;

/**
 * Writes a JSON answer with node:http alone, as Express's `res.json` writes it (status, UTF-8
 * JSON content type, length), so an answer reads the same whichever path wrote it.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

export function answerRefusal(res: ServerResponse, refusal: Refusal): void {
  for (const [name, value] of Object.entries(refusal.headers ?? {})) res.setHeader(name, value);
  sendJson(res, refusal.status, refusal.body);
}

/** A JSON-RPC error body with no id, as the MCP spec asks for transport-level refusals. */
export function jsonRpcRefusal(status: number, code: number, message: string, headers?: Readonly<Record<string, string>>): Refusal {
  return { status, body: { jsonrpc: '2.0', error: { code, message }, id: null }, ...(headers !== undefined ? { headers } : {}) };
}

export function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  answerRefusal(res, jsonRpcRefusal(status, code, message));
}

/**
 * A guard as Express middleware: refusals are answered; errors (a guard that throws, or whose
 * promise rejects: Express 5 catches both) go to the app's error handler.
 */
export function expressGuard(guard: Guard) {
  return (req: Request, res: Response, next: NextFunction): Promise<void> | void => {
    const settle = (refusal: Refusal | undefined) => (refusal === undefined ? next() : answerRefusal(res, refusal));
    const verdict = guard(req);
    if (verdict instanceof Promise) return verdict.then(settle);
    settle(verdict);
  };
}

/** DNS rebinding protection: the Host must be allowed (port-agnostic), as the SDK's own middleware checks it. */
export function hostCheck(allowedHosts: readonly string[]): Guard {
  const allowed = [...allowedHosts];
  return (req) => {
    const result = validateHostHeader(req.headers.host, allowed);
    return result.ok ? undefined : jsonRpcRefusal(403, -32000, result.message);
  };
}

/**
 * Refuses browsers from other sites: a request that carries an Origin must carry an allowed one
 * (403 otherwise). Server-to-server callers send none. The MCP SDK checks only Host.
 */
export function originCheck(allowedOrigins: readonly string[]): Guard {
  const allowed = new Set(allowedOrigins.map((origin) => origin.replace(/\/$/, '')));
  return (req) => {
    const origin = req.headers.origin;
    if (origin === undefined || allowed.has(origin)) return undefined;
    return jsonRpcRefusal(403, -32000, `Origin not allowed: ${origin}`);
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
export function endUser(trustedCallers: readonly string[]): Guard {
  return (req) => {
    const auth = req.auth;
    if (auth === undefined) return undefined;
    const header = req.headers['x-end-user-id'];
    const id = externalUserId(auth.clientId, trustedCallers, typeof header === 'string' ? header : undefined);
    if (id === undefined) return { status: 400, body: { error: 'X-End-User-Id must be 1 to 250 visible ASCII characters' } };
    auth.extra = { ...auth.extra, externalUserId: id };
    return undefined;
  };
}

/**
 * Carries the request's id to the tool path with the caller (the SDK hands a handler the AuthInfo,
 * not the HTTP request), so the "tool call" line has the id of the request that made the call.
 */
export const requestIdToTools: Guard = (req) => {
  if (req.auth !== undefined) req.auth.extra = { ...req.auth.extra, requestId: String(req.id) };
  return undefined;
};
