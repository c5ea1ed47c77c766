import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { AuditLog, type AuditRecord } from '../src/audit/audit-log.ts';

/**
 * The audit log writes what arrives close together in one INSERT, and loses nothing by waiting:
 * against a stand-in for the pool that only counts the rows of each INSERT.
 */

const counter = () => ({ inc: () => undefined });
const counters = { written: counter(), sanitized: counter(), rejected: counter(), writeFailures: counter(), dropped: counter(), unwritten: counter() };

function record(index: number): AuditRecord {
  return {
    id: randomUUID(),
    calledAt: new Date(),
    tool: 'lookup_order',
    caller: 'console',
    endUser: 'console',
    transport: 'mcp',
    argumentNames: ['order_id'],
    argumentDigest: `hmac-sha256:${String(index).padStart(64, '0')}`,
    durationMs: 3,
    outcome: 'ok',
    errorClass: null,
  };
}

/** A pool whose every query takes `delayMs`, keeping the ids each INSERT wrote. */
function fakePool(delayMs = 1) {
  const inserts: string[][] = [];
  const pool = {
    query: async (_text: string, values: unknown[]) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      inserts.push(values[0] as string[]);
      return { rowCount: (values[0] as string[]).length };
    },
  };
  return { pool: pool as unknown as Pool, inserts };
}

const until = async (check: () => boolean) => {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

function auditLog(pool: Pool) {
  return new AuditLog(pool, { maxBuffered: 100_000, logger: pino({ level: 'silent' }), counters });
}

describe('audit batches', () => {
  it('writes the records of calls that come close together in one INSERT', async () => {
    const { pool, inserts } = fakePool();
    const audit = auditLog(pool);
    const ids: string[] = [];
    for (let index = 0; index < 20; index += 1) {
      const next = record(index);
      ids.push(next.id);
      audit.record(next);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => audit.pending === 0);
    expect(inserts.flat()).toEqual(ids);
    expect(inserts.length).toBeLessThan(5);
  });

  it('writes a full batch at once, and the rest after it', async () => {
    const { pool, inserts } = fakePool();
    const audit = auditLog(pool);
    for (let index = 0; index < 1_200; index += 1) audit.record(record(index));
    await until(() => audit.pending === 0);
    expect(inserts.map((ids) => ids.length)).toEqual([500, 500, 200]);
  });

  it('keeps what arrives while a batch is being written for the next one', async () => {
    const { pool, inserts } = fakePool(30);
    const audit = auditLog(pool);
    const ids: string[] = [];
    for (let index = 0; index < 300; index += 1) {
      const next = record(index);
      ids.push(next.id);
      audit.record(next);
      if (index % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await until(() => audit.pending === 0);
    expect(inserts.flat()).toEqual(ids);
  });

  it('does not wait to write when closing', async () => {
    const realTimeout = setTimeout;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const inserts: number[] = [];
      const pool = { query: async (_text: string, values: unknown[]) => (inserts.push((values[0] as string[]).length), { rowCount: inserts.at(-1) }) };
      const audit = auditLog(pool as unknown as Pool);
      for (let index = 0; index < 600; index += 1) audit.record(record(index));
      // No timer runs: closing writes both batches without gathering for the second.
      const left = await Promise.race([audit.close(5_000), new Promise((resolve) => realTimeout(() => resolve('waited'), 2_000))]);
      expect(left).toBe(0);
      expect(inserts).toEqual([500, 100]);
    } finally {
      vi.useRealTimers();
    }
  });
});
