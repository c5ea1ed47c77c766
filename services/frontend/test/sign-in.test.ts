import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../mcp-server/test/helpers/private-redis.ts';
import { freePort } from '../../../test/helpers/free-port.ts';
import { SIGN_IN_ERRORS } from '../lib/sign-in-errors.ts';
import { consoleCall } from './helpers/console-client.ts';
import { startConsoleStack, startNext, type ConsoleStack } from './helpers/console-stack.ts';
import { browserSignIn, CookieJar } from './helpers/http-sign-in.ts';

/**
 * Finding 6: an anonymous sign-in start writes nothing to Redis (PKCE verifier, state and nonce
 * travel in an encrypted cookie), and starts are rate-limited per client address.
 * Finding 7: the sign-in page shows only the console's own sentences, chosen by a code.
 */
const ADDRESS_LIMIT = 50;
const GENERIC = 'Sign-in did not complete. Try again.';

let redis: PrivateRedis;
let client: Redis;
let stack: ConsoleStack;

/** The sign-in start's redirect, and the login cookie it set. */
async function startSignIn(address: string): Promise<{ response: Response; authorizationUrl: URL; loginCookie: string }> {
  const response = await consoleCall(stack.url, '/api/auth/login', { address });
  const setCookie = response.headers.getSetCookie().find((cookie) => cookie.startsWith('console-login=')) ?? '';
  return { response, authorizationUrl: new URL(response.headers.get('location') ?? stack.url), loginCookie: setCookie.split(';')[0] ?? '' };
}

/** The text a visitor reads on the page (tags and the framework's inline data left out). */
async function pageText(path: string, consoleUrl = stack.url): Promise<string> {
  const html = await (await consoleCall(consoleUrl, path)).text();
  return html
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
}

beforeAll(async () => {
  redis = await startPrivateRedis();
  client = new Redis(redis.url);
  stack = await startConsoleStack({ redisUrl: redis.url, env: { RATE_LIMIT_ADDRESS_PER_MINUTE: String(ADDRESS_LIMIT) } });
}, 120_000);

afterAll(async () => {
  await client?.quit();
  await stack?.close();
  await redis?.destroy();
});

describe('starting a sign-in', () => {
  it('writes nothing to Redis, however many anonymous visitors start one', async () => {
    const keysBefore = await client.dbsize();
    for (let visitor = 0; visitor < 150; visitor += 1) {
      const { response, loginCookie } = await startSignIn(`203.0.113.${(visitor % 250) + 1}, 10.0.0.${visitor % 7}`);
      expect(response.status).toBe(303);
      expect(loginCookie).toMatch(/^console-login=.{100,}$/);
    }
    expect(await client.dbsize()).toBe(keysBefore);
  });

  it('is limited per client address, still without writing to Redis', async () => {
    const keysBefore = await client.dbsize();
    const statuses: number[] = [];
    for (let attempt = 0; attempt <= ADDRESS_LIMIT; attempt += 1) statuses.push((await startSignIn('192.0.2.77')).response.status);
    expect(statuses.slice(0, ADDRESS_LIMIT)).toEqual(Array.from({ length: ADDRESS_LIMIT }, () => 303));
    expect(statuses[ADDRESS_LIMIT]).toBe(429);
    expect(await client.dbsize()).toBe(keysBefore);
  });
});

