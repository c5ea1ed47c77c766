import { BridgeError, RETRY_AFTER_SECONDS } from '../bridge-error.ts';
import type { PortRange } from '../port-pool.ts';
import { PortPool } from '../port-pool.ts';
import { tenCapacitySentence, type ClaimResult, type Peer, type Placement, type RoomClaim, type RoomLocation, type TenReplica, type TenSeat } from './placement.ts';

/**
 * Placement for one bridge replica without Redis: this replica is the only one, so a room is
 * either here or nowhere, and it alone hands out the TEN replicas' worker ports. It cannot see a
 * TEN replica's drain mark (that lives in Redis), so a draining TEN replica is only skipped once
 * its /start fails.
 */
export class LocalPlacement implements Placement {
  readonly replicaId: string;
  readonly shared = false;
  private readonly pools = new Map<string, PortPool>();
  private readonly replicas: readonly TenReplica[];

  private readonly portCount: number;

  constructor(replicaId: string, replicas: readonly TenReplica[], ports: PortRange) {
    this.replicaId = replicaId;
    this.portCount = ports.last - ports.first + 1;
    this.replicas = replicas;
    for (const replica of replicas) this.pools.set(replica.name, new PortPool(ports));
  }

  async open(): Promise<void> {}

  async locate(): Promise<RoomLocation> {
    return { kind: 'nowhere' };
  }

  async claim(room: string, sessionId: string): Promise<ClaimResult> {
    return { claim: this.localClaim(room, sessionId) };
  }

  async acceptingPeer(): Promise<Peer | undefined> {
    return undefined;
  }

  async peers(): Promise<Peer[]> {
    return [];
  }

  async close(): Promise<void> {}

  private localClaim(room: string, sessionId: string): RoomClaim {
    let held: TenSeat | undefined;
    const unseat = async (seat: TenSeat) => {
      this.pools.get(seat.replica.name)?.release(seat.port);
      if (held === seat) held = undefined;
    };
    return {
      room,
      sessionId,
      replaced: undefined,
      seat: async (excluded) => {
        const seat = this.seat(excluded);
        held = seat;
        return seat;
      },
      unseat,
      update: () => undefined,
      release: async () => {
        if (held !== undefined) await unseat(held);
      },
    };
  }

  /** The replica with the most free ports, first in TEN_AGENT_URLS order on a tie. */
  private seat(excluded: ReadonlyMap<string, string>): TenSeat {
    const candidates = this.replicas
      .filter((replica) => !excluded.has(replica.name))
      .map((replica) => ({ replica, pool: this.pools.get(replica.name) as PortPool }))
      .filter(({ pool }) => pool.available > 0)
      .sort((a, b) => b.pool.available - a.pool.available);
    const best = candidates[0];
    if (best === undefined) {
      const states = this.replicas.map((replica) => [replica.name, excluded.get(replica.name) ?? `${this.portCount} of ${this.portCount} worker ports taken`] as const);
      throw new BridgeError(503, tenCapacitySentence(states), 'at_capacity', RETRY_AFTER_SECONDS);
    }
    return { replica: best.replica, port: best.pool.take() as number };
  }
}
