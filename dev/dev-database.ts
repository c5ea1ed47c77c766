import pg from 'pg';

/** The same server and credentials, on the maintenance database `postgres`. */
export function adminUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.href;
}

/** Creates the dev database when it is missing (the MCP server and the console migrate it themselves). */
export async function ensureDatabase(databaseUrl: string): Promise<'created' | 'existed'> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  const client = new pg.Client({ connectionString: adminUrl(databaseUrl), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount !== 0) return 'existed';
    try {
      // The name is checked as a plain identifier by readSettings; quoted all the same.
      await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    } catch (error) {
      // Another `npm run dev` created it first.
      if ((error as { code?: string }).code === '42P04') return 'existed';
      throw error;
    }
    return 'created';
  } finally {
    await client.end();
  }
}
