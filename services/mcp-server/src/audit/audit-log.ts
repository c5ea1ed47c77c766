import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { encodeArgumentNames } from './audit-text.ts';

/** One tool call, as the audit log keeps it: no argument values, only their names and a digest. */
export interface AuditRecord {
  readonly id: string;
  readonly calledAt: Date;
  readonly tool: string;
  readonly caller: string;
  readonly endUser: string;
  readonly transport: 'mcp' | 'sse' | 'rest';
  /** The top-level argument names, as the caller sent them. */
  readonly argumentNames: readonly string[];
  readonly argumentDigest: string;
  readonly durationMs: number;
  readonly outcome: string;
  readonly errorClass: string | null;
}

/** A record as it is stored: names encoded into one text, and a note when the row differs from the record. */
interface AuditRow extends Omit<AuditRecord, 'argumentNames'> {
  readonly argumentNames: string;
  readonly auditNote: string | null;
}

/** Counters the log keeps (Prometheus counters in the app). */
export interface AuditCounters {
  /** Rows inserted into Postgres (placeholders included). */
  readonly written: Counting;
  /** Records whose argument names had characters escaped to be storable. */
  readonly sanitized: Counting;
  /** Records Postgres refused even escaped; a placeholder row was stored instead. */
  readonly rejected: Counting;
  /** Attempts to write a batch that failed because Postgres was unreachable or unavailable. */
  readonly writeFailures: Counting;
  /** Records pushed out of a full buffer (and written to the log instead). */
  readonly dropped: Counting;
  /** Records written to the log instead of Postgres: left at shutdown, or refused even as a placeholder. */
  readonly unwritten: Counting;
}

interface Counting {
  inc(count?: number): void;
}

export interface AuditLogOptions {
  /** Records kept while the database is unreachable; beyond it the oldest go to the log instead (and are counted). */
  readonly maxBuffered: number;
  readonly logger: Logger;
  readonly counters: AuditCounters;
}

interface Pending {
  readonly row: AuditRow;
  /** Date.now() when it was queued. */
  readonly queuedAt: number;
}

const BATCH_SIZE = 500;
/**
 * How long the loop gathers records before it writes them, unless a full batch is waiting: one
 * INSERT of every record of the last few milliseconds costs the server and Postgres far less than
 * an INSERT per call, and the records still reach Postgres well within AUDIT_MAX_LAG_MS.
 */
const GATHER_MS = 25;
const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 2_000;
const UNWRITTEN = 'audit record not written to Postgres; logged instead';

/**
 * Writes audit records to Postgres behind the tool calls, never in their way: `record()` only
 * queues. A background loop inserts in batches: one multi-row INSERT of what arrives within
 * GATHER_MS (less when a batch fills up, no wait when closing). When Postgres is unreachable it
 * keeps the records and retries the batch with backoff, so an outage loses nothing and blocks
 * nothing. When Postgres refuses a batch for what it holds (a data error), it writes the batch's
 * rows one by one, so only the bad record is singled out; that one is stored as a placeholder.
 * Inserts are idempotent (the record id is the key), so a batch retried after a lost
 * acknowledgement is written once. A record that cannot reach Postgres at all is written to the
 * log instead of vanishing: it holds no argument values.
 */
export class AuditLog {
  private readonly queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private stopped = false;
  private retryMs = FIRST_RETRY_MS;
  private wake: (() => void) | undefined;
  /** True while the loop gathers records for its next batch (as opposed to waiting out a backoff). */
  private gathering = false;
  /** Set by `close()`: from then on the loop writes at once. */
  private closing = false;
  private readonly pool: Pool;
  private readonly options: AuditLogOptions;

  constructor(pool: Pool, options: AuditLogOptions) {
    this.pool = pool;
    this.options = options;
  }

  /** Queues a record. Never waits; after `close()` the record goes to the log. */
  public record(record: AuditRecord): void {
    const row = toRow(record);
    if (row.auditNote !== null) this.options.counters.sanitized.inc();
    if (this.stopped) {
      this.options.counters.unwritten.inc();
      this.logUnwritten([row], 'after shutdown');
      return;
    }
    this.queue.push({ row, queuedAt: Date.now() });
    if (this.queue.length > this.options.maxBuffered) {
      const dropped = this.queue.splice(0, this.queue.length - this.options.maxBuffered);
      this.options.counters.dropped.inc(dropped.length);
      this.logUnwritten(
        dropped.map((entry) => entry.row),
        'buffer full',
      );
    }
    // While Postgres is down the loop is waiting out its backoff; new records wait with it.
    this.flushing ??= this.flush();
    if (this.gathering && this.queue.length >= BATCH_SIZE) this.wake?.();
  }

  /** Records not yet written. */
  public get pending(): number {
    return this.queue.length;
  }

  /** How long the oldest record not yet written has waited, in milliseconds (0 when none waits). */
  public get oldestPendingMs(): number {
    const oldest = this.queue[0];
    return oldest === undefined ? 0 : Date.now() - oldest.queuedAt;
  }

