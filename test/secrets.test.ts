import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { whyLooksLikeCredential } from '../constructs/credentials.ts';
import { buildEnvironments, fixture, readTree, runCli, temporaryDirectory } from './helpers/synth.ts';

/** Plausible secret values, present in the environment synth runs in. None may reach a file. */
const FAKE_SECRETS: Record<string, string> = {
  OPENAI_API_KEY: 'sk-test-Q3v8ZmX1pL0kR7nW4yT2bH6jC9dF5sA',
  JWT_APP_SECRET: 'jwt-secret-7fK2pQ9xL4mZ8vR1nT6',
  JICOFO_AUTH_PASSWORD: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  JVB_AUTH_PASSWORD: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  POSTGRES_PASSWORD: 'pg-pass-Zx8Cv7Bn6Mm5Ll4Kk3',
  REDIS_PASSWORD: 'redis-pass-Qq1Ww2Ee3Rr4Tt5Yy6',
  DEEPGRAM_API_KEY: 'dg-9f8e7d6c5b4a3928170615243342',
  ELEVENLABS_TTS_KEY: 'el-1a2b3c4d5e6f7a8b9c0d1e2f3a4b',
  AGORA_APP_ID: 'agora0123456789abcdef0123456789ab',
  API_TOKEN: 'api-token-Hh7Gg6Ff5Dd4Ss3Aa2',
  UPSTREAM_TOKEN: 'upstream-Jj9Kk8Ll7Mm6Nn5Bb4',
  OIDC_CLIENT_SECRET: 'oidc-client-Vv3Cc9Xx1Zz7Pp5Oo2Ii8',
  CONSOLE_SESSION_SECRET: 'session-Uu4Yy6Tt8Rr0Ee2Ww4Qq6Aa8Ss0Dd2Ff4',
  MCP_CONSOLE_TOKEN: 'mcp-console-Gg1Hh3Jj5Kk7Ll9Zz2Xx4',
  MCP_TEN_AGENT_TOKEN: 'mcp-agent-Cc6Vv8Bb0Nn2Mm4Qq6Ww8',
};

describe('secrets', () => {
  it('never appear in rendered files, even when their values are in the environment', async () => {
    const out = temporaryDirectory();
    for (const files of [[], ['--env-file', fixture('database-consumer'), fixture('database-consumer-external')]]) {
      const result = runCli(['synth', ...files, '--out', out], FAKE_SECRETS);
      expect(result.status, result.stderr).toBe(0);
      const output = [...readTree(join(out, 'dist')), ...readTree(join(out, '.railway'))];
      expect(output.length).toBeGreaterThan(5);
      for (const [path, content] of output) {
        for (const [name, value] of Object.entries(FAKE_SECRETS)) expect(content.includes(value), `${name} in ${path}`).toBe(false);
      }
      for (const value of Object.values(FAKE_SECRETS)) expect(result.stdout + result.stderr).not.toContain(value);
    }
  });

  it('are referenced by name in every environment, and no literal looks like a credential', async () => {
    const environments = await buildEnvironments(['environments/development.ts', 'environments/staging.ts', 'environments/production.ts', fixture('database-consumer')]);
    let secretReferences = 0;
    for (const environment of environments) {
      for (const service of environment.node.findAll()) {
        const env = (service as { env?: Record<string, unknown> }).env;
        if (env === undefined) continue;
        for (const [name, value] of Object.entries(env)) {
          if (typeof value === 'string') expect(whyLooksLikeCredential(name, value), `${service.node.path} ${name}`).toBeUndefined();
          else if ((value as { kind?: string }).kind === 'secret') secretReferences += 1;
        }
      }
    }
    expect(secretReferences).toBeGreaterThan(20);
  });
});
