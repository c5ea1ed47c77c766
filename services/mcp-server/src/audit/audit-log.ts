import { createHmac } from 'node:crypto';
import type { Pool } from 'pg';
import type { Logger } from 'pino';

/** One tool call, as the audit log keeps it: no argument values, only their names and a digest. */
export interface AuditRecord {
  readonly id: string;
  readonly calledAt: Date;
  readonly tool: string;
  readonly caller: string;
  readonly endUser: string;
  readonly transport: 'mcp' | 'sse' | 'rest';
  readonly argumentNames: string;
  readonly argumentDigest: string;
  readonly durationMs: number;
  readonly outcome: string;
  readonly errorClass: string | null;
}

export interface AuditLogOptions {
  /** Records kept while the database is unreachable; beyond it the oldest are dropped (and counted). */
  readonly maxBuffered: number;
  readonly logger: Logger;
  /** Called with the number of records dropped because the buffer was full. */
  readonly onDropped?: (count: number) => void;
}

const BATCH_SIZE = 500;
const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 2_000;

/**
 * Writes audit records to Postgres behind the tool calls, never in their way: `record()` only
 * queues. A background loop inserts in batches; when Postgres is down it keeps the records and
 * retries with backoff, so a brief outage loses nothing and blocks nothing. Inserts are
 * idempotent (the record id is the key), so a batch retried after a lost acknowledgement is
 * written once.
 */
export class AuditLog {
  private readonly queue: AuditRecord[] = [];
  private flushing: Promise<void> | undefined;
  private stopped = false;
  private retryMs = FIRST_RETRY_MS;
  private wake: (() => void) | undefined;
  private readonly pool: Pool;
  private readonly options: AuditLogOptions;

  constructor(pool: Pool, options: AuditLogOptions) {
    this.pool = pool;
    this.options = options;
  }

  /** Queues a record. Never throws and never waits. */
  public record(record: AuditRecord): void {
    this.queue.push(record);
    if (this.queue.length > this.options.maxBuffered) {
      const dropped = this.queue.splice(0, this.queue.length - this.options.maxBuffered).length;
      this.options.onDropped?.(dropped);
      this.options.logger.error({ dropped }, 'audit buffer full; dropped the oldest records');
    }
    // While Postgres is down the loop is waiting out its backoff; new records wait with it.
    this.flushing ??= this.flush();
  }

  /** Records not yet written. */
  public get pending(): number {
    return this.queue.length;
  }

  /** Writes what is queued, retrying for up to `timeoutMs`; resolves with the records left unwritten. */
  public async close(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length > 0 && Date.now() < deadline) {
      this.flushing ??= this.flush();
      this.wake?.();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.flushing, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))]);
      clearTimeout(timer);
    }
    this.stopped = true;
    this.wake?.();
    return this.queue.length;
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const batch = this.queue.slice(0, BATCH_SIZE);
        try {
          await this.insert(batch);
          this.queue.splice(0, batch.length);
          if (this.retryMs !== FIRST_RETRY_MS) this.options.logger.info({ pending: this.queue.length }, 'audit database is back');
          this.retryMs = FIRST_RETRY_MS;
        } catch (error) {
          if (this.retryMs === FIRST_RETRY_MS) {
            this.options.logger.warn({ err: (error as Error).message, pending: this.queue.length }, 'audit database unreachable; keeping records');
          }
          await this.sleep(this.retryMs);
          this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Waits for the backoff, or less if closing wakes the loop. */
  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private async insert(batch: AuditRecord[]): Promise<void> {
    const column = <K extends keyof AuditRecord>(key: K) => batch.map((record) => record[key]);
    await this.pool.query(
      `INSERT INTO mcp_tool_calls
         (id, called_at, tool, caller, end_user, transport, argument_names, argument_digest, duration_ms, outcome, error_class)
       SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::integer[], $10::text[], $11::text[])
       ON CONFLICT (id) DO NOTHING`,
      [
        column('id'),
        column('calledAt'),
        column('tool'),
        column('caller'),
        column('endUser'),
        column('transport'),
        column('argumentNames'),
        column('argumentDigest'),
        column('durationMs'),
        column('outcome'),
        column('errorClass'),
      ],
    );
  }
}

/**
 * The argument names and a keyed digest of the values: equal calls can be matched up without
 * the log holding what was said (names, numbers, messages).
 */
export function describeArguments(args: unknown, key: string): { argumentNames: string; argumentDigest: string } {
  const names = args !== null && typeof args === 'object' && !Array.isArray(args) ? Object.keys(args).sort() : [];
  const digest = createHmac('sha256', key).update(canonicalJson(args ?? {})).digest('hex');
  return { argumentNames: names.join(','), argumentDigest: `hmac-sha256:${digest}` };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([name, child]) => `${JSON.stringify(name)}:${canonicalJson(child)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