  /**
   * Writes what is queued, retrying for up to `timeoutMs`; what is still unwritten then goes to
   * the log. Resolves with how many records that was.
   */
  public async close(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    this.closing = true;
    while (this.queue.length > 0 && Date.now() < deadline) {
      this.flushing ??= this.flush();
      this.wake?.();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.flushing, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))]);
      clearTimeout(timer);
    }
    this.stopped = true;
    this.wake?.();
    const left = this.queue.splice(0);
    this.options.counters.unwritten.inc(left.length);
    this.logUnwritten(
      left.map((entry) => entry.row),
      'shutdown',
    );
    return left.length;
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.stopped) {
        if (this.queue.length < BATCH_SIZE && !this.closing) await this.gather();
        if (this.stopped) break;
        const batch = this.queue.slice(0, BATCH_SIZE);
        if (await this.write(batch.map((entry) => entry.row))) {
          this.forget(batch);
          if (this.retryMs !== FIRST_RETRY_MS) this.options.logger.info({ pending: this.queue.length }, 'audit database is back');
          this.retryMs = FIRST_RETRY_MS;
        } else {
          await this.sleep(this.retryMs);
          this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * Takes a written batch off the queue. A full buffer may have pushed some of it out meanwhile
   * (always from the front), so what is left of it is whatever still leads the queue.
   */
  private forget(batch: readonly Pending[]): void {
    const written = new Set(batch);
    let count = 0;
    while (count < this.queue.length && written.has(this.queue[count]!)) count += 1;
    this.queue.splice(0, count);
  }

  /** True when every row was dealt with (stored, as itself or a placeholder, or logged); false when Postgres is unavailable. */
  private async write(rows: readonly AuditRow[]): Promise<boolean> {
    try {
      await this.insert(rows);
      return true;
    } catch (error) {
      if (!isDataError(error)) return this.unavailable(error);
    }
    // Postgres refused the batch for what one of its rows holds: one by one, only that row fails.
    for (const row of rows) {
      try {
        await this.insert([row]);
      } catch (error) {
        if (!isDataError(error)) return this.unavailable(error);
        if (!(await this.storePlaceholder(row, error))) return false;
      }
    }
    return true;
  }

  /** Stores what can be stored of a refused record; false when Postgres became unavailable meanwhile. */
  private async storePlaceholder(row: AuditRow, refusal: unknown): Promise<boolean> {
    const sqlState = (refusal as { code: string }).code;
    try {
      await this.insert([placeholderFor(row, sqlState)]);
      this.options.counters.rejected.inc();
      this.options.logger.warn({ id: row.id, tool: row.tool, sqlState }, 'Postgres refused an audit record; stored a placeholder row for it');
    } catch (error) {
      if (!isDataError(error)) return this.unavailable(error);
      this.options.counters.unwritten.inc();
      this.logUnwritten([row], `refused by Postgres (SQLSTATE ${sqlState}), even as a placeholder`);
    }
    return true;
  }

  private unavailable(error: unknown): false {
    this.options.counters.writeFailures.inc();
    if (this.retryMs === FIRST_RETRY_MS) {
      this.options.logger.warn({ err: (error as Error).message, pending: this.queue.length }, 'audit database unreachable; keeping records');
    }
    return false;
  }

  /** One structured line per record, so none is lost and each can be replayed into the table. */
  private logUnwritten(rows: readonly AuditRow[], reason: string): void {
    for (const row of rows) this.options.logger.error({ reason, auditRecord: row }, UNWRITTEN);
  }

  /** Gives the next batch GATHER_MS to fill up; a full batch or closing ends it sooner. */
  private async gather(): Promise<void> {
    this.gathering = true;
    try {
      await this.sleep(GATHER_MS);
    } finally {
      this.gathering = false;
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

  private async insert(rows: readonly AuditRow[]): Promise<void> {
    const column = <K extends keyof AuditRow>(key: K) => rows.map((row) => row[key]);
    const result = await this.pool.query(
      `INSERT INTO mcp_tool_calls
         (id, called_at, tool, caller, end_user, transport, argument_names, argument_digest, duration_ms, outcome, error_class, audit_note)
       SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::integer[], $10::text[], $11::text[], $12::text[])
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
        column('auditNote'),
      ],
    );
    this.options.counters.written.inc(result.rowCount ?? 0);
  }
}

function toRow(record: AuditRecord): AuditRow {
  const names = encodeArgumentNames(record.argumentNames);
  return { ...record, argumentNames: names.text, auditNote: names.escaped ? 'escaped' : null };
}

/**
 * Postgres refuses a row for what it holds with SQLSTATE class 22 (data exception), 23
 * (integrity constraint violation) or 54 (program limit exceeded): retrying that row can never
 * succeed. Anything else (connection errors, shutdowns, no SQLSTATE at all) is worth retrying.
 */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}

const DIGEST = /^hmac-sha256:[0-9a-f]{64}$/;

/**
 * A row that keeps only what is known to be storable (the id, time, outcome and digest; the
 * names left out), marked in `audit_note` with why.
 */
function placeholderFor(row: AuditRow, sqlState: string): AuditRow {
  const plain = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
  return {
    id: row.id,
    calledAt: Number.isNaN(row.calledAt.getTime()) ? new Date() : row.calledAt,
    tool: plain(row.tool),
    caller: plain(row.caller),
    endUser: plain(row.endUser),
    transport: row.transport,
    argumentNames: '',
    argumentDigest: DIGEST.test(row.argumentDigest) ? row.argumentDigest : 'unavailable',
    durationMs: Math.min(Math.max(Math.round(row.durationMs), 0), 2 ** 31 - 1),
    outcome: plain(row.outcome),
    errorClass: row.errorClass === null ? null : plain(row.errorClass),
    auditNote: `placeholder: Postgres refused the record (SQLSTATE ${sqlState})`,
  };
}
