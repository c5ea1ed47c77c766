import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { BridgeError, RETRY_AFTER_SECONDS } from '../bridge-error.ts';
import type { PortRange } from '../port-pool.ts';
import type { SessionState } from '../room-session.ts';
import {
  tenCapacitySentence,
  type ClaimResult,
  type Peer,
  type Placement,
  type RoomClaim,
  type RoomLocation,
  type RoomRecord,
  type SelfReport,
  type TenReplica,
  type TenSeat,
} from './placement.ts';
import { VoiceTierKeys } from './voice-tier-keys.ts';

/**
 * Rooms placed over several bridge replicas and TEN replicas with leases in Redis.
 *
 * - A room's lease (`room:<room>:lease`, the holder's replica id and session id) lives
 *   LEASE_TTL_MS and is renewed by its holder every RENEW_MS while the room runs. Whoever does
 *   not hold it forwards the room's requests to the holder.
 * - Each replica publishes itself (`bridge:replica:<id>`: its URL and capacity) for
 *   REPORT_TTL_MS, again every REPORT_MS. A lease whose holder no longer publishes itself belongs
 *   to a replica that is gone, so it may be taken at once rather than after its TTL: no
 *   assignment outlives its replica for more than a few seconds.
 * - A session's TEN worker port is a seat (`ten:<replica>:port:<port>`) renewed with the lease;
 *   a TEN replica's load is the number of its seats, its limit the number of worker ports, and
 *   its drain step marks it `ten:<replica>:draining`.
 * - The room's record (`room:<room>:record`) outlives the lease, so any replica can say that a
 *   room was lost with its replica, or how it ended.
 */

/** A lease outlives a Redis restart of a few seconds, so a short outage cuts no call. */
const LEASE_TTL_MS = 30_000;
const RENEW_MS = 5_000;
const REPORT_TTL_MS = 6_000;
const REPORT_MS = 2_000;
/** A running session's record; refreshed with nothing, it only has to outlive a lost replica's report. */
const LIVE_RECORD_TTL_SECONDS = 24 * 60 * 60;
/** How long any replica can still say how a room's last session ended. */
const ENDED_RECORD_TTL_SECONDS = 60 * 60;

const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if #KEYS > 1 then
  local seat = redis.call('GET', KEYS[2])
  if seat == false then redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
  elseif seat ~= ARGV[3] then return 2
  else redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
