import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL } from '../../mcp-server/test/helpers/mcp.ts';
import { SessionStore, sessionCookie } from '../lib/session.ts';

const redis = new Redis(REDIS_URL);
const SECRET = 'session-secret-for-tests-0123456789abcdef';
const ada = { sub: 'ada', name: 'Ada Lovelace', email: 'ada@example.test' };

afterAll(() => redis.quit());

describe('sessions', () => {
  it('are found by their signed cookie and keep the user', async () => {
    const store = new SessionStore(redis, SECRET, 60);
    const { session, cookieValue } = await store.create(ada, 'id-token');
    expect(cookieValue.startsWith(`${session.id}.`)).toBe(true);
    expect(await store.read(cookieValue)).toMatchObject({ id: session.id, user: ada, idToken: 'id-token' });
    expect(await redis.ttl(`console:session:${session.id}`)).toBeGreaterThan(55);
  });

  it('refuse a cookie with a forged or missing signature, or signed with another secret', async () => {
    const store = new SessionStore(redis, SECRET, 60);
    const { session, cookieValue } = await store.create(ada, undefined);
    const [, signature] = cookieValue.split('.');
    expect(await store.read(`${session.id}.${'A'.repeat(signature?.length ?? 43)}`)).toBeUndefined();
    expect(await store.read(session.id)).toBeUndefined();
    expect(await store.read(`${cookieValue}.extra`)).toBeUndefined();
    expect(await store.read(undefined)).toBeUndefined();
    expect(await new SessionStore(redis, `${SECRET}-rotated`, 60).read(cookieValue)).toBeUndefined();
  });

  it('stop working everywhere once destroyed', async () => {
    const store = new SessionStore(redis, SECRET, 60);
    const { session, cookieValue } = await store.create(ada, undefined);
    await store.destroy(session.id);
    expect(await store.read(cookieValue)).toBeUndefined();
    expect(await new SessionStore(redis, SECRET, 60).read(cookieValue)).toBeUndefined();
  });

  it('expire with their time to live', async () => {
    const store = new SessionStore(redis, SECRET, 1);
    const { cookieValue } = await store.create(ada, undefined);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await store.read(cookieValue)).toBeUndefined();
  });
});

describe('the session cookie', () => {
  it('is a __Host- cookie, Secure and httpOnly, over HTTPS', () => {
    expect(sessionCookie('https://console.example.com', 3600)).toEqual({
      name: '__Host-console-session',
      options: { httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge: 3600 },
    });
  });

  it('drops the prefix and Secure only for plain-HTTP local use', () => {
    expect(sessionCookie('http://localhost:3000', 60)).toMatchObject({ name: 'console-session', options: { secure: false, httpOnly: true } });
  });
});
