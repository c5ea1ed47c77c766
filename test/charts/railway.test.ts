import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RailwayGraph, RailwayProgram } from 'railway/iac';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderRailway } from '../../charts/railway/index.ts';
import { toJson } from '../../charts/serialize.ts';
import { instancesOf, isManagedDatabase, SecretRef, servicesOf, StackService } from '../../constructs/index.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { synth } from '../../cli/synth.ts';
import { checkRailwayGraph, evaluateRailwayEnvironment, loadRailwayProgram } from '../../charts/railway/railway-evaluation.ts';
import { testEnvironment } from '../helpers/model.ts';
import { fixture, render, temporaryDirectory } from '../helpers/synth.ts';

let root: string;
let program: RailwayProgram;
const graphs = new Map<string, RailwayGraph>();

function service(environment: string, name: string): any {
  const node = graphs.get(environment)?.resources.find((resource) => resource.name === name);
  if (!node) throw new Error(`no resource ${name} in ${environment}`);
  return node;
}

beforeAll(async () => {
  root = temporaryDirectory();
  await synth({
    envFiles: ['environments/development.ts', 'environments/staging.ts', 'environments/production.ts', fixture('database-consumer')],
    outDir: root,
    log: () => {},
  });
  program = await loadRailwayProgram(join(root, '.railway/railway.ts'));
  for (const environment of ['staging', 'production', 'consumer']) graphs.set(environment, await evaluateRailwayEnvironment(program, environment));
});

