import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validateComposeDocument } from '../../charts/compose-file/compose-schema.ts';
import { readComposeRendering, secretReferences } from '../../cli/smoke/compose-rendering.ts';
import { composeArguments, downArguments, upArguments } from '../../cli/smoke/docker-compose.ts';
import { prepareSmoke } from '../../cli/smoke/prepare.ts';
import { INTEGRATION_CHECKS } from '../../cli/smoke/smoke-checks.ts';
import type { SmokePlan } from '../../cli/smoke/smoke-plan.ts';
import { secretValueProblem } from '../../constructs/index.ts';
import { loadConfig as loadBridgeConfig } from '../../services/jitsi-agent-bridge/src/config.ts';
import { loadConfig as loadConsoleConfig } from '../../services/frontend/lib/config.ts';
import { loadConfig as loadMcpConfig } from '../../services/mcp-server/src/config.ts';
import { interpolateEnvironment } from '../helpers/compose-interpolation.ts';
import { runCli, temporaryDirectory } from '../helpers/synth.ts';

/**
 * `smoke prepare`: what the CI smoke test starts (the development rendering's core), the
 * throw-away secrets it starts it with, and the docker compose invocations built from it.
 */

async function prepared(): Promise<{ plan: SmokePlan; out: string; secrets: Record<string, string> }> {
  const out = temporaryDirectory('smoke-');
  const plan = await prepareSmoke({ env: 'development', out, fakePipedreamPort: 8110, fakePipedreamHost: 'host.docker.internal' });
  return { plan, out, secrets: parseEnv(readFileSync(join(out, '.env'), 'utf8')) as Record<string, string> };
}

const rendering = () => readComposeRendering(join(import.meta.dirname, '../../dist/compose/development/compose.yaml'));

