import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { HistoryEntry, HistoryStore } from './store.ts';

/** The Redis list of history entries waiting for Postgres (Redis keeps it in its append-only file). */
export const OUTBOX_KEY = 'console:history:outbox';
const BATCH = 100;

/** SQLSTATE class 22 (data exception) or 23 (integrity): writing the same entry again fails the same way. */
const refusedForGood = (error: unknown) => /^2[23]/.test(String((error as { code?: unknown }).code ?? ''));

/**
 * History entries that Postgres could not take when they happened. Entries are written in any
 * order and any number of times (HistoryStore's writes are idempotent upserts that commute), and
 * one leaves the list only after Postgres has it, so a replica stopping mid-drain or two replicas
 * draining at once lose nothing.
 */
export class HistoryOutbox {
  constructor(private readonly redis: Redis) {}

  async push(entry: HistoryEntry): Promise<void> {
    await this.redis.rpush(OUTBOX_KEY, JSON.stringify(entry));
  }

  /** Writes what waits into history until Postgres fails or the list is empty; returns how many went in. */
  async drainInto(store: HistoryStore, logger: Logger): Promise<number> {
    let written = 0;
    for (;;) {
      const items = await this.redis.lrange(OUTBOX_KEY, 0, BATCH - 1);
      if (items.length === 0) return written;
      for (const item of items) {
        let entry: HistoryEntry | undefined;
        try {
          entry = JSON.parse(item) as HistoryEntry;
          await store.write(entry);
          written += 1;
        } catch (error) {
          // Only an entry Postgres refuses for what it is leaves the list unwritten (it goes to the
          // log, where an operator finds it); any other failure waits for the next round.
          if (entry !== undefined && !refusedForGood(error)) return written;
          logger.error({ err: (error as Error).message, historyRecord: entry ?? item }, 'history record kept only in this log');
        }
        await this.redis.lrem(OUTBOX_KEY, 1, item);
      }
    }
  }
}

const DRAIN_INTERVAL_MS = 1_000;

/** Drains the outbox every second in the background, one drain at a time per process. */
export function startDraining(outbox: HistoryOutbox, store: HistoryStore, logger: Logger): void {
  let draining = false;
  const timer = setInterval(() => {
    if (draining) return;
    draining = true;
    outbox
      .drainInto(store, logger)
      .then((written) => {
        if (written > 0) logger.info({ written }, 'history outbox written to Postgres');
      })
      .catch(() => undefined) // Redis or Postgres away: the next round tries again
      .finally(() => {
        draining = false;
      });
  }, DRAIN_INTERVAL_MS);
  // Never what keeps the process alive.
  timer.unref();
}
