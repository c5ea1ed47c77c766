import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeRule, SECRET_CATALOG, secretValueProblem } from '../../constructs/index.ts';
import { parseCallers } from '../../services/mcp-server/src/callers.ts';

const entries = Object.entries(SECRET_CATALOG);

describe('the secret catalog', () => {
  it('accepts what each entry says to make: openssl rand -hex 32 (or 16) output', () => {
    const generated = entries.filter(([, entry]) => entry.source.kind === 'generate');
    expect(generated.length).toBeGreaterThan(8);
    for (const [name, entry] of generated) {
      const bytes = /-hex (\d+)/.exec(entry.source.how)?.[1];
      expect(bytes, name).toBeDefined();
      expect(secretValueProblem(name, randomBytes(Number(bytes)).toString('hex')), name).toBeUndefined();
    }
  });

  it('refuses a value one character short of each minimum, and says so without the value or its length', () => {
    let checked = 0;
    for (const [name, entry] of entries) {
      const minimum = entry.rule.minLength ?? 0;
      if (minimum < 2 || entry.rule.format === 'url') continue;
      const short = 'k'.repeat(minimum - 1);
      expect(secretValueProblem(name, short), name).toBe(`is shorter than ${minimum} characters`);
      expect(secretValueProblem(name, 'k'.repeat(minimum)), name).toBeUndefined();
      checked += 1;
    }
    expect(checked).toBeGreaterThan(8);
  });

  it('refuses characters a connection URL or a name:token list would break on, for the URL-safe ones', () => {
    for (const value of ['pass@word-0123456789', 'pass:word-0123456789', 'pass/word-0123456789', 'pass,word-0123456789']) {
      expect(secretValueProblem('POSTGRES_PASSWORD', value)).toBe('has characters other than letters, digits and - _ . ~');
    }
    expect(secretValueProblem('CONSOLE_SESSION_SECRET', `${'x'.repeat(31)}@`)).toBeUndefined();
  });

  it('checks connection URLs by scheme', () => {
    expect(secretValueProblem('DATABASE_URL', 'postgres://app:secret@db.example.com:5432/app')).toBeUndefined();
    expect(secretValueProblem('DATABASE_URL', 'mysql://app@db.example.com/app')).toBe('is not a postgres:// or postgresql:// URL');
    expect(secretValueProblem('REDIS_URL', 'db.example.com:6379')).toBe('is not a redis:// or rediss:// URL');
    expect(secretValueProblem('REDIS_URL', '')).toBe('is empty');
  });

  it('describes each rule in words', () => {
    expect(describeRule(SECRET_CATALOG['AGENT_BRIDGE_TOKEN']!.rule)).toBe('at least 32 characters');
    expect(describeRule(SECRET_CATALOG['OIDC_CLIENT_SECRET']!.rule)).toBe('not empty');
    expect(describeRule(SECRET_CATALOG['MCP_TEN_AGENT_TOKEN']!.rule)).toBe('at least 16 characters, letters, digits and - _ . ~ only');
  });

  it('agrees with the MCP server on its tokens: the shortest the catalog accepts starts the server, one less does not', () => {
    for (const name of ['MCP_CONSOLE_TOKEN', 'MCP_TEN_AGENT_TOKEN']) {
      const minimum = SECRET_CATALOG[name]!.rule.minLength!;
      expect(() => parseCallers(`console:${'k'.repeat(minimum)}`), name).not.toThrow();
      expect(() => parseCallers(`console:${'k'.repeat(minimum - 1)}`), name).toThrow(/shorter than/);
    }
  });
});
