import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config.ts';
import { checkRoomName, mintRoomToken } from '../lib/jitsi-token.ts';
import { consoleEnv, JWT_APP_SECRET, testConfig } from './helpers/config.ts';

describe('configuration', () => {
  it('applies defaults', () => {
    const config = testConfig();
    expect(config).toMatchObject({ TEN_AGENT_GRAPH: 'voice_assistant', JITSI_JWT_SUBJECT: 'meet.jitsi', JITSI_JWT_TTL_SECONDS: 900, SESSION_TTL_SECONDS: 28_800 });
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
});

describe('room tokens', () => {
  const ada = { sub: 'ada', name: 'Ada Lovelace', email: 'ada@example.test' };

  it('are HS256 JWTs Jitsi accepts: iss, aud, sub, room, short exp and the user', async () => {
    const config = testConfig({ JITSI_JWT_AUDIENCE: 'jitsi-audience' });
    const now = Date.now();
    const { jwt, expiresAt } = await mintRoomToken(config, 'support-desk', ada, now);
    const { payload, protectedHeader } = await jwtVerify(jwt, new TextEncoder().encode(JWT_APP_SECRET), { issuer: 'voice-agent', audience: 'jitsi-audience', subject: 'meet.jitsi' });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ room: 'support-desk', context: { user: { id: 'ada', name: 'Ada Lovelace', email: 'ada@example.test' } } });
    expect(payload.exp).toBe(Math.floor(now / 1000) + 900);
    expect(expiresAt).toBe((payload.exp ?? 0) * 1000);
  });

  it('do not verify with another key', async () => {
    const { jwt } = await mintRoomToken(testConfig(), 'support-desk', ada);
    await expect(jwtVerify(jwt, new TextEncoder().encode('another-secret-another-secret'))).rejects.toThrow(/signature/);
  });

  it('are only for room names Jitsi keeps as typed', () => {
    expect(checkRoomName('support-desk')).toBeUndefined();
    for (const bad of ['Support', 'ab', '-leading', 'with space', '../etc', 'a'.repeat(64), 42, undefined]) expect(checkRoomName(bad)).toMatch(/room name/);
  });
});
