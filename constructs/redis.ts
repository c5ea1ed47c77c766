import type { Construct } from 'constructs';
import { z } from 'zod';
import { ManagedDatabase } from './managed-database.ts';
import { checkProps, failForNewService, imageTagSchema } from './props-check.ts';
import { interpolate, secret, type DatabaseOutputName, type EnvValue } from './references.ts';
import { resourcesSchema, type ResourcesProps } from './service-props.ts';

/** Properties of `Redis`. */
export interface RedisProps {
  /**
   * Tag of the official `redis` image, e.g. `8.10.2-alpine`. Its major must be the one Railway's
   * managed Redis runs; the environment files pass the pin that Renovate keeps current in
   * `environments/versions.ts`.
   */
  readonly version: string;
  /** Size of the data volume in GiB. @default 2 */
  readonly storageGiB?: number;
  /** @default - 100 millicores, 256 MiB */
  readonly resources?: ResourcesProps;
}

const redisPropsSchema = z.strictObject({
  version: imageTagSchema,
  storageGiB: z.number().int().min(1).max(16384).optional(),
  resources: resourcesSchema.optional(),
});

const PORT = 6379;
/** uid of the `redis` user and gid of its group in the official Alpine image. */
const REDIS_UID = 999;
const REDIS_GID = 1000;

/** Redis: console sessions and agent keep-alive deadlines. */
export class Redis extends ManagedDatabase {
  public readonly engine = 'redis';
  public readonly clientPort = PORT;

  constructor(scope: Construct, id: string, props: RedisProps) {
    checkProps(redisPropsSchema, props, failForNewService(scope, id));
    super(scope, id, {
      description: 'Redis: sessions',
      image: `redis:${props.version}`,
      ports: [{ name: 'redis', port: PORT, appProtocol: 'Redis RESP' }],
      // The password comes from the environment at run time, so it never appears in a rendered
      // command line; redis-cli reads REDISCLI_AUTH for the health check.
      command: ['sh', '-c', 'exec redis-server --appendonly yes --requirepass "$REDIS_PASSWORD"'],
      healthCheck: { exec: ['sh', '-c', 'redis-cli ping | grep -q PONG'] },
      env: {
        REDIS_PASSWORD: secret('REDIS_PASSWORD'),
        REDISCLI_AUTH: secret('REDIS_PASSWORD'),
      },
      resources: props.resources ?? { cpuMillicores: 100, memoryMiB: 256 },
      volumes: [{ name: 'data', mountPath: '/data', persistent: true, sizeGiB: props.storageGiB ?? 2 }],
      runAs: { uid: REDIS_UID, gid: REDIS_GID },
      singleton: 'Redis here is one server that owns its data volume, and replicas would be separate servers with separate sessions',
    });
  }

  public selfHostedOutput(name: DatabaseOutputName): EnvValue | undefined {
    const password = secret('REDIS_PASSWORD');
    switch (name) {
      case 'host':
        return this.host(PORT);
      case 'port':
        return this.portNumber(PORT);
      case 'user':
        return 'default';
      case 'password':
        return password;
      case 'url':
        return interpolate`redis://default:${password}@${this.host(PORT)}:${this.portNumber(PORT)}`;
      case 'database':
        return undefined;
    }
  }
}
