import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { VOICE_PROFILE } from '../../charts/compose-file/compose-file.ts';
import { render } from '../helpers/synth.ts';

type ComposeService = { profiles?: string[]; depends_on?: Record<string, { condition: string; required?: boolean }> };
let development: Record<string, ComposeService>;
let mediaHosts: Record<string, ComposeService>[];

beforeAll(async () => {
  const { output } = await render(['environments/development.ts', 'environments/staging.ts', 'environments/production.ts']);
  development = parse(output.files.get('dist/compose/development/compose.yaml') ?? '').services;
  mediaHosts = [...output.files].filter(([path]) => path.endsWith('-media-host/compose.yaml')).map(([, text]) => parse(text).services);
});

describe('Compose profiles', () => {
  it('puts exactly the voice tier (the TEN agent and the agent bridge) in the voice profile, and the core in none, so it always runs', () => {
    const voice = Object.entries(development).filter(([, service]) => service.profiles?.includes(VOICE_PROFILE));
    expect(voice.map(([name]) => name).sort()).toEqual(['jitsi-agent-bridge', 'ten-agent-0']);
    for (const [, service] of voice) expect(service.profiles).toEqual([VOICE_PROFILE]);
    // Prometheus and Grafana come only with the observability profile.
    expect(Object.entries(development).filter(([, service]) => service.profiles?.includes('observability')).map(([name, service]) => [name, service.profiles])).toEqual([
      ['grafana', ['observability']],
      ['prometheus', ['observability']],
    ]);
    expect(Object.keys(development).filter((name) => development[name]?.profiles === undefined).sort()).toEqual([
      'frontend',
      'jitsi-jicofo',
      'jitsi-jvb',
      'jitsi-prosody',
      'jitsi-web',
      'mcp-server',
      'postgres',
      'redis',
    ]);
  });

  it('lets the core start without the voice tier: a core service waits for a voice one only when it runs (required: false)', () => {
    let crossings = 0;
    for (const [name, service] of Object.entries(development)) {
      for (const [dependency, condition] of Object.entries(service.depends_on ?? {})) {
        const crosses = service.profiles === undefined && development[dependency]?.profiles !== undefined;
        expect(condition.required, `${name} → ${dependency}`).toBe(crosses ? false : undefined);
        if (crosses) crossings += 1;
      }
    }
    // The console waits for the bridge.
    expect(crossings).toBe(1);
    expect(development['frontend']?.depends_on?.['jitsi-agent-bridge']).toEqual({ condition: 'service_healthy', required: false });
  });

  it('leaves the media hosts without profiles: they run exactly what they were given', () => {
    expect(mediaHosts.length).toBe(2);
    for (const services of mediaHosts) for (const service of Object.values(services)) expect(service.profiles).toBeUndefined();
  });
});