end
return 1`;

const DELETE_IF_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Takes the first free port key of KEYS (given from a rotating start, so a port just freed is reused last). */
const SEAT_SCRIPT = `
for index, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) then return index end
end
return 0`;

const LIVE_STATES: ReadonlySet<SessionState> = new Set(['starting', 'active', 'stopping']);

interface LeaseHolder {
  readonly replicaId: string;
  readonly sessionId: string;
}

/** A room this replica holds, with what renewing it needs. */
interface Held {
  readonly room: string;
  readonly sessionId: string;
  readonly leaseValue: string;
  seat: TenSeat | undefined;
  renewedAt: number;
  readonly onLost: (reason: string) => void;
  record: RoomRecord;
}

export interface RedisPlacementOptions {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly replicaId: string;
  readonly replicas: readonly TenReplica[];
  readonly ports: PortRange;
  readonly logger: Logger;
}

export class RedisPlacement implements Placement {
  readonly replicaId: string;
  readonly shared = true;
  private readonly redis: Redis;
  private readonly keys: VoiceTierKeys;
  private readonly held = new Map<string, Held>();
  private readonly options: RedisPlacementOptions;
  private readonly where: string;
  private timers: NodeJS.Timeout[] = [];
  private selfKeyValue: (() => string) | undefined;
  private rotation = 0;

  constructor(options: RedisPlacementOptions) {
    this.options = options;
    this.replicaId = options.replicaId;
    this.keys = new VoiceTierKeys(options.keyPrefix);
    const url = new URL(options.redisUrl);
    // Only the address: the URL may carry the password.
    this.where = `${url.hostname}:${url.port || '6379'}`;
    this.redis = new Redis(options.redisUrl, {
      // IPv4 and IPv6 (Railway's private network is IPv6-only in older environments).
      family: 0,
      connectTimeout: 2_000,
      commandTimeout: 2_000,
      // Fail at once while disconnected: a start is refused with 503 rather than left waiting.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
      lazyConnect: true,
    });
    let healthy = true;
    this.redis.on('error', (error: Error) => {
      if (!healthy) return;
      healthy = false;
      options.logger.warn({ redis: this.where, err: error.message }, 'redis unreachable; reconnecting');
    });
    this.redis.on('ready', () => {
      if (healthy) return;
      healthy = true;
      options.logger.info({ redis: this.where }, 'redis is back');
    });
  }

  async open(url: string, report: () => SelfReport): Promise<void> {
    await this.redis.connect().catch((error: Error) => {
      // The bridge still starts: it reconnects, and refuses rooms until then.
      this.options.logger.warn({ redis: this.where, err: error.message }, 'redis not reachable yet; placing no rooms until it is');
    });
    this.selfKeyValue = () => JSON.stringify({ id: this.replicaId, url, ...report() } satisfies Peer);
    await this.publish();
    this.timers = [setInterval(() => void this.publish(), REPORT_MS), setInterval(() => void this.renewAll(), RENEW_MS)];
    for (const timer of this.timers) timer.unref();
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.redis
      .multi()
      .del(this.keys.replica(this.replicaId))
      .srem(this.keys.replicas, this.replicaId)
      .exec()
      .catch(() => undefined);
    this.redis.disconnect();
  }

  async locate(room: string): Promise<RoomLocation> {
    const [leaseText, recordText] = await this.call(`find room ${room}`, () => this.redis.mget(this.keys.lease(room), this.keys.record(room)));
    const holder = parse<LeaseHolder>(leaseText);
    const record = parse<RoomRecord>(recordText);
    if (holder !== undefined && holder.replicaId !== this.replicaId) {
      const peer = await this.peer(holder.replicaId);
      if (peer !== undefined) return { kind: 'peer', peer, record };
    }
    if (record === undefined) return { kind: 'nowhere' };
    if (LIVE_STATES.has(record.state)) {
      return { kind: 'lost', record, reason: `bridge replica ${record.replicaId} stopped without ending the agent's session ${record.sessionId}` };
    }
    if (record.replicaId !== this.replicaId) {
      const peer = await this.peer(record.replicaId);
      if (peer !== undefined) return { kind: 'peer', peer, record };
    }
    return { kind: 'ended', record };
  }

  async claim(room: string, sessionId: string, graph: string, onLost: (reason: string) => void): Promise<ClaimResult> {
    const leaseKey = this.keys.lease(room);
    const leaseValue = JSON.stringify({ replicaId: this.replicaId, sessionId } satisfies LeaseHolder);
    const take = () => this.call(`take room ${room}`, () => this.redis.set(leaseKey, leaseValue, 'PX', LEASE_TTL_MS, 'NX'));
    if ((await take()) !== 'OK') {
      const current = await this.call(`take room ${room}`, () => this.redis.get(leaseKey));
      const holder = parse<LeaseHolder>(current);
      if (holder !== undefined && holder.replicaId !== this.replicaId) {
        const peer = await this.peer(holder.replicaId);
        if (peer !== undefined) return { heldBy: peer };
      }
      // The holder is gone (or it is this replica's previous life): its lease goes with it.
      if (current !== null) await this.call(`take room ${room}`, () => this.redis.eval(DELETE_IF_SCRIPT, 1, leaseKey, current));
      if ((await take()) !== 'OK') {
        // Another replica took it in between.
        const location = await this.locate(room);
        if (location.kind === 'peer') return { heldBy: location.peer };
        throw new BridgeError(503, `room ${room} is being taken by another bridge replica; ask again`, 'placement', 1);
      }
    }
    const previous = parse<RoomRecord>(await this.call(`take room ${room}`, () => this.redis.get(this.keys.record(room))));
    const replaced = previous !== undefined && LIVE_STATES.has(previous.state) && previous.sessionId !== sessionId ? previous : undefined;
    if (replaced?.ten) {
      // The lost session's seat would expire by itself; free it now.
      const { name, port } = replaced.ten;
      await this.redis.eval(DELETE_IF_SCRIPT, 1, this.keys.seat(name, port), seatValue(room, replaced.sessionId)).catch(() => undefined);
    }
    const record: RoomRecord = { room, sessionId, replicaId: this.replicaId, graph, state: 'starting', startedAt: new Date().toISOString(), ten: null, lastError: null };
    const held: Held = { room, sessionId, leaseValue, seat: undefined, renewedAt: Date.now(), onLost, record };
    this.held.set(room, held);
    this.writeRecord(held);
    return { claim: this.claimOf(held, sessionId, replaced) };
  }

  async acceptingPeer(): Promise<Peer | undefined> {
    const peers = (await this.peers()).filter((peer) => peer.accepting && !peer.draining && peer.rooms < peer.roomsMax);
    return peers.sort((a, b) => a.rooms / a.roomsMax - b.rooms / b.roomsMax)[0];
  }

  async peers(): Promise<Peer[]> {
    const ids = (await this.call('list bridge replicas', () => this.redis.smembers(this.keys.replicas))).filter((id) => id !== this.replicaId).sort();
    if (ids.length === 0) return [];
    const texts = await this.call('list bridge replicas', () => this.redis.mget(...ids.map((id) => this.keys.replica(id))));
    const gone = ids.filter((_, index) => texts[index] === null);
    if (gone.length > 0) await this.redis.srem(this.keys.replicas, ...gone).catch(() => undefined);
    return texts.map((text) => parse<Peer>(text)).filter((peer): peer is Peer => peer !== undefined);
  }

  private claimOf(held: Held, sessionId: string, replaced: RoomRecord | undefined): RoomClaim {
    const { room } = held;
    return {
      room,
      sessionId,
      replaced,
      seat: async (excluded) => {
        const seat = await this.seat(room, sessionId, excluded);
        held.seat = seat;
        return seat;
      },
      unseat: async (seat) => {
        if (held.seat === seat) held.seat = undefined;
        await this.redis.eval(DELETE_IF_SCRIPT, 1, this.keys.seat(seat.replica.name, seat.port), seatValue(room, sessionId)).catch((error: Error) => {
          // It expires by itself within the lease's TTL.
          this.options.logger.warn({ room, session: sessionId, err: error.message }, 'could not free the TEN seat in redis');
        });
      },
      update: (changes) => {
        held.record = { ...held.record, ...changes };
        this.writeRecord(held);
      },
      release: async (final) => {
        this.held.delete(room);
        held.record = { ...held.record, ...final };
        const seatKey = held.seat === undefined ? undefined : this.keys.seat(held.seat.replica.name, held.seat.port);
        const steps = this.redis.multi();
        steps.eval(DELETE_IF_SCRIPT, 1, this.keys.lease(room), held.leaseValue);
        if (seatKey !== undefined) steps.eval(DELETE_IF_SCRIPT, 1, seatKey, seatValue(room, sessionId));
        steps.set(this.keys.record(room), JSON.stringify(held.record), 'EX', ENDED_RECORD_TTL_SECONDS);
        await steps.exec().catch((error: Error) => {
          // The lease and the seat expire by themselves; the record then says "lost", which is true enough.
          this.options.logger.warn({ room, session: sessionId, err: error.message }, 'could not release the room in redis');
        });
      },
    };
  }

  /** The least loaded TEN replica not draining, not full and not excluded; one of its free ports. */
  private async seat(room: string, sessionId: string, excluded: ReadonlyMap<string, string>): Promise<TenSeat> {
    const { replicas, ports } = this.options;
    const portCount = ports.last - ports.first + 1;
    const portKeys = (replica: TenReplica) => Array.from({ length: portCount }, (_, offset) => this.keys.seat(replica.name, ports.first + offset));
    const loads = await this.call('read the TEN replicas', async () => {
      const steps = this.redis.pipeline();
      for (const replica of replicas) steps.exists(this.keys.draining(replica.name)).exists(...portKeys(replica));
      const answers = (await steps.exec()) ?? [];
      return replicas.map((replica, index) => {
        const failed = answers[index * 2]?.[0] ?? answers[index * 2 + 1]?.[0];
        if (failed) throw failed;
        return { replica, draining: answers[index * 2]?.[1] === 1, sessions: Number(answers[index * 2 + 1]?.[1]) };
      });
    });
    const states = new Map<string, string>();
    for (const { replica, draining, sessions } of loads) {
      if (excluded.has(replica.name)) states.set(replica.name, excluded.get(replica.name) as string);
      else if (draining) states.set(replica.name, 'draining');
      else if (sessions >= portCount) states.set(replica.name, `${sessions} of ${portCount} worker ports taken`);
    }
    const candidates = loads.filter(({ replica }) => !states.has(replica.name)).sort((a, b) => a.sessions - b.sessions);
    for (const { replica } of candidates) {
      const keys = portKeys(replica);
      const start = this.rotation++ % keys.length;
      const ordered = [...keys.slice(start), ...keys.slice(0, start)];
      const taken = Number(await this.call('take a TEN seat', () => this.redis.eval(SEAT_SCRIPT, ordered.length, ...ordered, seatValue(room, sessionId), LEASE_TTL_MS)));
      if (taken > 0) return { replica, port: ports.first + ((start + taken - 1) % keys.length) };
      states.set(replica.name, `${portCount} of ${portCount} worker ports taken`);
    }
    const described = replicas.map((replica) => [replica.name, states.get(replica.name) ?? 'full'] as const);
    throw new BridgeError(503, tenCapacitySentence(described), 'at_capacity', RETRY_AFTER_SECONDS);
  }

  private async renewAll(): Promise<void> {
    const now = Date.now();
    for (const held of [...this.held.values()]) {
      const keys = [this.keys.lease(held.room), ...(held.seat === undefined ? [] : [this.keys.seat(held.seat.replica.name, held.seat.port)])];
      try {
        const result = Number(await this.redis.eval(RENEW_SCRIPT, keys.length, ...keys, held.leaseValue, LEASE_TTL_MS, seatValue(held.room, held.sessionId)));
        if (result === 1) {
          held.renewedAt = now;
          continue;
        }
        this.lose(held, result === 2 ? `another session took this session's TEN worker port` : 'another bridge replica took the room');
      } catch (error) {
        // Past the lease's TTL another replica may have taken the room: stop before two run it.
        if (now - held.renewedAt >= LEASE_TTL_MS - RENEW_MS) {
          this.lose(held, `its lease could not be renewed in redis at ${this.where} for ${Math.round((now - held.renewedAt) / 1000)} s (${(error as Error).message})`);
        }
      }
    }
  }

  private lose(held: Held, reason: string): void {
    if (this.held.get(held.room) !== held) return;
    this.held.delete(held.room);
    this.options.logger.error({ room: held.room, session: held.sessionId, reason }, 'room lease lost');
    held.onLost(`the bridge lost room ${held.room}: ${reason}`);
  }

  private async publish(): Promise<void> {
    if (this.selfKeyValue === undefined) return;
    await this.redis
      .multi()
      .set(this.keys.replica(this.replicaId), this.selfKeyValue(), 'PX', REPORT_TTL_MS)
      .sadd(this.keys.replicas, this.replicaId)
      .exec()
      .catch(() => undefined);
  }

  private async peer(id: string): Promise<Peer | undefined> {
    return parse<Peer>(await this.call('find a bridge replica', () => this.redis.get(this.keys.replica(id))));
  }

  /** A running session's record (the final one is written by `release`). */
  private writeRecord(held: Held): void {
    this.redis.set(this.keys.record(held.room), JSON.stringify(held.record), 'EX', LIVE_RECORD_TTL_SECONDS).catch((error: Error) => {
      this.options.logger.warn({ room: held.room, session: held.sessionId, err: error.message }, 'could not write the room record to redis');
    });
  }

  /** Runs a Redis step; a failure becomes a 503 that says what could not be done and where. */
  private async call<T>(what: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof BridgeError) throw error;
      throw new BridgeError(503, `cannot ${what}: redis at ${this.where} does not answer (${(error as Error).message})`, 'placement', RETRY_AFTER_SECONDS);
    }
  }
}

function seatValue(room: string, sessionId: string): string {
  return `${room}/${sessionId}`;
}

function parse<T>(text: string | null | undefined): T | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
