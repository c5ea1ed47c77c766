import type { Logger } from 'pino';
import type { HistoryOutbox } from './outbox.ts';
import type { HistoryEntry, HistoryStore } from './store.ts';

/** Where an entry went: history itself, the outbox (history catches up), or only the log. */
export type Recorded = 'stored' | 'queued' | 'logged';

/**
 * Records what happened without ever failing the action it records: Postgres first; while
 * Postgres is away, the Redis outbox, drained in the background; if Redis is away too, one
 * structured log line with the whole entry, so an operator can replay it. Nothing is dropped.
 */
export class HistoryRecorder {
  constructor(
    private readonly store: HistoryStore,
    private readonly outbox: HistoryOutbox,
    private readonly logger: Logger,
  ) {}

  async record(entry: HistoryEntry): Promise<Recorded> {
    try {
      await this.store.write(entry);
      return 'stored';
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, kind: entry.kind, id: entry.id }, 'history write failed; keeping the entry in the outbox');
    }
    try {
      await this.outbox.push(entry);
      return 'queued';
    } catch (error) {
      this.logger.error({ err: (error as Error).message, historyRecord: entry }, 'history record kept only in this log');
      return 'logged';
    }
  }
}
