import type { Construct } from 'constructs';
import { z } from 'zod';
import { ManagedDatabase } from './managed-database.ts';
import { checkProps, failForNewService, imageTagSchema } from './props-check.ts';
import { interpolate, secret, type DatabaseOutputName, type EnvValue } from './references.ts';
import { resourcesSchema, type ResourcesProps } from './service-props.ts';

/** Properties of `Postgres`. */
export interface PostgresProps {
  /**
   * Tag of the official `postgres` image, e.g. `18.4-alpine`. Its major must be the one Railway's
   * managed Postgres runs, so every target keeps one on-disk format; the environment files pass
   * the pin that Renovate keeps current in `environments/versions.ts`.
   */
  readonly version: string;
  /** Database created at first start. @default 'voice_agent' */
  readonly database?: string;
  /** Owner of that database. @default 'voice_agent' */
  readonly user?: string;
  /** Size of the data volume in GiB. @default 10 */
  readonly storageGiB?: number;
  /** @default - 250 millicores, 512 MiB */
  readonly resources?: ResourcesProps;
}

/** A PostgreSQL identifier that needs no quoting anywhere: in the connection URL, in pg_isready's arguments. */
const identifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase PostgreSQL identifier (a-z, 0-9, _; at most 63 characters)');

const postgresPropsSchema = z.strictObject({
  version: imageTagSchema,
  database: identifier.optional(),
  user: identifier.optional(),
  storageGiB: z.number().int().min(1).max(16384).optional(),
  resources: resourcesSchema.optional(),
});

const PORT = 5432;
/** uid and gid of the `postgres` user in the official Alpine image. */
const POSTGRES_UID = 70;

/** PostgreSQL: conversation history and the MCP audit log. */
export class Postgres extends ManagedDatabase {
  public readonly engine = 'postgres';
  public readonly clientPort = PORT;
  public readonly databaseName: string;
  public readonly userName: string;

  constructor(scope: Construct, id: string, props: PostgresProps) {
    checkProps(postgresPropsSchema, props, failForNewService(scope, id));
    const database = props.database ?? 'voice_agent';
    const user = props.user ?? 'voice_agent';
    super(scope, id, {
      description: 'PostgreSQL: history and audit log',
      image: `postgres:${props.version}`,
      ports: [{ name: 'postgres', port: PORT, appProtocol: 'PostgreSQL wire protocol' }],
      healthCheck: { exec: ['pg_isready', '--host=127.0.0.1', `--username=${user}`, `--dbname=${database}`] },
      env: {
        POSTGRES_DB: database,
        POSTGRES_USER: user,
        POSTGRES_PASSWORD: secret('POSTGRES_PASSWORD'),
      },
      resources: props.resources ?? { cpuMillicores: 250, memoryMiB: 512 },
      // The official image (18+) keeps its data in a subdirectory of /var/lib/postgresql, so the
      // volume's lost+found never confuses initdb.
      volumes: [
        { name: 'data', mountPath: '/var/lib/postgresql', persistent: true, sizeGiB: props.storageGiB ?? 10 },
        { name: 'run', mountPath: '/var/run/postgresql' },
        { name: 'tmp', mountPath: '/tmp' },
      ],
      runAs: { uid: POSTGRES_UID, gid: POSTGRES_UID },
      singleton: 'PostgreSQL here is one server that owns its data volume, and replicas would be separate servers with separate data',
    });
    this.databaseName = database;
    this.userName = user;
  }

  public selfHostedOutput(name: DatabaseOutputName): EnvValue | undefined {
    const password = secret('POSTGRES_PASSWORD');
    switch (name) {
      case 'host':
        return this.host(PORT);
      case 'port':
        return this.portNumber(PORT);
      case 'user':
        return this.userName;
      case 'password':
        return password;
      case 'database':
        return this.databaseName;
      case 'url':
        return interpolate`postgresql://${this.userName}:${password}@${this.host(PORT)}:${this.portNumber(PORT)}/${this.databaseName}`;
    }
  }
}
