import type { DiscoverResult } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { DiscoveryCache } from '../lib/mcp-discovery.ts';

const discover = { supportedVersions: ['2026-07-28'], capabilities: { tools: {} } } as unknown as DiscoverResult;

describe('the console’s cache of the MCP server’s era', () => {
  it('hands back a verdict for its URL for a minute, then probes again', () => {
    let now = 1_000_000;
    const cache = new DiscoveryCache(() => now);
    cache.remember('http://mcp-server:8080/mcp', { kind: 'modern', discover });
    expect(cache.get('http://mcp-server:8080/mcp')).toEqual({ kind: 'modern', discover });
    expect(cache.get('http://other:8080/mcp')).toBeUndefined();
    now += 59_999;
    expect(cache.get('http://mcp-server:8080/mcp')).toBeDefined();
    now += 1;
    expect(cache.get('http://mcp-server:8080/mcp')).toBeUndefined();
  });

  it('forgets a verdict at once after a failure', () => {
    const cache = new DiscoveryCache();
    cache.remember('http://mcp-server:8080/mcp', { kind: 'modern', discover });
    cache.forget('http://mcp-server:8080/mcp');
    expect(cache.get('http://mcp-server:8080/mcp')).toBeUndefined();
  });
});