describe('railway target', () => {
  it('renders one .railway/railway.ts importing only railway/iac, and a graph per Railway environment', () => {
    const source = readFileSync(join(root, '.railway/railway.ts'), 'utf8');
    const imports = [...source.matchAll(/^import .* from "([^"]+)";$/gm)].map((match) => match[1]);
    expect(new Set(imports)).toEqual(new Set(['railway/iac']));
    expect(source).toContain('ctx.environment');
    expect(readFileSync(join(root, 'dist/railway/staging.json'), 'utf8')).toBe(toJson(graphs.get('staging')));
    expect(readFileSync(join(root, 'dist/railway/production.json'), 'utf8')).toBe(toJson(graphs.get('production')));
    expect(readFileSync(join(root, 'dist/railway/consumer.json'), 'utf8')).toBe(toJson(graphs.get('consumer')));
  });

  it('evaluates, with the real SDK, to graphs that pass validateGraph() and our reference checks', () => {
    for (const [environment, graph] of graphs) {
      expect(graph.environments).toEqual([{ name: environment }]);
      expect(checkRailwayGraph(graph), environment).toEqual([]);
      expect(graph.edges.length).toBeGreaterThan(0);
    }
  });

  it('fails clearly when asked for an environment it does not define', async () => {
    await expect(evaluateRailwayEnvironment(program, 'development')).rejects.toThrow(
      'defines no Railway environment "development"; it defines staging, production, consumer',
    );
  });

  it('uses Railway-managed Postgres and Redis, referenced through their outputs', () => {
    expect(service('consumer', 'postgres')).toMatchObject({ type: 'database', engine: 'postgres' });
    expect(service('consumer', 'redis')).toMatchObject({ type: 'database', engine: 'redis' });
    const api = service('consumer', 'api');
    expect(api.variables.DATABASE_URL).toEqual({ type: 'reference', resource: 'database.postgres', output: 'DATABASE_URL' });
    expect(api.variables.REDIS_URL).toEqual({ type: 'reference', resource: 'database.redis', output: 'REDIS_URL' });
    expect(api.variables.API_TOKEN).toEqual({ type: 'sharedReference', name: 'API_TOKEN' });
    expect(api.variables.UPSTREAM).toEqual({ type: 'literal', value: 'https://hooks.example.com/?token=${{shared.UPSTREAM_TOKEN}}' });
    expect(api.variables.PUBLIC_URL).toEqual({ type: 'literal', value: 'https://${{RAILWAY_PUBLIC_DOMAIN}}' });
  });

  it('builds repository services from GitHub with root directory, Dockerfile and watch patterns', () => {
    const api = service('consumer', 'api');
    expect(api.source).toEqual({ type: 'github', repo: 'acme/voice-agent', branch: 'main', rootDirectory: 'test/fixtures/build-context/api' });
    expect(api.build).toEqual({ builder: 'DOCKERFILE', dockerfilePath: 'Dockerfile', watchPatterns: ['/test/fixtures/build-context/api/**'] });
    expect(api.deploy).toMatchObject({ numReplicas: 2, healthcheckPath: '/health' });
    expect(api.networking.customDomains).toEqual({ 'api.railway.consumer.example.com': { port: 3000 } });
  });

  it('attaches a Railway volume to a service that keeps data', () => {
    const graph = graphs.get('consumer') as RailwayGraph;
    expect(service('consumer', 'uploads-files')).toEqual({
      address: 'volume.uploads-files',
      type: 'volume',
      name: 'uploads-files',
      config: { sizeMB: 5120 },
    });
    expect(service('consumer', 'uploads').volumeAttachments).toEqual({
      'uploads-files': { volume: 'volume.uploads-files', mountPath: '/srv/files', volumeConfig: { sizeMB: 5120 } },
    });
    expect(graph.edges).toContainEqual({ from: 'service.uploads', to: 'volume.uploads-files', type: 'mount', key: '/srv/files' });
  });

  it('wires Jitsi over Railway private networking, with health checks and the public domain', () => {
    const web = service('staging', 'jitsi-web');
    expect(web.source).toEqual({ type: 'image', image: 'ghcr.io/jitsi/web:stable-11146-2' });
    expect(web.variables.XMPP_BOSH_URL_BASE.value).toBe('http://${{jitsi-prosody.RAILWAY_PRIVATE_DOMAIN}}:5280');
    expect(web.variables.PORT.value).toBe('8000');
    expect(web.deploy.healthcheckPath).toBe('/');
    // Railway has hostnames of its own, apart from the Kubernetes Ingress's meet.staging.voice.example.com.
    expect(web.networking.customDomains).toEqual({ 'jitsi-web.railway.staging.voice.example.com': { port: 8000 } });
    const prosody = service('staging', 'jitsi-prosody');
    expect(prosody.deploy.healthcheckPath).toBe('/http-bind');
    expect(prosody.variables.JWT_APP_SECRET).toEqual({ type: 'sharedReference', name: 'JWT_APP_SECRET' });
    expect(prosody.variables.PUBLIC_URL.value).toBe('https://${{jitsi-web.RAILWAY_PUBLIC_DOMAIN}}');
    // The bridge's host reaches prosody through a TCP proxy.
    expect(prosody.networking.tcpProxies).toEqual({ '5222': {} });
  });

  it('keeps the video bridge off Railway, which has no public UDP', () => {
    for (const environment of ['staging', 'production']) {
      expect(graphs.get(environment)?.resources.some((resource) => resource.name === 'jitsi-jvb')).toBe(false);
    }
  });

  it('health-gates the TEN agent on its API, now that no playground owns PORT', () => {
    const agent = service('staging', 'ten-agent-0');
    expect(agent.variables.PORT.value).toBe('8080');
    expect(agent.variables.SERVER_PORT.value).toBe('8080');
    expect(agent.deploy.healthcheckPath).toBe('/health');
  });

  it('reports references to undeclared resources and variables', () => {
    const graph = structuredClone(graphs.get('staging')) as RailwayGraph;
    const web = graph.resources.find((resource) => resource.name === 'jitsi-web') as any;
    web.variables.BROKEN = { type: 'literal', value: 'http://${{jitsi-proxy.RAILWAY_PRIVATE_DOMAIN}}' };
    web.variables.NO_DOMAIN = { type: 'literal', value: '${{jitsi-jicofo.RAILWAY_PUBLIC_DOMAIN}}' };
    web.variables.DANGLING = { type: 'reference', resource: 'database.mysql', output: 'MYSQL_URL' };
    graph.edges.push({ from: 'service.jitsi-web', to: 'database.mysql', type: 'variable', key: 'DANGLING' });
    const problems = checkRailwayGraph(graph);
    expect(problems).toContain('railway staging: Edge references missing target: database.mysql');
    expect(problems).toContain('railway staging: jitsi-web.BROKEN refers to "jitsi-proxy", which is not declared in this environment');
    expect(problems).toContain('railway staging: jitsi-web.NO_DOMAIN refers to jitsi-jicofo.RAILWAY_PUBLIC_DOMAIN, which jitsi-jicofo does not define');
    expect(problems).toContain('railway staging: jitsi-web.DANGLING refers to "database.mysql", which is not declared in this environment');
  });

  it('refuses a file Railway could not load: non-erasable TypeScript or foreign imports', async () => {
    const source = readFileSync(join(root, '.railway/railway.ts'), 'utf8');
    const withEnum = join(root, 'enum.ts');
    writeFileSync(withEnum, `${source}\nenum Tier { Free }\n`);
    await expect(loadRailwayProgram(withEnum)).rejects.toThrow(/not erasable TypeScript.*enum/);
    const withImport = join(root, 'import.ts');
    writeFileSync(withImport, `import { readFileSync } from "node:fs";\n${source}`);
    await expect(loadRailwayProgram(withImport)).rejects.toThrow('must import only railway/iac, but imports node:fs');
  });

  it('gives resources whose names map to one identifier distinct names in the file', async () => {
    const environment = testEnvironment({ targets: ['railway'], railway: { project: 'voice-agent' } });
    new StackService(environment, 'api-2', { image: 'nginx:1.27.3-alpine' });
    new StackService(environment, 'api2', { image: 'nginx:1.27.3-alpine' });
    const source = renderRailway([environment]).files.get('.railway/railway.ts') ?? '';
    expect(source).toContain('const api2Service = service("api-2"');
    expect(source).toContain('const api2Service2 = service("api2"');
    const file = join(temporaryDirectory(), 'railway.ts');
    writeFileSync(file, source);
    const graph = await evaluateRailwayEnvironment(await loadRailwayProgram(file), 'test');
    expect(graph.resources.map((resource) => resource.name)).toEqual(['api-2', 'api2']);
  });

  it('warns about what it had to expose or cannot gate', async () => {
    const { output } = await render(['environments/staging.ts', fixture('database-consumer')]);
    const warnings = output.warnings.map((warning) => `${warning.environment}: ${warning.message}`);
    expect(warnings).toContain(
      'staging: railway: port 5222 of "jitsi-prosody" gets a public TCP proxy so "jitsi-jvb" can reach it from off Railway; it is reachable from the internet, protected only by its own authentication',
    );
    expect(warnings).toContain(
      'consumer: railway: Railway mounts the volume of "uploads" at /srv/files owned by root; an image that runs as another user needs RAILWAY_RUN_UID=0 to write there',
    );
  });

  it('builds the MCP server from GitHub at the repository root and lets callers reach it by its private name', () => {
    const mcp = service('staging', 'mcp-server');
    expect(mcp.source).toEqual({ type: 'github', repo: 'acme/voice-agent', branch: 'main' });
    expect(mcp.variables.MCP_ALLOWED_HOSTS.value).toBe('${{RAILWAY_PRIVATE_DOMAIN}},mcp-server,localhost,127.0.0.1,[::1]');
    expect(mcp.variables.MCP_ALLOWED_ORIGINS.value).toBe(
      'http://${{RAILWAY_PRIVATE_DOMAIN}}:8080,http://mcp-server:8080,http://localhost:8080,http://127.0.0.1:8080,http://[::1]:8080',
    );
    expect(service('production', 'mcp-server').deploy.numReplicas).toBe(2);
    expect(service('staging', 'ten-agent-0').variables.MCP_SERVER_URL.value).toBe(
      'http://${{mcp-server.RAILWAY_PRIVATE_DOMAIN}}:8080/sse/${{shared.MCP_TEN_AGENT_TOKEN}}',
    );
  });

  it('builds the console from GitHub at the repository root, health-gated, on its own Railway domain', () => {
    const frontend = service('staging', 'frontend');
    expect(frontend.source).toEqual({ type: 'github', repo: 'acme/voice-agent', branch: 'main' });
    expect(frontend.deploy).toMatchObject({ healthcheckPath: '/api/health', numReplicas: 1 });
    expect(frontend.variables.PORT.value).toBe('3000');
    // Apart from the Kubernetes Ingress's console.staging.voice.example.com.
    expect(frontend.networking.customDomains).toEqual({ 'frontend.railway.staging.voice.example.com': { port: 3000 } });
    expect(service('production', 'frontend').deploy.numReplicas).toBe(2);
  });

  it('points the console at the private MCP server and agent bridge and at public URLs for itself and Jitsi', () => {
    for (const environment of ['staging', 'production']) {
      expect(service(environment, 'frontend').variables).toMatchObject({
        MCP_SERVER_URL: { type: 'literal', value: 'http://${{mcp-server.RAILWAY_PRIVATE_DOMAIN}}:8080/mcp' },
        AGENT_BRIDGE_URL: { type: 'literal', value: 'http://${{jitsi-agent-bridge.RAILWAY_PRIVATE_DOMAIN}}:8090' },
        JITSI_PUBLIC_URL: { type: 'literal', value: 'https://${{jitsi-web.RAILWAY_PUBLIC_DOMAIN}}' },
        PUBLIC_URL: { type: 'literal', value: 'https://${{RAILWAY_PUBLIC_DOMAIN}}' },
        DATABASE_URL: { type: 'reference', resource: 'database.postgres', output: 'DATABASE_URL' },
        REDIS_URL: { type: 'reference', resource: 'database.redis', output: 'REDIS_URL' },
      });
    }
  });

  it('gives every service its secrets only as shared variables, named as in Doppler', async () => {
    const { environments } = await render(['environments/staging.ts', 'environments/production.ts']);
    let checked = 0;
    for (const environment of environments) {
      const onRailway = servicesOf(environment).filter((candidate) => !isManagedDatabase(candidate) && !environment.settings.railway?.offRailway.includes(candidate.name));
      // Each replica addressed on its own is a Railway service of its own (ten-agent-0, ten-agent-1).
      for (const { service: stackService, name } of onRailway.flatMap(instancesOf)) {
        for (const [variable, value] of Object.entries(stackService.env)) {
          if (!(value instanceof SecretRef)) continue;
          expect(service(environment.name, name).variables[variable], `${environment.name}/${name}.${variable}`).toEqual({ type: 'sharedReference', name: value.name });
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('redeploys a built service only when one of its build paths changes: a file by name, a folder by everything in it', async () => {
    const { environments } = await render(['environments/staging.ts', fixture('database-consumer')]);
    let checked = 0;
    for (const environment of environments) {
      for (const { service: stackService, name } of servicesOf(environment).flatMap(instancesOf)) {
        const build = stackService.data.build;
        if (build === undefined) continue;
        const patterns = build.paths.map((path) => (existsSync(join(REPO_ROOT, path)) && statSync(join(REPO_ROOT, path)).isFile() ? `/${path}` : `/${path}/**`));
        expect(service(environment.name, name).build, `${environment.name}/${name}`).toEqual({
          builder: 'DOCKERFILE',
          dockerfilePath: build.dockerfile,
          watchPatterns: patterns,
        });
        checked += 1;
      }
    }
    // staging's MCP server, console, TEN agent and agent bridge, the consumer fixture's API.
    expect(checked).toBe(5);
    expect(service('staging', 'mcp-server').build.watchPatterns).toEqual(expect.arrayContaining(['/package-lock.json', '/services/mcp-server/src/**']));
  });

  it('lets the console embed Jitsi, with public URLs referring both ways without a problem', () => {
    for (const environment of ['staging', 'production']) {
      expect(service(environment, 'jitsi-web').variables.CSP_HEADER).toEqual({
        type: 'literal',
        value: "frame-ancestors 'self' https://${{frontend.RAILWAY_PUBLIC_DOMAIN}}",
      });
      const graph = graphs.get(environment) as RailwayGraph;
      expect(graph.edges).toContainEqual({ from: 'service.jitsi-web', to: 'service.frontend', type: 'variable', key: 'CSP_HEADER' });
      expect(graph.edges).toContainEqual({ from: 'service.frontend', to: 'service.jitsi-web', type: 'variable', key: 'JITSI_PUBLIC_URL' });
      expect(checkRailwayGraph(graph), environment).toEqual([]);
    }
  });
});
