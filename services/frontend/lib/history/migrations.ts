import type { Pool } from 'pg';

/**
 * The console's history schema, as ordered migrations. Each runs once, in a transaction, under
 * an advisory lock so replicas starting together do not race. Append; never edit old ones.
 */
const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE console_agent_sessions (
        id uuid PRIMARY KEY,
        user_sub text NOT NULL,
        room text NOT NULL,
        graph text NOT NULL,
        started_at timestamptz NOT NULL,
        -- Where the agent's keep-alive ran out if nobody stops it: the end of an abandoned session.
        keepalive_until timestamptz NOT NULL,
        stopped_at timestamptz,
        stop_reason text
      );
      CREATE INDEX console_agent_sessions_user ON console_agent_sessions (user_sub, started_at DESC);
      CREATE TABLE console_tool_calls (
        id uuid PRIMARY KEY,
        user_sub text NOT NULL,
        tool text NOT NULL,
        arguments jsonb NOT NULL,
        result_text text NOT NULL,
        is_error boolean NOT NULL,
        duration_ms integer NOT NULL,
        called_at timestamptz NOT NULL
      );
      CREATE INDEX console_tool_calls_user ON console_tool_calls (user_sub, called_at DESC);
    `,
  },
  {
    version: 2,
    // The browser's request id of each call, so a call can be traced from what the user was told.
    sql: 'ALTER TABLE console_tool_calls ADD COLUMN request_id text;',
  },
];

/** Arbitrary constant naming our advisory lock (the MCP server uses another). */
const MIGRATION_LOCK = 7_234_101;

/** Applies the migrations this database has not seen; returns the versions applied. */
export async function migrate(pool: Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS console_schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM console_schema_migrations');
    const done = new Set(rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO console_schema_migrations (version) VALUES ($1)', [migration.version]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