describe('smoke prepare', () => {
  it('starts the core of the development rendering: every service in no profile, nothing of the voice profile', async () => {
    const { plan } = await prepared();
    const services = rendering();
    const core = services.filter((service) => service.profiles.length === 0).map((service) => service.name);
    expect(plan.services).toEqual(core);
    expect(plan.services).toEqual(expect.arrayContaining(['frontend', 'mcp-server', 'postgres', 'redis', 'jitsi-web', 'jitsi-prosody', 'jitsi-jicofo', 'jitsi-jvb']));
    expect(plan.notStarted.map((left) => left.service).sort()).toEqual(services.filter((service) => service.profiles.length > 0).map((service) => service.name).sort());
    expect(plan.notStarted.map((left) => left.service)).toEqual(expect.arrayContaining(['ten-agent-0', 'jitsi-agent-bridge']));
    expect(plan.profiles).toEqual([]);
  });

  it('builds the started services Compose would build, tagged as the rendering names them, from the image jobs\' cache scope', async () => {
    const { plan, out } = await prepared();
    const built = rendering().filter((service) => service.profiles.length === 0 && service.build !== undefined);
    expect(plan.images.map((image) => image.service)).toEqual(built.map((service) => service.name));
    const bake = JSON.parse(readFileSync(join(out, 'bake.json'), 'utf8')) as { group: { default: { targets: string[] } }; target: Record<string, { context: string; dockerfile: string; tags: string[]; platforms: string[]; 'cache-from': string[] }> };
    expect(bake.group.default.targets).toEqual(built.map((service) => service.name));
    for (const service of built) {
      const target = bake.target[service.name]!;
      expect(target.tags).toEqual([service.image]);
      expect(existsSync(target.dockerfile), target.dockerfile).toBe(true);
      expect(existsSync(join(target.context, 'package-lock.json')), target.context).toBe(true);
      expect(target.platforms).toEqual([service.platform ?? 'linux/amd64']);
      expect(target['cache-from']).toEqual([`type=gha,scope=${service.name}`]);
    }
  });

  it('invokes docker compose with only services and profiles of the rendering, the throw-away .env and the override', async () => {
    const { plan } = await prepared();
    const services = rendering();
    const names = new Set(services.map((service) => service.name));
    const profiles = new Set(services.flatMap((service) => service.profiles));
    const up = upArguments(plan, 300);
    const named = up.slice(up.indexOf('--no-build') + 1);
    expect(named).toEqual(plan.services);
    expect(named.every((name) => names.has(name))).toBe(true);
    const base = composeArguments(plan);
    const chosenProfiles = base.flatMap((argument, index) => (base[index - 1] === '--profile' ? [argument] : []));
    expect(chosenProfiles.every((profile) => profiles.has(profile))).toBe(true);
    expect(base).toEqual(expect.arrayContaining(['--env-file', plan.envFile, '--file', plan.composeFile, '--file', plan.overrideFile, '--project-name', plan.projectName]));
    expect(up).toEqual(expect.arrayContaining(['up', '--detach', '--wait', '--wait-timeout', '300']));
    expect(downArguments(plan)).toEqual(expect.arrayContaining(['down', '--volumes']));
    // The override and the checks name services of the rendering too.
    const override = parse(readFileSync(plan.overrideFile, 'utf8')) as { services: Record<string, unknown> };
    expect(Object.keys(override.services).filter((name) => !names.has(name))).toEqual([]);
    for (const check of INTEGRATION_CHECKS) expect(check.needs.filter((name) => !plan.services.includes(name)), check.name).toEqual([]);
    expect(Object.keys(plan.healthCommands).sort()).toEqual(services.filter((service) => plan.services.includes(service.name) && service.healthcheck !== undefined).map((service) => service.name).sort());
  });

  it('wires the MCP server to the stand-in Pipedream: its catalog\'s workflows, its base URL, reachable from the containers', async () => {
    const { plan } = await prepared();
    const override = parse(readFileSync(plan.overrideFile, 'utf8')) as { services: Record<string, { environment: Record<string, string>; extra_hosts: string[]; ports: string[]; volumes: Array<{ source: string; target: string; read_only: boolean }> }> };
    expect(validateComposeDocument('compose.smoke.yaml', override)).toEqual([]);
    expect(validateComposeDocument('broken', { services: { 'mcp-server': { ...override.services['mcp-server'], extra_hosts: 'host-gateway' } } })).not.toEqual([]);
    const mcp = override.services['mcp-server']!;
    expect(mcp.environment['PIPEDREAM_BASE_URL']).toBe('http://host.docker.internal:8110');
    expect(mcp.extra_hosts).toEqual(['host.docker.internal:host-gateway']);
    expect(mcp.ports).toEqual(['127.0.0.1:8080:8080']);
    expect(mcp.volumes).toEqual([{ type: 'bind', source: plan.catalog, target: mcp.environment['TOOL_CATALOG'], read_only: true }]);
    const tools = (JSON.parse(readFileSync(plan.catalog, 'utf8')) as { tools: Array<{ kind: string; url?: string }> }).tools;
    const workflows = tools.filter((tool) => tool.kind === 'workflow');
    expect(workflows.length).toBeGreaterThan(0);
    for (const workflow of workflows) expect(workflow.url).toMatch(/^http:\/\/host\.docker\.internal:8110\/workflows\/[\w-]+$/);
    expect(plan.fakePipedream).toEqual({ port: 8110, listen: '0.0.0.0', containerHost: 'host.docker.internal' });
  });

  it('makes a fresh throw-away value for every secret the started services read, each meeting its rule; secrets check agrees', async () => {
    const first = await prepared();
    const second = await prepared();
    const needed = [...new Set(rendering().filter((service) => first.plan.services.includes(service.name)).flatMap(secretReferences))].sort();
    expect(Object.keys(first.secrets).sort()).toEqual(needed);
    expect(needed).not.toEqual(expect.arrayContaining(['OPENAI_API_KEY']));
    for (const name of needed) {
      expect(secretValueProblem(name, first.secrets[name]!), name).toBeUndefined();
      // Random per run, except the stand-in Pipedream's own client and project.
      if (!name.startsWith('PIPEDREAM_') || name === 'PIPEDREAM_WORKFLOW_TOKEN') expect(first.secrets[name], name).not.toBe(second.secrets[name]);
    }
    const check = runCli(['secrets', 'check', '--env', 'development', '--dotenv', first.plan.envFile], { DOPPLER_TOKEN: '' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it("gives each of our services an environment its own config schema accepts (mcp-server, frontend, and the bridge, whose secrets the core shares)", async () => {
    const { plan, secrets } = await prepared();
    const services = new Map(rendering().map((service) => [service.name, service]));
    const environment = (name: string) => interpolateEnvironment(services.get(name)!.environment, secrets);
    const override = parse(readFileSync(plan.overrideFile, 'utf8')) as { services: Record<string, { environment: Record<string, string> }> };
    expect(() => loadMcpConfig({ ...environment('mcp-server'), ...override.services['mcp-server']!.environment })).not.toThrow();
    expect(() => loadConsoleConfig(environment('frontend'))).not.toThrow();
    expect(() => loadBridgeConfig(environment('jitsi-agent-bridge'))).not.toThrow();
    // And the schemas do refuse: a token below the console's minimum, and an unset secret stops interpolation.
    expect(() => loadConsoleConfig(interpolateEnvironment(services.get('frontend')!.environment, { ...secrets, CONSOLE_SESSION_SECRET: 'short' }))).toThrow(/SESSION_SECRET/);
    const { MCP_CONSOLE_TOKEN: _dropped, ...withoutToken } = secrets;
    expect(() => interpolateEnvironment(services.get('mcp-server')!.environment, withoutToken)).toThrow(/MCP_CONSOLE_TOKEN is not set/);
  });

  it('refuses an environment with no Compose rendering, an --out inside the repository, and a bad port, writing nothing', async () => {
    const out = join(temporaryDirectory('smoke-'), 'never');
    await expect(prepareSmoke({ env: 'staging', out, fakePipedreamPort: 8110, fakePipedreamHost: 'host.docker.internal' })).rejects.toThrow(/"staging" has no Compose rendering .*development/);
    await expect(prepareSmoke({ env: 'development', out: join(import.meta.dirname, 'out'), fakePipedreamPort: 8110, fakePipedreamHost: 'host.docker.internal' })).rejects.toThrow(/inside the repository/);
    await expect(prepareSmoke({ env: 'development', out, fakePipedreamPort: 70_000, fakePipedreamHost: 'host.docker.internal' })).rejects.toThrow(/--fake-pipedream-port/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(import.meta.dirname, 'out'))).toBe(false);
  });
});
