import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config.ts';
import { checkRoomName, mintRoomToken } from '../lib/jitsi-token.ts';
import { consoleEnv, JWT_APP_SECRET, testConfig } from './helpers/config.ts';

describe('configuration', () => {
  it('applies defaults', () => {
    const config = testConfig();
    expect(config).toMatchObject({ JITSI_JWT_SUBJECT: 'meet.jitsi', JITSI_JWT_TTL_SECONDS: 900, SESSION_TTL_SECONDS: 28_800 });
    expect(config).toMatchObject({
      BODY_LIMIT_BYTES: 65_536,
      RATE_LIMIT_USER_PER_MINUTE: 120,
      RATE_LIMIT_ADDRESS_PER_MINUTE: 60,
      TRUSTED_PROXY_HOPS: 1,
      MCP_PROBE_CACHE_SECONDS: 15,
      TOOL_CALL_REPLAY_SECONDS: 86_400,
      ROOM_OWNER_TTL_SECONDS: 86_400,
      CONSOLE_ADMINS: [],
    });
    expect(testConfig({ CONSOLE_ADMINS: ' auth0|ada , ,grace ' }).CONSOLE_ADMINS).toEqual(['auth0|ada', 'grace']);
  });

  it('names each new limit that is out of range or not a number, never its value', () => {
    let message = '';
    try {
      loadConfig(consoleEnv({ BODY_LIMIT_BYTES: '12', RATE_LIMIT_USER_PER_MINUTE: 'lots-7d1f', TRUSTED_PROXY_HOPS: '0', ROOM_OWNER_TTL_SECONDS: '1.5', CONSOLE_ADMINS: `ok,${'s'.repeat(300)}` }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('BODY_LIMIT_BYTES must be a whole number from 1024 to 10485760');
    expect(message).toContain('RATE_LIMIT_USER_PER_MINUTE must be a whole number from 1 to 100000');
    expect(message).toContain('TRUSTED_PROXY_HOPS must be a whole number from 1 to 10');
    expect(message).toContain('ROOM_OWNER_TTL_SECONDS must be a whole number from 60 to 2592000');
    expect(message).toContain('CONSOLE_ADMINS entry 2 is longer than 255 characters');
    expect(message).not.toContain('lots-7d1f');
    expect(message).not.toContain('sss');
  });

  it('names each missing or invalid variable and never repeats a value', () => {
    const env: Record<string, string> = consoleEnv({ SESSION_SECRET: 'short-secret-value', REDIS_URL: 'http://cache' });
    delete env['OIDC_CLIENT_SECRET'];
    expect(() => loadConfig(env)).toThrow(/OIDC_CLIENT_SECRET is not set/);
    let message = '';
    try {
      loadConfig(env);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('SESSION_SECRET must be at least 32 characters');
    expect(message).toContain('REDIS_URL must be a redis:// URL');
    expect(message).not.toContain('short-secret-value');
  });

  it('needs the agent bridge as an http(s) URL and a token of 32 characters or more, and never repeats the token', () => {
    const shortToken = 'bridge-token-too-short-4e1d';
    let message = '';
    try {
      loadConfig(consoleEnv({ AGENT_BRIDGE_URL: 'ws://bridge:8090', AGENT_BRIDGE_TOKEN: shortToken }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/AGENT_BRIDGE_URL/);
    expect(message).toContain('AGENT_BRIDGE_TOKEN must be at least 32 characters');
    expect(message).not.toContain(shortToken);
    const env: Record<string, string> = consoleEnv();
    delete env['AGENT_BRIDGE_URL'];
    delete env['AGENT_BRIDGE_TOKEN'];
    expect(() => loadConfig(env)).toThrow(/AGENT_BRIDGE_URL is not set; AGENT_BRIDGE_TOKEN is not set/);
    // The variables it replaced are gone: setting them changes nothing.
    expect(loadConfig(consoleEnv({ TEN_AGENT_URL: 'not a url' }))).not.toHaveProperty('TEN_AGENT_URL');
  });
});

describe('room tokens', () => {
  const ada = { sub: 'ada', name: 'Ada Lovelace', email: 'ada@example.test' };

  it('are HS256 JWTs Jitsi accepts: iss, aud, sub, room, short exp and the user', async () => {
    const config = testConfig({ JITSI_JWT_AUDIENCE: 'jitsi-audience' });
    const now = Date.now();
    const { jwt, expiresAt } = await mintRoomToken(config, 'support-desk', ada, false, now);
    const { payload, protectedHeader } = await jwtVerify(jwt, new TextEncoder().encode(JWT_APP_SECRET), { issuer: 'voice-agent', audience: 'jitsi-audience', subject: 'meet.jitsi' });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ room: 'support-desk', context: { user: { id: 'ada', name: 'Ada Lovelace', email: 'ada@example.test', moderator: false, affiliation: 'member' } } });
    expect(payload.exp).toBe(Math.floor(now / 1000) + 900);
    expect(expiresAt).toBe((payload.exp ?? 0) * 1000);
  });

  it('carry moderator rights only for a moderator: moderator true and affiliation owner', async () => {
    const { jwt } = await mintRoomToken(testConfig(), 'support-desk', ada, true);
    const { payload } = await jwtVerify(jwt, new TextEncoder().encode(JWT_APP_SECRET));
    expect(payload).toMatchObject({ context: { user: { id: 'ada', moderator: true, affiliation: 'owner' } } });
  });

  it('do not verify with another key', async () => {
    const { jwt } = await mintRoomToken(testConfig(), 'support-desk', ada, false);
    await expect(jwtVerify(jwt, new TextEncoder().encode('another-secret-another-secret'))).rejects.toThrow(/signature/);
  });

  it('are only for room names Jitsi keeps as typed', () => {
    expect(checkRoomName('support-desk')).toBeUndefined();
    for (const bad of ['Support', 'ab', '-leading', 'with space', '../etc', 'a'.repeat(64), 42, undefined]) expect(checkRoomName(bad)).toMatch(/room name/);
  });
});
