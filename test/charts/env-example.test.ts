import { parseEnv } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { environmentSecrets, secretNamesOf } from '../../charts/doppler/index.ts';
import { describeRule, SECRET_CATALOG, type StackEnvironment } from '../../constructs/index.ts';
import type { RenderedOutput } from '../../charts/rendered-output.ts';
import { fixture, render } from '../helpers/synth.ts';

let output: RenderedOutput;
let environments: StackEnvironment[];
let example: string;

beforeAll(async () => {
  ({ output, environments } = await render(['environments/development.ts', 'environments/staging.ts', 'environments/production.ts', fixture('database-consumer')]));
  example = output.files.get('dist/compose/development/.env.example') ?? '';
});

/** The comment block above `NAME=` in the example. */
function block(name: string): string[] {
  const lines = example.split('\n');
  const at = lines.indexOf(`${name}=`);
  if (at < 0) throw new Error(`${name}= is not in .env.example`);
  const start = lines.slice(0, at).findLastIndex((line) => !line.startsWith('#'));
  return lines.slice(start + 1, at);
}

describe('.env.example', () => {
  it('is written beside each Compose environment\'s file, and only there', () => {
    expect([...output.files.keys()].filter((path) => path.endsWith('.env.example')).sort()).toEqual(['dist/compose/consumer/.env.example', 'dist/compose/development/.env.example']);
  });

  it('lists every secret the Compose file reads, each with an empty value', () => {
    const development = environments.find((environment) => environment.name === 'development')!;
    const values = parseEnv(example);
    expect(Object.keys(values).sort()).toEqual(secretNamesOf(environmentSecrets(development), 'compose'));
    expect(Object.keys(values).length).toBe(17);
    for (const value of Object.values(values)) expect(value).toBe('');
  });

  it('says for each what it is for, which services read it, its rule and how to make or get one', () => {
    expect(block('AGENT_BRIDGE_TOKEN')).toEqual([
      '# bearer token the console sends the Jitsi agent bridge (both read it)',
      '#   read by: frontend, jitsi-agent-bridge',
      '#   rule: at least 32 characters',
      '#   make one: openssl rand -hex 32',
    ]);
    expect(block('REDIS_PASSWORD')[1]).toBe('#   read by: frontend, jitsi-agent-bridge, mcp-server, redis, ten-agent-0');
    expect(block('REDIS_PASSWORD')[2]).toBe('#   rule: at least 16 characters, letters, digits and - _ . ~ only');
    expect(block('OPENAI_API_KEY')[3]).toBe('#   get it from: OpenAI platform: API keys');
    for (const name of Object.keys(parseEnv(example))) {
      const entry = SECRET_CATALOG[name]!;
      expect(block(name), name).toEqual([`# ${entry.purpose}`, expect.stringMatching(/^# {3}read by: [a-z0-9-]+(, [a-z0-9-]+)*$/), `#   rule: ${describeRule(entry.rule)}`, expect.stringContaining(entry.source.how)]);
    }
  });

  it('puts the secrets only the voice profile reads last, under their own heading, and shows how to turn the profile on', () => {
    const heading = example.indexOf('# Voice profile only');
    expect(heading).toBeGreaterThan(0);
    const after = Object.keys(parseEnv(example.slice(heading)));
    expect(after).toEqual(['DEEPGRAM_API_KEY', 'ELEVENLABS_TTS_KEY', 'OPENAI_API_KEY']);
    expect(example).toContain('\n# COMPOSE_PROFILES=voice\n');
    expect(example).toContain('npm run secrets -- check --env development --dotenv dist/compose/development/.env');
  });

  it('covers every secret of every environment with a catalog entry; an undocumented one is a synth note and a bare line', () => {
    const notes = output.warnings.filter((warning) => warning.message.includes('no entry in constructs/secret-catalog.ts'));
    expect(notes.map((note) => note.environment)).toEqual(['consumer']);
    expect(notes[0]?.message).toMatch(/^secrets "API_TOKEN", "UPSTREAM_TOKEN" have no entry in constructs\/secret-catalog\.ts/);
    expect(output.files.get('dist/compose/consumer/.env.example')).toContain('# (no entry in constructs/secret-catalog.ts)\n#   read by: api\nAPI_TOKEN=\n');
  });
});
