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
    // Inside longer values: a URL's password, a header, a command line.
    ['UPSTREAM_URL', 'https://bot:sk-proj-4fJ9xQ2mZ7rT1wK8vB3nL6yP0sD5hG@llm.example.com/v1', 'contains an OpenAI-style secret key'],
    ['HEADERS', 'Authorization: Bearer sk-proj-4fJ9xQ2mZ7rT1wK8vB3nL6yP0sD5hG', 'contains an OpenAI-style secret key'],
    ['CLONE', 'git clone https://x:ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/acme/x', 'GitHub'],
    ['AWS_ENV', 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE', 'contains an AWS access key id'],
    ['DATABASE_URL', 'postgresql://app:hunter2@db:5432/app', 'contains a URL with a password'],
    ['REDIS_URL', 'redis://:s3cret@cache:6379', 'contains a URL with a password'],
    ['AUTH_HEADER', 'Bearer Zq8Xv2Lm9Rt4Wn7Kp1Hs6Jd3Fg5Bc0Ya', 'HTTP Bearer credential'],
    ['AUTH_HEADER', 'basic dXNlcjpwYXNz', 'HTTP Basic credential'],
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
    // A user without a password, and passwords that are variables rather than values.
    ['UPSTREAM_URL', 'https://bot@llm.example.com/v1'],
    ['DATABASE_URL', 'postgresql://app:${DB_PASSWORD}@db:5432/app'],
    ['DATABASE_URL', 'postgresql://app:$(DB_PASSWORD)@db:5432/app'],
    // A provider prefix in the middle of a word, and prose about authentication.
    ['TASK', 'task-abcdefghijklmnopqrstuvwx'],
    ['AGENT_PROMPT', 'Send the Bearer token the user gives you; Basic auth is not supported.'],
  ])('lets %s through', (name, value) => {
    expect(whyLooksLikeCredential(name, value)).toBeUndefined();
  });
});

describe('whyLooksLikeCredential without a variable name (command lines, annotations)', () => {
  it('flags known credential shapes but not long random-looking words', () => {
    expect(whyLooksLikeCredential(undefined, '--token=ghp_0123456789abcdefghijABCDEFGHIJ012345')).toContain('GitHub');
    expect(whyLooksLikeCredential(undefined, 'Zq8Xv2Lm9Rt4Wn7Kp1Hs6Jd3Fg5Bc0Ya')).toBeUndefined();
  });

  it('looks up placeholders by own name only', () => {
    expect(whyLooksLikeCredential('toString', 'x')).toBeUndefined();
    expect(whyLooksLikeCredential('__proto__', 'x')).toBeUndefined();
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
