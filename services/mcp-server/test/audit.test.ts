import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { auditSettled, connectClient, createTestDatabase, startMcpServer, TOKENS } from './helpers/mcp.ts';
import { startPrivatePostgres, type PrivatePostgres } from './helpers/private-postgres.ts';

let fake: FakePipedream;

beforeAll(async () => {
  fake = await startFakePipedream();
  fake.setWorkflow('lookup-order', { body: { status: 'ok' } });
});

afterAll(async () => {
  await fake?.close();
});

describe('audit log', () => {
  it('records every one of 200 parallel calls', async () => {
    const database = await createTestDatabase();
    const server = await startMcpServer({ fake, databaseUrl: database.url });
    try {
      const client = await connectClient(server.url, TOKENS.tenAgent);
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, index) => client.callTool({ name: 'lookup_order', arguments: { order_id: `P-${index}` } })),
      );
      expect(results.filter((result) => result.isError).length).toBe(0);
      await client.close();
      await auditSettled(server.mcp);
      const { rows } = await server.pool.query('SELECT count(*)::int AS calls, count(DISTINCT argument_digest)::int AS digests FROM mcp_tool_calls');
      expect(rows[0]).toEqual({ calls: 200, digests: 200 });
    } finally {
      await server.close();
      await database.drop();
    }
  });

  describe('when Postgres restarts in the middle of the load', () => {
    let postgres: PrivatePostgres;

    beforeAll(async () => {
      postgres = await startPrivatePostgres();
    });

    afterAll(() => {
      postgres?.destroy();
    });

    it('never fails or blocks a call, and writes every record once Postgres is back', async () => {
      const server = await startMcpServer({ fake, databaseUrl: postgres.url });
      try {
        const client = await connectClient(server.url, TOKENS.tenAgent);
        const wave = (from: number) =>
          Promise.all(Array.from({ length: 50 }, (_, index) => client.callTool({ name: 'lookup_order', arguments: { order_id: `R-${from + index}` } })));
        const first = await wave(0);
        postgres.stop();
        const started = performance.now();
        const during = await wave(50);
        const duringMs = performance.now() - started;
        expect(server.mcp.audit.pending).toBeGreaterThan(0);
        postgres.start();
        const after = await wave(100);
        await client.close();
        expect([...first, ...during, ...after].filter((result) => result.isError).length).toBe(0);
        // Calls did not wait for the database.
        expect(duringMs).toBeLessThan(5_000);
        await auditSettled(server.mcp, 20_000);
        const { rows } = await server.pool.query('SELECT count(*)::int AS calls FROM mcp_tool_calls');
        expect(rows[0]).toEqual({ calls: 150 });
        expect(server.logs.join('')).toContain('audit database unreachable; keeping records');
      } finally {
        await server.close();
      }
    });

    it('writes the oldest records to the log when more than AUDIT_BUFFER_MAX wait, and the rest to Postgres once it is back', async () => {
      const server = await startMcpServer({ fake, databaseUrl: postgres.url, env: { AUDIT_BUFFER_MAX: '100' } });
      const { rows: before } = await server.pool.query<{ calls: number }>('SELECT count(*)::int AS calls FROM mcp_tool_calls');
      postgres.stop();
      try {
        const client = await connectClient(server.url, TOKENS.tenAgent);
        for (let wave = 0; wave < 11; wave += 1) {
          await Promise.all(Array.from({ length: 10 }, (_, index) => client.callTool({ name: 'lookup_order', arguments: { order_id: `B-${wave}-${index}` } })));
        }
        await client.close();
        expect(server.mcp.audit.pending).toBe(100);
        const pushedOut = server.logs.map((line) => JSON.parse(line) as { msg: string; reason?: string }).filter((line) => line.msg === 'audit record not written to Postgres; logged instead');
        expect(pushedOut.map((line) => line.reason)).toEqual(Array(10).fill('buffer full'));
        expect(await server.mcp.metrics.registry.metrics()).toContain('mcp_audit_records_dropped_total 10');
      } finally {
        postgres.start();
      }
      try {
        await auditSettled(server.mcp, 20_000);
        const { rows } = await server.pool.query<{ calls: number }>('SELECT count(*)::int AS calls FROM mcp_tool_calls');
        expect(rows[0]!.calls - before[0]!.calls).toBe(100);
      } finally {
        await server.close();
      }
    });

    it('writes the records it could not store to the log at shutdown, without argument values, and counts them', async () => {
      const server = await startMcpServer({ fake, databaseUrl: postgres.url });
      postgres.stop();
      try {
        const client = await connectClient(server.url, TOKENS.tenAgent);
        const results = await Promise.all(Array.from({ length: 5 }, (_, index) => client.callTool({ name: 'lookup_order', arguments: { order_id: `Q-${index}` } })));
        await client.close();
        expect(results.filter((result) => result.isError).length).toBe(0);
        await server.close(500);
        const logged = server.logs.map((line) => JSON.parse(line) as { msg: string; reason?: string; auditRecord?: Record<string, unknown> });
        const unwritten = logged.filter((line) => line.msg === 'audit record not written to Postgres; logged instead');
        expect(unwritten.map((line) => line.reason)).toEqual(Array(5).fill('shutdown'));
        for (const { auditRecord } of unwritten) {
          expect(auditRecord).toMatchObject({ tool: 'lookup_order', caller: 'ten-agent', argumentNames: 'order_id', argumentDigest: expect.stringMatching(/^hmac-sha256:/), outcome: 'ok' });
        }
        expect(server.logs.join('')).not.toMatch(/Q-\d/);
        const metrics = await server.mcp.metrics.registry.metrics();
        expect(metrics).toContain('mcp_audit_records_unwritten_total 5');
      } finally {
        postgres.start();
      }
    });
  });
});
