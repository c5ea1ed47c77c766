import type { TenReplicaAddress } from '../config.ts';
import type { SessionState } from '../room-session.ts';
import type { TenClient } from '../ten-client.ts';

/**
 * Where rooms run. A room's agent runs on exactly one bridge replica (which holds the room's
 * lease) and on one TEN replica (one of its worker ports, taken as a seat). Two implementations:
 * one bridge replica on its own (`LocalPlacement`), and any number of them sharing leases in
 * Redis (`RedisPlacement`).
 */

/** One TEN agent server, addressed on its own: its sessions live in its memory. */
export interface TenReplica extends TenReplicaAddress {
  readonly client: TenClient;
}

/** A worker port taken on one TEN replica for one session. */
export interface TenSeat {
  readonly replica: TenReplica;
  readonly port: number;
}

/** What the tier remembers of a room's latest session, so any replica can say where it runs or how it ended. */
export interface RoomRecord {
  readonly room: string;
  readonly sessionId: string;
  /** The bridge replica that runs (or ran) it. */
  readonly replicaId: string;
  readonly graph: string;
  readonly state: SessionState;
  readonly startedAt: string;
  /** The TEN replica and worker port of the session, once it has one. */
  readonly ten: { readonly name: string; readonly port: number } | null;
  readonly lastError: string | null;
}

/** Another bridge replica, as it last published itself. */
export interface Peer {
  readonly id: string;
  /** Where the other replicas reach it, e.g. http://10.0.3.7:8090. */
  readonly url: string;
  readonly rooms: number;
  readonly roomsMax: number;
  readonly accepting: boolean;
  readonly draining: boolean;
}

/** This replica's own figures, published for the others. */
export interface SelfReport {
  readonly rooms: number;
  readonly roomsMax: number;
  readonly accepting: boolean;
  readonly draining: boolean;
}

export type RoomLocation =
  /** No replica runs the room, and none remembers it. */
  | { readonly kind: 'nowhere' }
  /** A live replica runs it, or ended it and still remembers its last state (`record`, when the tier has it). */
  | { readonly kind: 'peer'; readonly peer: Peer; readonly record: RoomRecord | undefined }
  /** It was running on a replica that is gone: nobody runs it now. */
  | { readonly kind: 'lost'; readonly record: RoomRecord; readonly reason: string }
  /** It ended on a replica that is gone since. */
  | { readonly kind: 'ended'; readonly record: RoomRecord };

/** This replica's hold on one room, from its claim until the session has released everything. */
export interface RoomClaim {
  readonly room: string;
  readonly sessionId: string;
  /** The session this one replaces, lost with its replica: its TEN session may still be running. */
  readonly replaced: RoomRecord | undefined;
  /**
   * Takes a worker port on the least loaded TEN replica that is not draining, full, or in
   * `excluded` (name → why). Throws a 503 BridgeError naming each replica's state when none can.
   */
  seat(excluded: ReadonlyMap<string, string>): Promise<TenSeat>;
  /** Gives a seat back (after its TEN session stopped, or when /start refused it). */
  unseat(seat: TenSeat): Promise<void>;
  /** Updates the remembered record (the session became active). Never throws: the record is advice. */
  update(changes: Partial<Pick<RoomRecord, 'state' | 'ten' | 'lastError'>>): void;
  /** Ends the hold: the lease and the seat go, the final record stays for a while. */
  release(final: Pick<RoomRecord, 'state' | 'lastError'>): Promise<void>;
}

export type ClaimResult = { readonly claim: RoomClaim } | { readonly heldBy: Peer };

export interface Placement {
  /** This replica's name among the bridge replicas. */
  readonly replicaId: string;
  /** Whether other replicas can share the work (leases in Redis). */
  readonly shared: boolean;
  /** Starts publishing this replica (at `url`) and renewing its leases. */
  open(url: string, report: () => SelfReport): Promise<void>;
  /** Who runs `room`, for a request this replica does not hold it for. */
  locate(room: string): Promise<RoomLocation>;
  /**
   * Takes `room` for a new session here, or says which live replica holds it. `onLost` is called
   * if the hold is lost later (another replica took the lease, or it could not be renewed in
   * time): the session must then stop, so that two replicas never run the same room.
   */
  claim(room: string, sessionId: string, graph: string, onLost: (reason: string) => void): Promise<ClaimResult>;
  /** A live peer that takes new rooms, the least loaded, for a start this replica cannot take. */
  acceptingPeer(): Promise<Peer | undefined>;
  /** Every live peer as it last published itself. */
  peers(): Promise<Peer[]>;
  close(): Promise<void>;
}

/** Describes why no TEN replica could take a session, one clause per replica. */
export function tenCapacitySentence(states: ReadonlyArray<readonly [name: string, state: string]>): string {
  return `at capacity: no TEN replica can take another session (${states.map(([name, state]) => `${name}: ${state}`).join('; ')})`;
}
