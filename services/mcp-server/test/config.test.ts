import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { externalUserId, findCaller, parseCallers } from '../src/callers.ts';
import { CatalogError, loadCatalog, parseCatalog } from '../src/catalog.ts';
import { ConfigError, loadConfig } from '../src/config.ts';

const valid = {
  MCP_AUTH_TOKENS: 'console:console-token-7f3a9c2e5b8d1f4a',
  MCP_ALLOWED_HOSTS: 'mcp-server',
  TOOL_CATALOG: '/app/catalog.yaml',
  DATABASE_URL: 'postgresql://u@db:5432/x',
  REDIS_URL: 'redis://cache:6379',
};

const workflow = {
  name: 'lookup_order',
  kind: 'workflow',
  title: 'Order lookup',
  description: 'Finds an order.',
  url: 'https://eo123abc.m.pipedream.net',
  inputSchema: { type: 'object', properties: { order_id: { type: 'string' } } },
};

describe('loadConfig', () => {
  it('applies defaults', () => {
    const config = loadConfig(valid);
    expect(config).toMatchObject({ PORT: 8080, HOST: '::', PIPEDREAM_PROJECT_ENVIRONMENT: 'production', MCP_ALLOWED_HOSTS: ['mcp-server'], MCP_ALLOWED_ORIGINS: [] });
  });

  it('names every missing or invalid variable, and never repeats a value', () => {
    const error = (() => {
      try {
        loadConfig({ ...valid, MCP_AUTH_TOKENS: undefined, DATABASE_URL: 'mysql://secret-password@db', PORT: 'eighty' });
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('MCP_AUTH_TOKENS is not set');
    expect(error.message).toContain('DATABASE_URL must be a postgresql:// URL');
    expect(error.message).toContain('PORT');
    expect(error.message).not.toContain('secret-password');
  });

  it('drops duplicate hosts and origins, keeping the first of each in order', () => {
    const config = loadConfig({
      ...valid,
      MCP_ALLOWED_HOSTS: 'mcp-server, localhost,mcp-server,localhost',
      MCP_ALLOWED_ORIGINS: 'https://console.example.com,https://console.example.com,https://b.example.com',
    });
    expect(config.MCP_ALLOWED_HOSTS).toEqual(['mcp-server', 'localhost']);
    expect(config.MCP_ALLOWED_ORIGINS).toEqual(['https://console.example.com', 'https://b.example.com']);
  });

  it('defaults the request and audit limits', () => {
    expect(loadConfig(valid)).toMatchObject({
      RATE_LIMIT_PER_MINUTE: 600,
      ARGUMENT_MAX_DEPTH: 32,
      ARGUMENT_MAX_BYTES: 65_536,
      BODY_TIMEOUT_MS: 10_000,
      HEADERS_TIMEOUT_MS: 10_000,
      KEEP_ALIVE_TIMEOUT_MS: 65_000,
      AUDIT_MAX_LAG_MS: 30_000,
    });
  });

  it('keeps SSE streams through a drain for 30 minutes by default; takes fractions, and 0 for no wait', () => {
    expect(loadConfig(valid).SSE_DRAIN_TIMEOUT_SECONDS).toBe(1800);
    expect(loadConfig({ ...valid, SSE_DRAIN_TIMEOUT_SECONDS: '0' }).SSE_DRAIN_TIMEOUT_SECONDS).toBe(0);
    expect(loadConfig({ ...valid, SSE_DRAIN_TIMEOUT_SECONDS: '0.25' }).SSE_DRAIN_TIMEOUT_SECONDS).toBe(0.25);
    expect(loadConfig({ ...valid, SSE_DRAIN_TIMEOUT_SECONDS: '86400' }).SSE_DRAIN_TIMEOUT_SECONDS).toBe(86_400);
  });

  it.each<[string, string, string]>([
    ['ARGUMENT_MAX_DEPTH', '0', 'ARGUMENT_MAX_DEPTH must be a whole number from 1 to 1000 (levels of nesting)'],
    ['ARGUMENT_MAX_DEPTH', 'deep', 'ARGUMENT_MAX_DEPTH must be a whole number from 1 to 1000 (levels of nesting)'],
    ['ARGUMENT_MAX_BYTES', '10', 'ARGUMENT_MAX_BYTES must be a whole number of bytes, at least 256'],
    ['BODY_TIMEOUT_MS', '1.5', 'BODY_TIMEOUT_MS must be a whole number of milliseconds, at least 100'],
    ['HEADERS_TIMEOUT_MS', '-1', 'HEADERS_TIMEOUT_MS must be a whole number of milliseconds, at least 100'],
    ['KEEP_ALIVE_TIMEOUT_MS', 'soon', 'KEEP_ALIVE_TIMEOUT_MS must be a whole number of milliseconds, at least 100'],
    ['AUDIT_MAX_LAG_MS', '0', 'AUDIT_MAX_LAG_MS must be a whole number of milliseconds, at least 100'],
    ['RATE_LIMIT_PER_MINUTE', '0', 'RATE_LIMIT_PER_MINUTE must be a whole number of messages, at least 1'],
    // Blank would otherwise read as 0, which quietly means "do not wait".
    ['SSE_DRAIN_TIMEOUT_SECONDS', '', 'SSE_DRAIN_TIMEOUT_SECONDS must be a number of seconds from 0 to 86400'],
    ['SSE_DRAIN_TIMEOUT_SECONDS', '-1', 'SSE_DRAIN_TIMEOUT_SECONDS must be a number of seconds from 0 to 86400'],
    ['SSE_DRAIN_TIMEOUT_SECONDS', '86401', 'SSE_DRAIN_TIMEOUT_SECONDS must be a number of seconds from 0 to 86400'],
    ['SSE_DRAIN_TIMEOUT_SECONDS', '30m', 'SSE_DRAIN_TIMEOUT_SECONDS must be a number of seconds from 0 to 86400'],
  ])('explains an invalid %s', (name, value, message) => {
    expect(() => loadConfig({ ...valid, [name]: value })).toThrow(`invalid configuration: ${message}`);
  });
});

describe('callers', () => {
  it('parses caller:token pairs and bare tokens, and finds callers by token', () => {
    const callers = parseCallers('console:aaaaaaaaaaaaaaaaaaaa, ten-agent:bbbbbbbbbbbbbbbbbbbb,cccccccccccccccccccc');
    expect(callers.map((caller) => caller.name)).toEqual(['console', 'ten-agent', 'caller-3']);
    expect(findCaller(callers, 'bbbbbbbbbbbbbbbbbbbb')?.name).toBe('ten-agent');
    expect(findCaller(callers, 'bbbbbbbbbbbbbbbbbbbX')).toBeUndefined();
  });

  it('refuses short tokens and bad caller names, without echoing the token', () => {
    expect(() => parseCallers('console:short')).toThrow('MCP_AUTH_TOKENS entry 1 (caller "console") is shorter than 16 characters');
    expect(() => parseCallers('Bad Name:aaaaaaaaaaaaaaaaaaaa')).toThrow('MCP_AUTH_TOKENS entry 1 has an invalid caller name');
  });

  it('lets only trusted callers name the end user', () => {
    expect(externalUserId('console', ['console'], 'user-1')).toBe('user-1');
    expect(externalUserId('ten-agent', ['console'], 'user-1')).toBe('ten-agent');
    expect(externalUserId('console', ['console'], undefined)).toBe('console');
    expect(externalUserId('console', ['console'], 'has space')).toBeUndefined();
  });
});

describe('tool catalog', () => {
  it('loads YAML and JSON files', () => {
    const directory = mkdtempSync(join(tmpdir(), 'catalog-'));
    writeFileSync(join(directory, 'tools.json'), JSON.stringify({ tools: [workflow] }));
    writeFileSync(join(directory, 'tools.yaml'), 'tools:\n  - name: lookup_order\n    kind: workflow\n    title: Order lookup\n    description: Finds an order.\n    url: https://eo123abc.m.pipedream.net\n    inputSchema: { type: object }\n');
    expect(loadCatalog(join(directory, 'tools.json')).map((tool) => tool.entry.timeoutMs)).toEqual([8000]);
    expect(loadCatalog(join(directory, 'tools.yaml'))[0]?.entry.name).toBe('lookup_order');
    expect(() => loadCatalog(join(directory, 'missing.yaml'))).toThrow(`tool catalog ${join(directory, 'missing.yaml')} cannot be read`);
  });

  it.each<[string, unknown, string]>([
    ['an empty catalog', { tools: [] }, 'tools: list at least one tool'],
    ['a bad name', { tools: [{ ...workflow, name: 'Lookup Order' }] }, 'entry 1 ("Lookup Order"), field name: must be snake_case'],
    ['a non-HTTP URL', { tools: [{ ...workflow, url: 'ftp://x.example.com' }] }, 'entry 1 ("lookup_order"), field url'],
    ['an unknown kind', { tools: [{ ...workflow, kind: 'shell' }] }, 'entry 1 ("lookup_order"), field kind'],
    ['an unknown field', { tools: [{ ...workflow, command: 'rm -rf /' }] }, 'entry 1 ("lookup_order")'],
    ['a schema that is not an object', { tools: [{ ...workflow, inputSchema: { type: 'string' } }] }, 'field inputSchema.type'],
    ['an invalid JSON Schema', { tools: [{ ...workflow, inputSchema: { type: 'object', properties: { a: { type: 'strnig' } } } }] }, 'field inputSchema: not a valid JSON Schema'],
    ['a duplicate name', { tools: [workflow, workflow] }, 'entry 2 ("lookup_order"): the name is used by an earlier entry'],
    ['a token variable that is not set', { tools: [{ ...workflow, tokenEnv: 'NOT_SET_ANYWHERE' }] }, 'field tokenEnv: environment variable NOT_SET_ANYWHERE is not set'],
  ])('stops at %s, naming the entry', (_, data, message) => {
    expect(() => parseCatalog(data, 'tools.yaml', {})).toThrow(CatalogError);
    expect(() => parseCatalog(data, 'tools.yaml', {})).toThrow(message);
  });

  it('validates arguments against each entry schema', () => {
    const [tool] = parseCatalog({ tools: [{ ...workflow, inputSchema: { type: 'object', required: ['order_id'], properties: { order_id: { type: 'string' } } } }] }, 'x', {});
    expect(tool?.checkArguments({ order_id: 'A1' })).toBeUndefined();
    expect(tool?.checkArguments({})).toBe("arguments must have required property 'order_id'");
  });
});
