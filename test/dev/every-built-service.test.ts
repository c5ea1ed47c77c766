import { describe, expect, it } from 'vitest';
import { servicesOf } from '../../constructs/index.ts';
import { DEV_PROCESSES } from '../../dev/settings.ts';
import { buildEnvironments } from '../helpers/synth.ts';

describe('npm run dev', () => {
  it('runs every service the development environment builds from this repository (the TEN agent as its stand-in)', async () => {
    const [development] = await buildEnvironments(['environments/development.ts']);
    const built = servicesOf(development!).filter((service) => service.data.build !== undefined).map((service) => service.name).sort();
    expect(built).toEqual(expect.arrayContaining(['frontend', 'jitsi-agent-bridge', 'mcp-server', 'ten-agent']));
    for (const name of built) expect(DEV_PROCESSES, `${name} is built by the model but npm run dev does not start it (dev/settings.ts, dev/stack-plan.ts)`).toContain(name);
  });
});
