import { describe, expect, it } from 'vitest';
import { entropyBitsPerChar, isSecretLookingName, whyLooksLikeCredential } from '../../constructs/credentials.ts';

describe('whyLooksLikeCredential', () => {
  it.each([
    ['OPENAI_CONFIG', 'sk-proj-4fJ9xQ2mZ7rT1wK8vB3nL6yP0sD5hG', 'OpenAI'],
    ['GH', 'ghp_0123456789abcdefghijABCDEFGHIJ012345', 'GitHub'],
    ['DOPPLER', 'dp.st.prd.abcdefghijklmnopqrstuvwxyz0123', 'Doppler'],
    ['AWS', 'AKIAIOSFODNN7EXAMPLE', 'AWS'],
    ['KEY_FILE', '-----BEGIN RSA PRIVATE KEY-----\nabc', 'private key'],
    ['WEBHOOK_TOKEN', 'Zq8Xv2Lm9Rt4Wn7Kp1Hs6Jd3Fg5Bc0Ya', 'random-looking'],
    ['DB_PASSWORD', 'u3#Kq9!zLm2$Vb7&Xw4', 'random-looking'],
  ])('flags %s', (name, value, reason) => {
    const problem = whyLooksLikeCredential(name, value);
    expect(problem).toContain(reason);
    // The explanation never repeats the value.
    expect(problem).not.toContain(value);
  });

  it.each([
    ['JWT_APP_ID', 'voice-agent'],
    ['OPENAI_MODEL', 'gpt-4o-mini'],
    ['XMPP_SERVER', 'jitsi-prosody.voice-agent-staging.svc.cluster.local'],
    ['CSP_HEADER', "frame-ancestors 'self'"],
    ['JWT_ACCEPTED_ISSUERS', 'voice-agent,voice-console'],
    // A short, wordy value under a secret-looking name is a setting, not a credential.
    ['ENABLE_KEY', 'true'],
    ['SIGNING_KEY', 'use-the-one-in-doppler please'],
  ])('lets %s through', (name, value) => {
    expect(whyLooksLikeCredential(name, value)).toBeUndefined();
  });
});

describe('helpers', () => {
  it('measures entropy per character', () => {
    expect(entropyBitsPerChar('aaaa')).toBe(0);
    expect(entropyBitsPerChar('abcd')).toBe(2);
    expect(entropyBitsPerChar('')).toBe(0);
  });

  it('recognises credential-style names', () => {
    expect(isSecretLookingName('OPENAI_API_KEY')).toBe(true);
    expect(isSecretLookingName('JVB_AUTH_PASSWORD')).toBe(true);
    expect(isSecretLookingName('JWT_APP_SECRET')).toBe(true);
    expect(isSecretLookingName('KEYCLOAK_URL')).toBe(false);
    expect(isSecretLookingName('TOKEN_AUTH_URL')).toBe(false);
  });
});
