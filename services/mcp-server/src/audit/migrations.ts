import type { Pool } from 'pg';

/**
 * The audit schema, as ordered migrations. Each runs once, in a transaction, under an advisory
 * lock so replicas starting together do not race. Append new migrations; never edit old ones.
 */
const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE mcp_tool_calls (
        id uuid PRIMARY KEY,
        called_at timestamptz NOT NULL,
        tool text NOT NULL,
        caller text NOT NULL,
        end_user text NOT NULL,
        transport text NOT NULL,
        argument_names text NOT NULL,
        argument_digest text NOT NULL,
        duration_ms integer NOT NULL,
        outcome text NOT NULL,
        error_class text
      );
      CREATE INDEX mcp_tool_calls_called_at ON mcp_tool_calls (called_at);
      CREATE INDEX mcp_tool_calls_tool_outcome ON mcp_tool_calls (tool, outcome);
    `,
  },
  {
    version: 2,
    // Says when a row is not the record exactly as made: 'escaped' (argument names with
    // characters stored as \uXXXX) or 'placeholder: …' (Postgres refused the record itself).
    sql: 'ALTER TABLE mcp_tool_calls ADD COLUMN audit_note text',
  },
];

/** Arbitrary constant naming our advisory lock. */
const MIGRATION_LOCK = 7_234_001;

/** Applies the migrations this database has not seen; returns the versions applied. */
export async function migrate(pool: Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS mcp_schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM mcp_schema_migrations');
    const applied = new Set(rows.map((row) => row.version));
    const pending = MIGRATIONS.filter((migration) => !applied.has(migration.version));
    for (const migration of pending) {
      await client.query(migration.sql);
      await client.query('INSERT INTO mcp_schema_migrations (version) VALUES ($1)', [migration.version]);
    }
    await client.query('COMMIT');
    return pending.map((migration) => migration.version);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
