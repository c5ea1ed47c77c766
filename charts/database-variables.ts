import type { DatabaseEngine, DatabaseOutputName } from '../constructs/index.ts';

/**
 * Conventional variable names of each database output: the variables Railway's managed
 * Postgres and Redis define, and the Doppler secret names an external database is read from in
 * Kubernetes, which follow the same convention.
 */
const VARIABLES: Record<DatabaseEngine, Partial<Record<DatabaseOutputName, string>>> = {
  postgres: { url: 'DATABASE_URL', host: 'PGHOST', port: 'PGPORT', user: 'PGUSER', password: 'PGPASSWORD', database: 'PGDATABASE' },
  redis: { url: 'REDIS_URL', host: 'REDISHOST', port: 'REDISPORT', user: 'REDISUSER', password: 'REDISPASSWORD' },
};

/** The variable (or Doppler secret) holding one output of a database, or undefined when the engine has none. */
export function databaseVariable(engine: DatabaseEngine, output: DatabaseOutputName): string | undefined {
  return VARIABLES[engine][output];
}
