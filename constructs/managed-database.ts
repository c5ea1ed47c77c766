import type { Construct } from 'constructs';
import { DatabaseOutputRef, type DatabaseEngine, type DatabaseOutputName, type EnvValue, type ReferencedDatabase } from './references.ts';
import { StackService, type StackServiceProps } from './stack-service.ts';

/**
 * A database that each target realises its own way: a container with a volume (Compose, and
 * Kubernetes in-cluster), connection secrets from Doppler (Kubernetes `external`), or Railway's
 * managed `postgres()` / `redis()`. Consumers use its typed outputs, never hostnames.
 */
export abstract class ManagedDatabase extends StackService implements ReferencedDatabase {
  public static isManagedDatabase(value: unknown): value is ManagedDatabase {
    return value instanceof ManagedDatabase;
  }

  public abstract readonly engine: DatabaseEngine;
  /** The port clients connect to. */
  public abstract readonly clientPort: number;

  constructor(scope: Construct, id: string, props: StackServiceProps) {
    super(scope, id, props);
  }

  /** Reference to one output: `url`, `host`, `port`, `user`, `password` or `database`. */
  public output(name: DatabaseOutputName): DatabaseOutputRef {
    return new DatabaseOutputRef(this, name);
  }

  /** Connection URL, e.g. for DATABASE_URL or REDIS_URL. */
  public get connectionUrl(): DatabaseOutputRef {
    return this.output('url');
  }

  /**
   * How an output is built when this stack runs the database itself: from the service's host,
   * port and secrets. Undefined when the engine has no such output.
   */
  public abstract selfHostedOutput(name: DatabaseOutputName): EnvValue | undefined;
}
