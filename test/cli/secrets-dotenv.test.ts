import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, temporaryDirectory } from '../helpers/synth.ts';

const CORE = [
  'AGENT_BRIDGE_TOKEN', 'CONSOLE_SESSION_SECRET', 'JICOFO_AUTH_PASSWORD', 'JVB_AUTH_PASSWORD', 'JWT_APP_SECRET', 'MCP_CONSOLE_TOKEN', 'MCP_TEN_AGENT_TOKEN',
  'OIDC_CLIENT_SECRET', 'PIPEDREAM_CLIENT_ID', 'PIPEDREAM_CLIENT_SECRET', 'PIPEDREAM_PROJECT_ID', 'PIPEDREAM_WORKFLOW_TOKEN', 'POSTGRES_PASSWORD', 'REDIS_PASSWORD',
];
const VOICE = ['DEEPGRAM_API_KEY', 'ELEVENLABS_TTS_KEY', 'OPENAI_API_KEY'];
/** Recognisable in any output. */
const planted = (name: string) => `plantedZq8${name.toLowerCase().replaceAll('_', '')}${randomBytes(16).toString('hex')}`;

function dotenv(lines: string[]): string {
  const file = join(temporaryDirectory(), '.env');
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

function check(file: string, extra: string[] = []) {
  return runCli(['secrets', 'check', '--env', 'development', '--dotenv', file, ...extra], { DOPPLER_TOKEN: '' });
}

describe('secrets check --dotenv', () => {
  it('lists every missing secret at once, by service, and leaves the voice profile\'s keys out while it is off', () => {
    const file = dotenv(['# only two set', `AGENT_BRIDGE_TOKEN=${planted('AGENT_BRIDGE_TOKEN')}`, 'JWT_APP_SECRET=']);
    const result = check(file);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout.split('\n')[0]).toBe(`secrets check: environment "development", file ${file}`);
    const missing = CORE.filter((name) => !['AGENT_BRIDGE_TOKEN', 'JWT_APP_SECRET'].includes(name));
    expect(result.stdout).toContain(`${missing.length + 1} of ${CORE.length} secrets are not set in ${file} (missing: ${missing.join(', ')}; empty: JWT_APP_SECRET).`);
    expect(result.stdout).toContain(`not checked, the voice profile is off (COMPOSE_PROFILES=voice turns it on): ${VOICE.join(', ')}`);
    expect(result.stdout).toMatch(/✗ frontend\s+1 of 7 set/);
    expect(result.stdout).toContain('what each one is and how to make one: the comments in dist/compose/development/.env.example, from constructs/secret-catalog.ts');
  });

  it('says which values break their rule, without printing them or their length', () => {
    const values = Object.fromEntries(CORE.map((name) => [name, planted(name)]));
    values['CONSOLE_SESSION_SECRET'] = 'plantedZq8short';
    values['POSTGRES_PASSWORD'] = 'plantedZq8with@sign-and-long-enough';
    const file = dotenv(Object.entries(values).map(([name, value]) => `${name}=${value}`));
    const result = check(file);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/invalid\s+CONSOLE_SESSION_SECRET\s+\(compose\): is shorter than 32 characters/);
    expect(result.stdout).toMatch(/invalid\s+POSTGRES_PASSWORD\s+\(compose\): has characters other than letters, digits and - _ \. ~/);
    expect(result.stdout).toContain('(invalid: CONSOLE_SESSION_SECRET, POSTGRES_PASSWORD)');
    expect(result.stdout + result.stderr).not.toContain('plantedZq8');
    expect(result.stdout).not.toContain(String('plantedZq8short'.length));
  });

  it('passes a complete file, and checks the voice keys once COMPOSE_PROFILES turns the profile on', () => {
    const core = CORE.map((name) => `${name}=${planted(name)}`);
    const complete = check(dotenv(core));
    expect(complete.status, complete.stdout).toBe(0);
    expect(complete.stdout).toContain(`all ${CORE.length} secrets are set in`);
    const voiceOn = check(dotenv(['COMPOSE_PROFILES=voice', ...core, `OPENAI_API_KEY=${planted('OPENAI_API_KEY')}`]), ['--json']);
    expect(voiceOn.status).toBe(1);
    const report = JSON.parse(voiceOn.stdout) as { missing: string[]; skipped: string[]; needed: string[] };
    expect(report.missing).toEqual(['DEEPGRAM_API_KEY', 'ELEVENLABS_TTS_KEY']);
    expect(report.skipped).toEqual([]);
    expect(report.needed).toHaveLength(CORE.length + VOICE.length);
    expect(voiceOn.stdout).not.toContain('plantedZq8');
  });

  it('names the file and the template when the file does not exist', () => {
    const file = join(temporaryDirectory(), '.env');
    const result = check(file);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`error: ${file} does not exist; copy dist/compose/development/.env.example to it and fill it in\n`);
  });
});
