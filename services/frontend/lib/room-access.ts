import type { Redis } from 'ioredis';
import type { Config } from './config.ts';
import type { SessionUser } from './session.ts';

const OWNER_PREFIX = 'console:room-owner:';

/**
 * Who may do what in a room:
 * - anyone signed in may join a room (gets a room token) and start its agent;
 * - a room's owner is the first signed-in user who opens it in the console (mints its token or
 *   starts its agent); the owner stays the owner for ROOM_OWNER_TTL_SECONDS after their own last
 *   use, so an abandoned room can be claimed again but a busy one cannot be taken over;
 * - a room's moderators are its owner and the console's administrators (CONSOLE_ADMINS); only
 *   their room tokens carry moderator rights;
 * - only the user who started a room's agent, or a moderator of the room, may ping or stop it.
 */
export class RoomAccess {
  constructor(
    private readonly redis: Redis,
    private readonly admins: readonly string[],
    private readonly ownerTtlSeconds: number,
  ) {}

  static of(redis: Redis, config: Config): RoomAccess {
    return new RoomAccess(redis, config.CONSOLE_ADMINS, config.ROOM_OWNER_TTL_SECONDS);
  }

  /** The user opens the room: they own it if nobody does. Answers whether they moderate it. */
  async open(room: string, user: SessionUser): Promise<{ moderator: boolean }> {
    // One round trip: claim the room if it has no owner, and learn who owned it before.
    const previous = await this.redis.set(OWNER_PREFIX + room, user.sub, 'EX', this.ownerTtlSeconds, 'NX', 'GET');
    const owner = previous ?? user.sub;
    if (owner === user.sub && previous !== null) await this.redis.expire(OWNER_PREFIX + room, this.ownerTtlSeconds);
    return { moderator: owner === user.sub || this.admins.includes(user.sub) };
  }

  /** Whether the user moderates the room, without claiming it; the owner's use keeps them the owner. */
  async isModerator(room: string, user: SessionUser): Promise<boolean> {
    if (this.admins.includes(user.sub)) return true;
    const owner = await this.redis.get(OWNER_PREFIX + room);
    if (owner !== user.sub) return false;
    await this.redis.expire(OWNER_PREFIX + room, this.ownerTtlSeconds);
    return true;
  }

  /** The agent's starter and the room's moderators may ping or stop it. */
  async mayControlAgent(room: string, user: SessionUser, startedBy: string): Promise<boolean> {
    return startedBy === user.sub || this.isModerator(room, user);
  }
}

export const ONLY_STARTER_OR_MODERATOR = 'Only the person who started the agent or a moderator of this room can do that.';
