import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { posix } from 'node:path';
import { composeFilePath } from '../../charts/compose/index.ts';
import { voiceOnlySecrets } from '../../charts/compose-file/compose-file.ts';
import { validateComposeDocument } from '../../charts/compose-file/compose-schema.ts';
import { MIN_COMPOSE_VERSION } from '../../charts/compose-file/compose-version.ts';
import { instancesOf, SecretRef, servicesOf, type StackEnvironment } from '../../constructs/index.ts';
import { fixture, render } from '../helpers/synth.ts';

let files: Map<string, string>;
let environments: StackEnvironment[];
let development: any;
let consumer: any;

beforeAll(async () => {
  const rendered = await render(['environments/development.ts', 'environments/staging.ts', 'environments/production.ts', fixture('database-consumer')]);
  const { output } = rendered;
  environments = rendered.environments;
  files = output.files;
  development = parse(files.get('dist/compose/development/compose.yaml') ?? '');
  consumer = parse(files.get('dist/compose/consumer/compose.yaml') ?? '');
});

describe('compose target', () => {
  it('renders a Compose file for each environment that asks for one, and the off-Railway hosts', () => {
    const composeFiles = [...files.keys()].filter((path) => path.endsWith('compose.yaml')).sort();
    expect(composeFiles).toEqual([
      'dist/compose/consumer/compose.yaml',
      'dist/compose/development/compose.yaml',
      'dist/railway/production-media-host/compose.yaml',
      'dist/railway/staging-media-host/compose.yaml',
    ]);
  });

  it('validates every file against the Compose Specification schema', () => {
    for (const [path, text] of files) {
      if (path.endsWith('compose.yaml')) expect(validateComposeDocument(path, parse(text)), path).toEqual([]);
    }
  });

  it.each<[string, (document: any) => void]>([
    ['an unknown service key', (document) => (document.services['jitsi-web'].unknown_key = true)],
    ['an unknown health check key', (document) => (document.services['jitsi-web'].healthcheck.every = '10s')],
    ['a malformed depends_on condition', (document) => (document.services['jitsi-web'].depends_on['jitsi-prosody'].condition = 'whenever')],
    ['an unknown tmpfs option', (document) => (document.services.postgres.volumes[1].tmpfs.sizes = '1m')],
  ])('has a schema check that catches %s', (_, breakIt) => {
    const broken = structuredClone(development);
    breakIt(broken);
    const problems = validateComposeDocument('broken.yaml', broken);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^broken\.yaml: \/services\//);
  });

  it('runs the whole stack with exec health checks and health-gated start order', () => {
    expect(development.name).toBe('voice-agent-development');
    // With the observability profile's Prometheus and Grafana.
    expect(Object.keys(development.services).sort()).toEqual(['frontend', 'grafana', 'jitsi-agent-bridge', 'jitsi-jicofo', 'jitsi-jvb', 'jitsi-prosody', 'jitsi-web', 'mcp-server', 'postgres', 'prometheus', 'redis', 'ten-agent-0']);
    expect(development.services['jitsi-web'].depends_on).toEqual({ 'jitsi-prosody': { condition: 'service_healthy' } });
    expect(development.services['jitsi-prosody'].healthcheck).toEqual({
      test: ['CMD', '/usr/local/bin/healthcheck.sh'],
      interval: '10s',
      timeout: '5s',
      retries: 6,
      start_period: '30s',
    });
    expect(development.services['postgres'].healthcheck.test.slice(0, 2)).toEqual(['CMD', 'pg_isready']);
    expect(consumer.services.api.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
  });

  it('publishes only public ports', () => {
    const published = Object.fromEntries(Object.entries<any>(development.services).map(([name, service]) => [name, service.ports ?? []]));
    expect(published).toEqual({
      frontend: ['3000:3000'],
      // On loopback only: the local Prometheus and Grafana are for this machine.
      grafana: ['127.0.0.1:3001:3000'],
      prometheus: ['127.0.0.1:9090:9090'],
      'jitsi-agent-bridge': [],
      'jitsi-jicofo': [],
      'jitsi-jvb': ['10000:10000/udp'],
      'jitsi-prosody': [],
      'jitsi-web': ['8000:8000'],
      'mcp-server': [],
      postgres: [],
      redis: [],
      'ten-agent-0': [],
    });
  });

  it('takes secrets from the shell with a clear error when one is missing, never a value', () => {
    const prosody = development.services['jitsi-prosody'].environment;
    expect(prosody.JWT_APP_SECRET).toMatch(/^\$\{JWT_APP_SECRET:\?JWT_APP_SECRET is not set: .*doppler run.*\}$/);
    expect(consumer.services.api.environment.DATABASE_URL).toBe(
      'postgresql://voice_agent:${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is not set: copy .env.example beside this file to .env and fill it in, or run docker compose through doppler run --}@postgres:5432/voice_agent',
    );
  });

  it('escapes dollar signs in literals so Compose does not interpolate them', () => {
    expect(consumer.services.api.environment.PRICE_NOTE).toBe('costs $$5 and $$(not a variable)');
    expect(development.services.redis.command).toBeUndefined();
    expect(development.services.redis.entrypoint).toEqual(['sh', '-c', 'exec redis-server --appendonly yes --requirepass "$$REDIS_PASSWORD"']);
  });

  it('mounts named volumes for data and tmpfs for writable directories of read-only containers', () => {
    expect(development.volumes).toEqual({ 'postgres-data': {}, 'prometheus-data': {}, 'redis-data': {} });
    const postgres = development.services.postgres;
    expect(postgres.read_only).toBe(true);
    expect(postgres.volumes).toEqual([
      { type: 'volume', source: 'postgres-data', target: '/var/lib/postgresql' },
      { type: 'tmpfs', target: '/var/run/postgresql', tmpfs: { mode: 0o1777 } },
      { type: 'tmpfs', target: '/tmp', tmpfs: { mode: 0o1777 } },
    ]);
    expect(consumer.volumes).toEqual({ 'postgres-data': {}, 'redis-data': {}, 'uploads-files': {} });
    expect(development.services['ten-agent-0'].read_only).toBe(false);
    expect(development.services['ten-agent-0'].platform).toBe('linux/amd64');
  });

  it('builds repository services with develop.watch, relative to the Compose file', () => {
    expect(consumer.services.api.build).toEqual({ context: '../../../test/fixtures/build-context/api', dockerfile: 'Dockerfile' });
    expect(consumer.services.api.develop.watch[0]).toMatchObject({ action: 'rebuild', path: '../../../test/fixtures/build-context/api' });
  });

  it('records provenance in x- keys, which Compose ignores', () => {
    expect(development['x-voice-agent']).toMatchObject({
      'generated-by': 'npm run synth',
      environment: 'development',
      source: 'environments/development.ts',
    });
    expect(development['x-voice-agent'].run).toBe(
      'docker compose -f dist/compose/development/compose.yaml up --watch (secrets from .env beside this file, see .env.example; or through doppler run --project voice-agent --config dev --); add --profile voice for the voice agent, --profile observability for Prometheus and Grafana',
    );
    expect(development['x-voice-agent']['needs-compose']).toBe(`Docker Compose ${MIN_COMPOSE_VERSION} or newer`);
    expect(development.services['jitsi-web']['x-voice-agent'].construct).toBe('development/voice-agent/jitsi/jitsi-web');
  });

  it('renders the video bridge for a UDP host that reaches prosody through a Railway TCP proxy', () => {
    const host = parse(files.get('dist/railway/staging-media-host/compose.yaml') ?? '');
    expect(Object.keys(host.services)).toEqual(['jitsi-jvb']);
    const env = host.services['jitsi-jvb'].environment;
    expect(env.XMPP_SERVER).toMatch(/^\$\{JITSI_PROSODY_TCP_5222_DOMAIN:\?.*railway variables --service jitsi-prosody --environment staging/);
    expect(env.XMPP_PORT).toMatch(/^\$\{JITSI_PROSODY_TCP_5222_PORT:\?/);
    expect(host.services['jitsi-jvb'].ports).toEqual(['10000:10000/udp']);
    expect(host.services['jitsi-jvb'].depends_on).toBeUndefined();
  });

  it('builds the MCP server from the repository root and lets the agent reach it by name', () => {
    const mcp = development.services['mcp-server'];
    expect(mcp.build).toEqual({ context: '../../..', dockerfile: 'services/mcp-server/Dockerfile' });
    // On Compose the service's host is its name: listed once.
    expect(mcp.environment.MCP_ALLOWED_HOSTS).toBe('mcp-server,localhost,127.0.0.1,[::1]');
    expect(mcp.environment.MCP_ALLOWED_ORIGINS).toBe('http://mcp-server:8080,http://localhost:8080,http://127.0.0.1:8080,http://[::1]:8080');
    expect(development.services['ten-agent-0'].depends_on).toEqual({ 'mcp-server': { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    expect(development.services['ten-agent-0'].environment.MCP_SERVER_URL).toMatch(/^http:\/\/mcp-server:8080\/sse\/\$\{MCP_TEN_AGENT_TOKEN:\?/);
  });

  it('runs the console on http://localhost:3000, reaching the MCP server and the agent bridge by name and Jitsi at its local URL', () => {
    const frontend = development.services.frontend;
    expect(frontend.ports).toEqual(['3000:3000']);
    expect(frontend.environment).toMatchObject({
      PUBLIC_URL: 'http://localhost:3000',
      JITSI_PUBLIC_URL: 'http://localhost:8000',
      MCP_SERVER_URL: 'http://mcp-server:8080/mcp',
      AGENT_BRIDGE_URL: 'http://jitsi-agent-bridge:8090',
      HOSTNAME: '::',
      PORT: '3000',
    });
    // Both public URLs point at the host ports Compose publishes.
    expect(development.services['jitsi-web'].ports).toEqual([`${new URL(frontend.environment.JITSI_PUBLIC_URL).port}:8000`]);
    expect(frontend.ports).toEqual([`${new URL(frontend.environment.PUBLIC_URL).port}:3000`]);
    expect(frontend.depends_on).toEqual({
      // The bridge is in the voice profile: the console waits for it only when it runs.
      'jitsi-agent-bridge': { condition: 'service_healthy', required: false },
      'mcp-server': { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(frontend.healthcheck.test).toEqual(['CMD', 'node', '-e', "fetch('http://127.0.0.1:3000/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]);
    expect(frontend.read_only).toBe(true);
    expect(frontend.volumes.map((volume: { type: string; target: string }) => `${volume.type} ${volume.target}`)).toEqual(['tmpfs /tmp', 'tmpfs /app/services/frontend/.next/cache']);
  });

  it('gives every service its secrets only as shell variables named as in Doppler: required, but for those only the voice profile reads', () => {
    let checked = 0;
    for (const environment of environments.filter((candidate) => candidate.renders('compose'))) {
      const document = parse(files.get(composeFilePath(environment.name)) ?? '');
      const voiceOnly = voiceOnlySecrets(servicesOf(environment));
      for (const { service, name } of servicesOf(environment).flatMap(instancesOf)) {
        for (const [variable, value] of Object.entries(service.env)) {
          if (!(value instanceof SecretRef)) continue;
          expect(document.services[name].environment[variable], `${environment.name}/${name}.${variable}`).toMatch(
            voiceOnly.has(value.name)
              ? new RegExp(`^\\$\\{${value.name}:-\\}$`)
              : new RegExp(`^\\$\\{${value.name}:\\?${value.name} is not set: copy \\.env\\.example beside this file to \\.env and fill it in, or run docker compose through doppler run --\\}$`),
          );
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
    // Exactly the vendor keys the TEN agent alone reads; the bridge's secrets are the console's too.
    expect([...voiceOnlySecrets(servicesOf(environments.find((environment) => environment.name === 'development')!))].sort()).toEqual(['DEEPGRAM_API_KEY', 'ELEVENLABS_TTS_KEY', 'OPENAI_API_KEY']);
    expect(development.services.frontend.environment.DATABASE_URL).toMatch(/^postgresql:\/\/voice_agent:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432\/voice_agent$/);
  });

  it('lets the console on localhost:3000 embed Jitsi', () => {
    expect(development.services['jitsi-web'].environment.CSP_HEADER).toBe("frame-ancestors 'self' http://localhost:3000");
  });

  it('builds each built service from its context, rebuilding on exactly its build paths', () => {
    let checked = 0;
    for (const environment of environments.filter((candidate) => candidate.renders('compose'))) {
      const path = composeFilePath(environment.name);
      const document = parse(files.get(path) ?? '');
      const relative = (to: string) => posix.relative(posix.dirname(path), to) || '.';
      for (const { service, name } of servicesOf(environment).flatMap(instancesOf)) {
        const build = service.data.build;
        if (build === undefined) continue;
        const rendered = document.services[name];
        expect(rendered.image).toBe(`voice-agent/${service.name}:dev`);
        expect(rendered.build).toEqual({ context: relative(build.context), dockerfile: build.dockerfile });
        expect(rendered.develop.watch.map((rule: { action: string; path: string }) => `${rule.action} ${rule.path}`)).toEqual(build.paths.map((buildPath) => `rebuild ${relative(buildPath)}`));
        checked += 1;
      }
    }
    // development's MCP server, console, TEN agent and agent bridge, the consumer fixture's API.
    expect(checked).toBe(5);
    expect(development.services.frontend.build).toEqual({ context: '../../..', dockerfile: 'services/frontend/Dockerfile' });
  });
});
