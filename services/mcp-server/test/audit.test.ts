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
  });
});
