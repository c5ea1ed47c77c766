import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePipedream, type FakePipedream } from '../../services/mcp-server/test/fakes/fake-pipedream.ts';
import { createTestDatabase, REDIS_URL } from '../../services/mcp-server/test/helpers/mcp.ts';
import { freePort } from '../helpers/free-port.ts';
import { startBearerProxy, type BearerProxy } from './bearer-proxy.ts';
import { localEnvironment, renderedMcpServerVariables, REPO_ROOT, startServerProcess, type RunningProcess } from './rendered-mcp-server.ts';
import { failedScenarios, NODE_22, readBaseline, requireSuite, runSuite, SPEC_VERSIONS, untestable, warnings, type SuiteRun } from './run-suite.ts';

/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, on Node 22) against the
 * real MCP server started the way its image starts it, with the environment the development
 * rendering gives it. The suite's client sends no credentials, so a pass-through proxy adds the
 * console's bearer token; Host and Origin reach the server as the suite sent them.
 */

const CONSOLE_TOKEN = 'console-token-for-the-conformance-run';
const BASELINE = join(REPO_ROOT, 'test/conformance/expected-failures.yaml');

/**
 * Per specification version, the scenarios whose prerequisites the server has: they must pass,
 * whatever the baseline says, and each makes at least one successful check of its own.
 */
const MUST_PASS = {
  '2025-11-25': ['server-initialize', 'ping', 'tools-list', 'server-sse-polling', 'server-sse-multiple-streams', 'dns-rebinding-protection'],
  '2026-07-28': ['tools-list', 'http-header-validation', 'server-sse-multiple-streams', 'dns-rebinding-protection', 'input-required-result-unsupported-methods'],
} as const;
/** Checks that must pass inside scenarios the baseline lists as failing for other reasons. */
const MUST_PASS_CHECKS = {
  '2025-11-25': {},
  '2026-07-28': {
    'server-stateless': ['sep-2575-server-implements-discover', 'sep-2575-http-server-header-mismatch-400', 'sep-2575-http-server-unsupported-version-400', 'sep-2575-http-server-meta-invalid-400'],
    caching: ['sep-2549-tools-list-caching-hints'],
  },
} as const satisfies Record<string, Record<string, readonly string[]>>;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pipedream: FakePipedream;
const running: Array<{ server: RunningProcess; proxy: BearerProxy }> = [];

/** The rendered server behind its proxy; `change` alters the local environment (a test's own catalog, say). */
async function startRenderedServer(change: (env: Record<string, string>) => void = () => undefined): Promise<string> {
  const port = await freePort();
  const proxy = await startBearerProxy(port, CONSOLE_TOKEN);
  const env = localEnvironment({
    secrets: {
      MCP_TEN_AGENT_TOKEN: 'ten-agent-token-for-the-conformance-run',
      MCP_CONSOLE_TOKEN: CONSOLE_TOKEN,
      PIPEDREAM_CLIENT_ID: pipedream.clientId,
      PIPEDREAM_CLIENT_SECRET: pipedream.clientSecret,
      PIPEDREAM_PROJECT_ID: pipedream.projectId,
      PIPEDREAM_WORKFLOW_TOKEN: 'workflow-token-for-the-conformance-run',
      POSTGRES_PASSWORD: 'unused: the test database replaces the URL',
      REDIS_PASSWORD: 'unused: the test Redis replaces the URL',
    },
    databaseUrl: database.url,
    redisUrl: REDIS_URL,
    port,
    clientPort: proxy.port,
  });
  env['PIPEDREAM_BASE_URL'] = pipedream.url;
  change(env);
  const server = await startServerProcess(NODE_22, env).catch(async (error: unknown) => {
    await proxy.close();
    throw error;
  });
  running.push({ server, proxy });
  return `http://127.0.0.1:${proxy.port}/mcp`;
}

function describeFailures(run: SuiteRun): string {
  const lines = [...run.scenarios].flatMap(([name, checks]) =>
    checks.filter((check) => check.status === 'FAILURE').map((check) => `${name}: ${check.id}: ${check.errorMessage ?? check.description}`),
  );
  return `${lines.join('\n')}\n--- suite output (tail) ---\n${run.output.slice(-4000)}`;
}

beforeAll(async () => {
  requireSuite();
  database = await createTestDatabase();
  pipedream = await startFakePipedream();
}, 60_000);

afterAll(async () => {
  for (const { server, proxy } of running) {
    await server.stop();
    await proxy.close();
  }
  await pipedream?.close();
  await database?.drop();
});

