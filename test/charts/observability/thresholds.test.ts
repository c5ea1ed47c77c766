/**
 * The shared defaults stay what their sources say: the bridge benchmark's added-latency target
 * and the MCP server's AUDIT_MAX_LAG_MS default. Read from the sources' text, since charts/ does
 * not import service code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ADDED_LATENCY_TARGET_SECONDS, DEFAULT_AUDIT_MAX_LAG_SECONDS } from '../../../charts/observability/index.ts';
import { REPO_ROOT } from '../../../constructs/repo-root.ts';

function source(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

describe('observability defaults', () => {
  it('the added-latency target is the bridge benchmark\'s TARGET_ADDED_P95_MS', () => {
    const match = /const TARGET_ADDED_P95_MS = (\d+);/.exec(source('services/jitsi-agent-bridge/bench/bridge.bench.ts'));
    expect(match, 'TARGET_ADDED_P95_MS in bridge.bench.ts').not.toBeNull();
    expect(DEFAULT_ADDED_LATENCY_TARGET_SECONDS * 1000).toBe(Number(match![1]));
  });

  it("the audit lag limit is the MCP server's AUDIT_MAX_LAG_MS default", () => {
    const match = /AUDIT_MAX_LAG_MS: wholeNumber\('milliseconds', ([\d_]+),/.exec(source('services/mcp-server/src/config.ts'));
    expect(match, 'AUDIT_MAX_LAG_MS in config.ts').not.toBeNull();
    expect(DEFAULT_AUDIT_MAX_LAG_SECONDS * 1000).toBe(Number(match![1]!.replaceAll('_', '')));
  });
});