describe('completing a sign-in', () => {
  it('works from the cookie alone, exactly once', async () => {
    const { authorizationUrl, loginCookie } = await startSignIn('192.0.2.10');
    const { callback } = await browserSignIn(authorizationUrl, stack.oidc.issuer, 'ada', new CookieJar());
    const done = await consoleCall(stack.url, `/api/auth/callback${callback.search}`, { cookie: loginCookie, address: '192.0.2.10' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`${stack.url}/`);
    const session = done.headers.getSetCookie().find((cookie) => cookie.startsWith('console-session=')) ?? '';
    expect((await consoleCall(stack.url, '/api/history', { cookie: session.split(';')[0] })).status).toBe(200);

    // The same callback again, with the same cookie: the code was redeemed already.
    const replay = await consoleCall(stack.url, `/api/auth/callback${callback.search}`, { cookie: loginCookie, address: '192.0.2.10' });
    expect(replay.status).toBe(303);
    expect(replay.headers.get('location')).toBe(`${stack.url}/?signin_error=failed`);
    expect(replay.headers.getSetCookie().some((cookie) => cookie.startsWith('console-session=') && !cookie.startsWith('console-session=;'))).toBe(false);
  });

  it('refuses a callback without the login cookie, or with a forged one, by a code', async () => {
    const { authorizationUrl } = await startSignIn('192.0.2.11');
    const state = authorizationUrl.searchParams.get('state');
    const missing = await consoleCall(stack.url, `/api/auth/callback?code=abc&state=${state}`, { address: '192.0.2.11' });
    expect(missing.headers.get('location')).toBe(`${stack.url}/?signin_error=other_browser`);
    const forged = await consoleCall(stack.url, `/api/auth/callback?code=abc&state=${state}`, { cookie: `console-login=${'e30'.repeat(40)}`, address: '192.0.2.11' });
    expect(forged.headers.get('location')).toBe(`${stack.url}/?signin_error=expired`);
  });
});

describe('the sign-in page', () => {
  it('maps the identity provider’s error to our own code, and logs its text instead of showing it', async () => {
    const { loginCookie, authorizationUrl } = await startSignIn('192.0.2.12');
    const state = authorizationUrl.searchParams.get('state') ?? '';
    const crafted = new URLSearchParams({ error: '<script>alert(1)</script>', error_description: 'Your account is locked. Call +1 555 0100 now.', state });
    const response = await consoleCall(stack.url, `/api/auth/callback?${crafted}`, { cookie: loginCookie, address: '192.0.2.12' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${stack.url}/?signin_error=refused`);
    const text = await pageText('/?signin_error=refused');
    expect(text).toContain('The identity provider did not sign you in. Try again, or ask your administrator for access.');
    expect(text).not.toContain('script');
    expect(stack.output()).toContain('Your account is locked');
  });

  it('shows a generic sentence for any code it does not know, never the text it was given', async () => {
    for (const crafted of ['<script>alert(1)</script>', 'Your account is locked. Call +1 555 0100 now', 'constructor', 'toString']) {
      const text = await pageText(`/?signin_error=${encodeURIComponent(crafted)}`);
      expect(text).toContain(GENERIC);
      expect(text).not.toContain('555 0100');
      expect(text).not.toContain('alert(1)');
    }
  });
});

describe('an identity provider that cannot be reached', () => {
  it('sends the browser back to the sign-in page, which says so, and logs OIDC_ISSUER, its value and the cause', async () => {
    // Nothing listens on a port freePort just gave back: connecting is refused.
    const issuer = `http://127.0.0.1:${await freePort()}/realms/voice-agent`;
    const port = await freePort();
    const unreachable = await startNext({ ...stack.env, PUBLIC_URL: `http://127.0.0.1:${port}`, OIDC_ISSUER: issuer }, port);
    try {
      const response = await consoleCall(unreachable.url, '/api/auth/login', { address: '192.0.2.40' });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(`${unreachable.url}/?signin_error=unavailable`);
      expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith('console-login='))).toBe(false);

      // The log line may reach the pipe after the response does: wait for it, not for a fixed time.
      const line = await vi.waitFor(
        () => {
          const logged = unreachable.output().split('\n').find((candidate) => candidate.includes('sign-in cannot start'));
          if (logged === undefined) throw new Error('the console has not logged "sign-in cannot start" yet');
          return logged;
        },
        { timeout: 10_000, interval: 50 },
      );
      expect(line).toContain(`OIDC_ISSUER=${issuer}`);
      expect(line).toContain(`${issuer}/.well-known/openid-configuration`);
      expect(line).toMatch(/fetch failed: connect ECONNREFUSED 127\.0\.0\.1:\d+/);

      const text = await pageText('/?signin_error=unavailable', unreachable.url);
      expect(text).toContain(SIGN_IN_ERRORS.unavailable);
      expect(text).not.toContain('ECONNREFUSED');
    } finally {
      await unreachable.close();
    }
  }, 60_000);
});
