import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleCall, signedInCookie } from './helpers/console-client.ts';
import { startConsoleStack, type ConsoleStack } from './helpers/console-stack.ts';

/**
 * Finding 4: who may control a room's agent. A room's owner is the first signed-in user to open
 * it; its moderators are the owner and the console's administrators; anyone signed in may join,
 * start the agent and watch it (its state and transcript); only the agent's starter or a
 * moderator may stop it. The agent runs on the real agent bridge.
 */
let stack: ConsoleStack;
let redis: Redis;
const id = (name: string) => `${name}-${randomBytes(3).toString('hex')}`;
const subs = { owner: id('olga'), member: id('mia'), stranger: id('sam'), admin: id('admin') };
const cookies: Record<keyof typeof subs, string> = { owner: '', member: '', stranger: '', admin: '' };
const ONLY_STARTER_OR_MODERATOR = { error: 'Only the person who started the agent or a moderator of this room can do that.' };

const post = (who: keyof typeof subs, path: string, room: string) => consoleCall(stack.url, path, { cookie: cookies[who], body: { room } });

async function roomUser(who: keyof typeof subs, room: string): Promise<Record<string, unknown>> {
  const response = await post(who, '/api/room/token', room);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { jwt: string; moderator: boolean };
  const claims = decodeJwt(body.jwt) as { context: { user: Record<string, unknown> } };
  expect(claims.context.user['moderator']).toBe(body.moderator);
  return claims.context.user;
}

beforeAll(async () => {
  stack = await startConsoleStack({ env: { CONSOLE_ADMINS: ` ${subs.admin} , someone-else ` } });
  redis = new Redis(stack.redisUrl);
  for (const who of Object.keys(subs) as Array<keyof typeof subs>) cookies[who] = await signedInCookie(stack.redisUrl, { sub: subs[who], name: who });
}, 120_000);

afterAll(async () => {
  await redis?.quit();
  await stack?.close();
});

describe('room tokens', () => {
  it('give moderator rights to the first user who opens a room and to administrators, and make everyone else a member', async () => {
    const room = id('desk');
    expect(await roomUser('owner', room)).toMatchObject({ id: subs.owner, moderator: true, affiliation: 'owner' });
    expect(await roomUser('member', room)).toMatchObject({ id: subs.member, moderator: false, affiliation: 'member' });
    expect(await roomUser('admin', room)).toMatchObject({ id: subs.admin, moderator: true, affiliation: 'owner' });
    // Opening it again changes nothing: the owner stays the owner.
    expect(await roomUser('member', room)).toMatchObject({ moderator: false, affiliation: 'member' });
    expect(await roomUser('owner', room)).toMatchObject({ moderator: true, affiliation: 'owner' });
    const ttl = await redis.ttl(`console:room-owner:${room}`);
    expect(ttl).toBeGreaterThan(86_000);
    expect(ttl).toBeLessThanOrEqual(86_400);
  });

  it('let the next user own a room whose ownership ran out', async () => {
    const room = id('lapsed');
    await roomUser('owner', room);
    await redis.del(`console:room-owner:${room}`);
    expect(await roomUser('member', room)).toMatchObject({ moderator: true, affiliation: 'owner' });
    expect(await roomUser('owner', room)).toMatchObject({ moderator: false, affiliation: 'member' });
  });
});

describe('the agent in a room', () => {
  it('may be started and watched by any member, and stopped only by its starter or a moderator', async () => {
    const room = id('agent');
    await roomUser('owner', room);
    expect((await post('member', '/api/agent/start', room)).status).toBe(200);

    const refused = await post('stranger', '/api/agent/stop', room);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual(ONLY_STARTER_OR_MODERATOR);
    expect(stack.ten.workers.has(room)).toBe(true);

    const seen = async (who: keyof typeof subs) => (await (await consoleCall(stack.url, `/api/agent?room=${room}`, { cookie: cookies[who] })).json()) as { running: boolean; canControl: boolean };
    expect(await seen('stranger')).toMatchObject({ running: true, canControl: false });
    expect(await seen('member')).toMatchObject({ running: true, canControl: true });
    expect(await seen('owner')).toMatchObject({ running: true, canControl: true });
    // Watching it live is seeing its state: anyone signed in, nobody else.
    const watched = await consoleCall(stack.url, `/api/agent/events?room=${room}`, { cookie: cookies.stranger });
    expect(watched.status).toBe(200);
    expect(watched.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await watched.body?.cancel();
    expect((await consoleCall(stack.url, `/api/agent/events?room=${room}`)).status).toBe(401);

    expect(await (await post('owner', '/api/agent/stop', room)).json()).toMatchObject({ running: false });
    expect(stack.ten.workers.has(room)).toBe(false);
  });

  it('may be stopped by an administrator, who owns no room', async () => {
    const room = id('admin-stop');
    expect((await post('stranger', '/api/agent/start', room)).status).toBe(200);
    // Starting it opened the room: the starter owns it now.
    expect(await roomUser('stranger', room)).toMatchObject({ moderator: true });
    expect((await post('member', '/api/agent/stop', room)).status).toBe(403);
    expect((await post('admin', '/api/agent/stop', room)).status).toBe(200);
    expect(stack.ten.workers.has(room)).toBe(false);
  });

  it('started on the bridge without the console, may be stopped by a moderator only', async () => {
    const room = id('by-hand');
    await roomUser('owner', room);
    expect((await stack.bridge.api.start(room)).status).toBe(201);
    expect((await post('member', '/api/agent/stop', room)).status).toBe(403);
    expect((await post('owner', '/api/agent/stop', room)).status).toBe(200);
    expect(stack.ten.workers.has(room)).toBe(false);
  });

  it('answers the same 404 to anyone when no agent is in the room', async () => {
    const room = id('idle');
    const response = await post('stranger', '/api/agent/stop', room);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'The voice agent is not in this room.' });
  });
});
