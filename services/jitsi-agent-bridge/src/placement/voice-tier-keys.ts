/**
 * The voice tier's Redis keys, all under one prefix (VOICE_TIER_KEY_PREFIX). The TEN image's
 * drain step (services/ten-agent/drain/ten_drain.py) writes `ten:<replica>:draining` under the
 * same prefix, so the two must agree on it.
 */
export class VoiceTierKeys {
  private readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** Which bridge replica runs the room's agent now (a lease). */
  lease(room: string): string {
    return `${this.prefix}room:${room}:lease`;
  }

  /** The room's latest session: where it ran, its state, how it ended. */
  record(room: string): string {
    return `${this.prefix}room:${room}:record`;
  }

  /** The ids of the bridge replicas that published themselves. */
  get replicas(): string {
    return `${this.prefix}bridge:replicas`;
  }

  /** One bridge replica's URL and capacity, while it lives. */
  replica(id: string): string {
    return `${this.prefix}bridge:replica:${id}`;
  }

  /** A worker port of a TEN replica, taken by one session. */
  seat(tenReplica: string, port: number): string {
    return `${this.prefix}ten:${tenReplica}:port:${port}`;
  }

  /** Set by a TEN replica's drain step: place no new session there. */
  draining(tenReplica: string): string {
    return `${this.prefix}ten:${tenReplica}:draining`;
  }
}
