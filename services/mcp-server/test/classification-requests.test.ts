import type { IncomingMessage } from 'node:http';
import { isLegacyRequest } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { ClassificationRequests } from '../src/classification-requests.ts';

/** The web Requests the era classification reads, one kept per combination of the standard headers. */

const incoming = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('classification requests', () => {
  it('carries the method and the standard headers, and nothing else of the request', () => {
    const request = new ClassificationRequests().for(incoming({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo', authorization: 'Bearer secret-token-0123456789' }));
    expect(request.method).toBe('POST');
    expect([...request.headers]).toEqual([
      ['mcp-method', 'tools/call'],
      ['mcp-name', 'echo'],
      ['mcp-protocol-version', '2026-07-28'],
    ]);
  });

  it('hands out the same request for the same headers, another for other headers', () => {
    const requests = new ClassificationRequests();
    const first = requests.for(incoming({ 'mcp-protocol-version': '2025-11-25' }));
    expect(requests.for(incoming({ 'mcp-protocol-version': '2025-11-25', 'x-request-id': 'other' }))).toBe(first);
    expect(requests.for(incoming({ 'mcp-protocol-version': '2025-06-18' }))).not.toBe(first);
    // A header that is empty is not a header that is missing.
    expect(requests.for(incoming({ 'mcp-protocol-version': '2025-11-25', 'mcp-name': '' }))).not.toBe(first);
  });

  it('keeps a bounded number, however many names clients send', () => {
    const requests = new ClassificationRequests();
    const first = requests.for(incoming({ 'mcp-name': 'tool-0' }));
    for (let index = 1; index <= 256; index += 1) requests.for(incoming({ 'mcp-name': `tool-${index}` }));
    expect(requests.for(incoming({ 'mcp-name': 'tool-0' }))).not.toBe(first);
  });

  it('classifies as often as it is asked, the same way each time', async () => {
    const requests = new ClassificationRequests();
    const legacyCall = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: {} } };
    for (let round = 0; round < 3; round += 1) {
      expect(await isLegacyRequest(requests.for(incoming({ 'mcp-protocol-version': '2025-11-25' })), legacyCall)).toBe(true);
      // No parsed body: the classification reads the (empty) body of a clone, never of the kept request.
      expect(await isLegacyRequest(requests.for(incoming({ 'mcp-protocol-version': '2025-11-25' })), undefined)).toBe(true);
    }
  });
});