describe('the MCP server as rendered for development, under the official conformance suite', () => {
  it('renders the allowed hosts and origins the DNS-rebinding rules need: each loopback name, and as an origin on its own port', () => {
    const rendered = renderedMcpServerVariables();
    const hosts = String(rendered['MCP_ALLOWED_HOSTS']).split(',');
    const origins = String(rendered['MCP_ALLOWED_ORIGINS']).split(',');
    expect(new Set(hosts).size).toBe(hosts.length);
    expect(new Set(origins).size).toBe(origins.length);
    expect(hosts).toEqual(expect.arrayContaining(['localhost', '127.0.0.1']));
    expect(origins).toEqual(hosts.map((host) => `http://${host}:${rendered['PORT']}`));
  });

  it.each(SPEC_VERSIONS)('passes every %s scenario it has the prerequisites for, and fails only the listed ones', async (version) => {
    const baseline = readBaseline(BASELINE, version);
    const url = await startRenderedServer();
    const run = await runSuite(url, ['--suite', 'all', '--spec-version', version]);
    for (const scenario of MUST_PASS[version]) expect(run.scenarios.has(scenario), `scenario ${scenario} did not run`).toBe(true);
    expect(MUST_PASS[version].filter((scenario) => baseline.server.includes(scenario) || baseline.untestable.includes(scenario))).toEqual([]);
    // Exactly the baseline fails: a new failure is a regression, a listed scenario that passes a stale entry.
    expect(failedScenarios(run), describeFailures(run)).toEqual([...baseline.server, ...baseline.untestable].sort());
    // The untestable ones fail only where the suite could not test; everything else in them passes.
    for (const scenario of baseline.untestable) {
      const checks = run.scenarios.get(scenario) ?? [];
      expect(checks.filter((check) => check.status === 'FAILURE' && !untestable(check)), `${scenario}: failures besides the untestable`).toEqual([]);
      expect(checks.some(untestable), `${scenario}: nothing untestable any more`).toBe(true);
    }
    expect(warnings(run)).toEqual(Object.entries(baseline.warnings).flatMap(([scenario, checks]) => checks.map((check) => `${scenario}: ${check}`)).sort());
    // A scenario that only warns (no session id to test with) has no successful check to show.
    for (const scenario of MUST_PASS[version].filter((name) => baseline.warnings[name] === undefined)) {
      expect(run.scenarios.get(scenario)?.some((check) => check.status === 'SUCCESS'), scenario).toBe(true);
    }
    for (const [scenario, ids] of Object.entries(MUST_PASS_CHECKS[version] as Record<string, readonly string[]>)) {
      const checks = run.scenarios.get(scenario) ?? [];
      for (const id of ids) {
        const statuses = checks.filter((check) => check.id === id).map((check) => check.status);
        expect(statuses.length > 0 && statuses.every((status) => status === 'SUCCESS'), `${scenario}: ${id}: ${statuses.join(', ')}`).toBe(true);
      }
    }
  }, 300_000);

  it('passes the tool scenarios once its catalog has the suite\'s tools it can express', async () => {
    pipedream.setWorkflow('conformance-text', { body: 'This is a simple text response for testing.' });
    pipedream.setWorkflow('conformance-error', { status: 500, body: { error: 'intentional' } });
    const directory = mkdtempSync(join(tmpdir(), 'mcp-conformance-catalog-'));
    try {
      const catalog = join(directory, 'tools.json');
      const workflow = (name: string, path: string, inputSchema: unknown) => ({ name, kind: 'workflow', title: name, description: `conformance tool ${name}`, url: `${pipedream.url}/workflows/${path}`, inputSchema });
      writeFileSync(
        catalog,
        JSON.stringify({
          tools: [
            workflow('test_simple_text', 'conformance-text', { type: 'object', properties: {} }),
            workflow('test_error_handling', 'conformance-error', { type: 'object', properties: {} }),
            // The suite's own schema: 2020-12 with $defs and an $anchor, composition and conditionals.
            workflow('json_schema_2020_12_tool', 'conformance-text', {
              $schema: 'https://json-schema.org/draft/2020-12/schema',
              type: 'object',
              $defs: { address: { $anchor: 'addressDef', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
              properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' }, contactMethod: { type: 'string', enum: ['phone', 'email'] }, phone: { type: 'string' }, email: { type: 'string' } },
              allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
              if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
              then: { required: ['phone'] },
              else: { required: ['email'] },
              additionalProperties: false,
            }),
          ],
        }),
      );
      const url = await startRenderedServer((env) => (env['TOOL_CATALOG'] = catalog));
      for (const version of SPEC_VERSIONS) {
        for (const scenario of ['tools-call-simple-text', 'tools-call-error', 'json-schema-2020-12']) {
          const run = await runSuite(url, ['--scenario', scenario, '--spec-version', version]);
          expect(failedScenarios(run), `${version}\n${describeFailures(run)}`).toEqual([]);
          expect(run.scenarios.get(scenario)?.some((check) => check.status === 'SUCCESS'), `${version} ${scenario}`).toBe(true);
        }
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 180_000);

  it('fails the DNS-rebinding scenario when the server is left without its own origins, as the stack used to render it', async () => {
    const url = await startRenderedServer((env) => (env['MCP_ALLOWED_ORIGINS'] = ''));
    const run = await runSuite(url, ['--scenario', 'dns-rebinding-protection']);
    const checks = run.scenarios.get('dns-rebinding-protection') ?? [];
    expect(checks.find((check) => check.id === 'localhost-host-valid-accepted')?.status).toBe('FAILURE');
    expect(checks.find((check) => check.id === 'localhost-host-rebinding-rejected')?.status).toBe('SUCCESS');
  }, 60_000);
});
