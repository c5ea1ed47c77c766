import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { environmentSecrets, secretNamesOf } from '../../charts/doppler/index.ts';
import { CliError } from '../../cli/cli-error.ts';
import { secretsSyncCommand, syncSecrets } from '../../cli/secrets.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { startFakeDoppler, type FakeDoppler } from '../fakes/fake-doppler.ts';
import { buildEnvironments, fixture } from '../helpers/synth.ts';

const STAGING_TOKEN = 'dp.st.stg.FakeServiceTokenForStaging0123456789';
const PRODUCTION_TOKEN = 'dp.st.prd.FakeServiceTokenForProduction9876543';
const SYNC_TOKEN = 'dp.st.stg_railway.FakeServiceTokenForSync24680';
/** A value no report could contain by accident, and a length that must not be printed either. */
const LONG_VALUE_LENGTH = 4711;

let doppler: FakeDoppler;
/** Every secret staging needs, each with a recognisable value. */
let stagingValues: Record<string, string>;
let stagingNeeds: Record<string, Record<string, string[]>>;

/** A planted value for a secret: recognisable in any output. */
function plantedValue(name: string): string {
  return name === 'OPENAI_API_KEY' ? `sk-planted-${'x'.repeat(LONG_VALUE_LENGTH - 'sk-planted-'.length)}` : `planted-value-of-${name.toLowerCase()}-Zq8`;
}

beforeAll(async () => {
  const [, staging] = await buildEnvironments(['environments/development.ts', 'environments/staging.ts']);
  if (staging === undefined) throw new Error('no staging environment');
  stagingNeeds = environmentSecrets(staging).services;
  stagingValues = Object.fromEntries(secretNamesOf(environmentSecrets(staging)).map((name) => [name, plantedValue(name)]));
  doppler = await startFakeDoppler([
    { project: 'voice-agent', config: 'stg', token: STAGING_TOKEN, secrets: {} },
    { project: 'voice-agent', config: 'prd', token: PRODUCTION_TOKEN, secrets: {} },
    { project: 'voice-agent', config: 'stg_railway', token: SYNC_TOKEN, secrets: {} },
  ]);
});

afterAll(async () => {
  await doppler.close();
});

beforeEach(() => {
  doppler.requests.length = 0;
  for (const config of doppler.configs) config.secrets = {};
  const staging = doppler.configs[0];
  if (staging !== undefined) staging.secrets = { ...stagingValues, UNRELATED_SECRET: 'planted-unrelated-value-Zq8' };
});

/**
 * Runs the CLI as the npm scripts do, without blocking this process: the fake Doppler server
 * answers from the test's own event loop. DOPPLER_* variables come only from `env`.
 */
function runSecrets(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('DOPPLER_') && !name.startsWith('RAILWAY_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/index.ts', 'secrets', '--', ...args], {
      cwd: REPO_ROOT,
      env: { ...inherited, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function stagingCheck(extra: string[] = [], env: Record<string, string> = { DOPPLER_TOKEN: STAGING_TOKEN }) {
  return runSecrets(['check', '--env', 'staging', ...extra], { DOPPLER_API_URL: doppler.url, ...env });
}

/** The report lines under a service's heading, up to the next heading. */
function section(stdout: string, service: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => new RegExp(`^  [✓✗] ${service} `).test(line));
  if (start < 0) throw new Error(`no section for ${service} in:\n${stdout}`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => !line.startsWith('      '));
  return [lines[start] as string, ...rest.slice(0, end < 0 ? rest.length : end)];
}

describe('secrets check --env <name>', () => {
  it('exits 0 when every needed secret is set, asking Doppler for the environment\'s config with the token as a bearer token', async () => {
    const result = await stagingCheck();
    expect(result.status, result.stderr).toBe(0);
    const needed = Object.keys(stagingValues).length;
    expect(needed).toBeGreaterThan(15);
    expect(result.stdout).toContain('secrets check: environment "staging", Doppler project "voice-agent", config "stg"');
    expect(result.stdout).toContain(`all ${needed} secrets are set in voice-agent/stg.`);
    expect(result.stdout).not.toContain('✗');
    expect(section(result.stdout, 'frontend')[0]).toMatch(/✓ frontend\s+7 of 7 set$/);
    expect(result.stderr).toBe('');
    expect(doppler.requests).toEqual([
      {
        method: 'GET',
        path: '/v3/configs/config/secrets/download',
        query: { project: 'voice-agent', config: 'stg', format: 'json' },
        authorization: `Bearer ${STAGING_TOKEN}`,
      },
    ]);
  });

  it('reports missing and empty secrets under each service that needs them, and exits 1', async () => {
    const secrets = doppler.configs[0]!.secrets;
    delete secrets['OIDC_CLIENT_SECRET'];
    secrets['JWT_APP_SECRET'] = '';
    const result = await stagingCheck();
    expect(result.status, result.stderr).toBe(1);
    const frontend = section(result.stdout, 'frontend');
    expect(frontend[0]).toMatch(/✗ frontend\s+5 of 7 set$/);
    expect(frontend.slice(1).map((line) => line.trim().split(/\s+/).slice(0, 2))).toEqual([
      ['missing', 'OIDC_CLIENT_SECRET'],
      ['empty', 'JWT_APP_SECRET'],
    ]);
    expect(frontend[1]).toContain('(kubernetes, railway)');
    // JWT_APP_SECRET is read by prosody and the agent bridge as well, and reported there too.
    expect(section(result.stdout, 'jitsi-prosody').slice(1).map((line) => line.trim().split(/\s+/).slice(0, 2))).toEqual([['empty', 'JWT_APP_SECRET']]);
    expect(section(result.stdout, 'jitsi-agent-bridge').slice(1).map((line) => line.trim().split(/\s+/).slice(0, 2))).toEqual([['empty', 'JWT_APP_SECRET']]);
    expect(section(result.stdout, 'ten-agent')).toHaveLength(1);
    expect(section(result.stdout, 'ten-agent')[0]).toContain('✓');
    expect(result.stdout).toContain(
      `2 of ${Object.keys(stagingValues).length} secrets are not set in voice-agent/stg (missing: OIDC_CLIENT_SECRET; empty: JWT_APP_SECRET).`,
    );
  });

  it('--json gives names by state and service', async () => {
    const secrets = doppler.configs[0]!.secrets;
    delete secrets['DEEPGRAM_API_KEY'];
    delete secrets['POSTGRES_PASSWORD'];
    secrets['MCP_CONSOLE_TOKEN'] = '';
    const result = await stagingCheck(['--json']);
    expect(result.status, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      missing: string[];
      empty: string[];
      needed: string[];
      doppler: { project: string; config: string };
      services: Record<string, { set: string[]; missing: string[]; empty: string[]; needed: Record<string, string[]> }>;
    };
    expect(report.ok).toBe(false);
    expect(report.doppler).toEqual({ project: 'voice-agent', config: 'stg' });
    expect(report.missing).toEqual(['DEEPGRAM_API_KEY', 'POSTGRES_PASSWORD']);
    expect(report.empty).toEqual(['MCP_CONSOLE_TOKEN']);
    expect(report.needed).toEqual(Object.keys(stagingValues).sort());
    expect(report.services['ten-agent']?.missing).toEqual(['DEEPGRAM_API_KEY']);
    expect(report.services['frontend']?.empty).toEqual(['MCP_CONSOLE_TOKEN']);
    expect(report.services['mcp-server']?.empty).toEqual(['MCP_CONSOLE_TOKEN']);
    // Postgres needs its password, and so do its in-cluster consumers' connection URLs.
    expect(report.services['postgres']?.missing).toEqual(['POSTGRES_PASSWORD']);
    expect(report.services['frontend']?.missing).toEqual(['POSTGRES_PASSWORD']);
    expect(report.services['frontend']?.needed['POSTGRES_PASSWORD']).toEqual(['kubernetes']);
    // Railway runs its own Redis: only the in-cluster one reads the password.
    expect(report.services['redis']).toEqual({ needed: { REDIS_PASSWORD: ['kubernetes'] }, set: ['REDIS_PASSWORD'], missing: [], empty: [], invalid: [] });
    expect(Object.keys(report.services).sort()).toEqual(Object.keys(stagingNeeds).sort());
  });

  it('never prints a value, nor a value\'s length, whatever it reports', async () => {
    const values = [...Object.values(stagingValues), 'planted-unrelated-value-Zq8'];
    expect(values.some((value) => value.length === LONG_VALUE_LENGTH)).toBe(true);
    const outputs: string[] = [];
    for (const args of [[], ['--json']]) {
      outputs.push(Object.values(await stagingCheck(args)).join('\n'));
      doppler.configs[0]!.secrets['OPENAI_API_KEY'] = '';
      delete doppler.configs[0]!.secrets['AGORA_APP_ID'];
      const failing = await stagingCheck(args);
      expect(failing.status).toBe(1);
      outputs.push(Object.values(failing).join('\n'));
      doppler.configs[0]!.secrets = { ...stagingValues };
    }
    const output = outputs.join('\n');
    expect(output).toContain('OPENAI_API_KEY');
    for (const value of values) expect(output.includes(value), `a value of ${value.length} characters was printed`).toBe(false);
    expect(output).not.toContain('planted');
    expect(output).not.toContain(String(LONG_VALUE_LENGTH));
  });

  it('says DOPPLER_TOKEN is missing, and asks Doppler nothing', async () => {
    const result = await stagingCheck([], {});
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'error: DOPPLER_TOKEN is not set: give a Doppler service token for Doppler project "voice-agent", config "stg" ' +
        "(Doppler dashboard: the config's Access tab; a service token reads exactly one config)\n",
    );
    expect(doppler.requests).toEqual([]);
  });

  it('says Doppler rejected an unknown token, without printing it', async () => {
    const token = 'dp.st.stg.RevokedTokenThatDopplerNoLongerKnows42';
    const result = await stagingCheck([], { DOPPLER_TOKEN: token });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('error: Doppler rejected DOPPLER_TOKEN (HTTP 401: Invalid Auth token): it is not a valid, current token;');
    expect(result.stderr).not.toContain('RevokedToken');
    expect(doppler.requests).toHaveLength(1);
  });

  it('refuses a malformed token before sending it, without printing it', async () => {
    const token = '"dp.st.stg.Pasted With Quotes And Spaces"';
    const result = await stagingCheck([], { DOPPLER_TOKEN: token });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('error: DOPPLER_TOKEN does not look like a Doppler token');
    expect(result.stderr).not.toContain('Pasted');
    expect(doppler.requests).toEqual([]);
  });

  it('says a service token of another config cannot read this one', async () => {
    const result = await stagingCheck([], { DOPPLER_TOKEN: PRODUCTION_TOKEN });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('error: DOPPLER_TOKEN may not read Doppler project "voice-agent", config "stg" (HTTP 403: ');
    expect(result.stderr).toContain('a service token reads only the config it was created for');
    expect(result.stderr).not.toContain(PRODUCTION_TOKEN);
  });

  it('names the known environments for an unknown one, and asks Doppler nothing', async () => {
    const result = await runSecrets(['check', '--env', 'qa'], { DOPPLER_TOKEN: STAGING_TOKEN, DOPPLER_API_URL: doppler.url });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('error: unknown environment "qa": the environment files define "development", "staging", "production"\n');
    expect(doppler.requests).toEqual([]);
  });

  it('says when Doppler cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const result = await runSecrets(['check', '--env', 'staging'], { DOPPLER_TOKEN: STAGING_TOKEN, DOPPLER_API_URL: url });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error: could not reach the Doppler API at ${url.replaceAll('.', '\\.')}: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+\n$`));
  });
});

/** A local stand-in for the three Railway GraphQL operations `secrets sync` sends. */
async function startFakeRailway(token: string): Promise<{ url: string; upserts: Array<Record<string, unknown>>; operations: string[]; server: Server }> {
  const upserts: Array<Record<string, unknown>> = [];
  const operations: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const send = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(payload));
      };
      if (request.headers['project-access-token'] !== token) return send(200, { errors: [{ message: 'Not Authorized' }], data: null });
      const { operationName, variables } = JSON.parse(body) as { operationName: string; variables: { input?: Record<string, unknown> } };
      operations.push(operationName);
      const environment = { id: 'env-synced', name: 'synced' };
      const project = { id: 'project-1', name: 'voice-agent' };
      if (operationName === 'ProjectToken') return send(200, { data: { projectToken: { projectId: project.id, environmentId: environment.id, project, environment } } });
      if (operationName === 'Project') {
        return send(200, { data: { project: { ...project, environments: { edges: [{ node: environment }] }, services: { edges: [{ node: { id: 'service-api', name: 'api' } }] } } } });
      }
      if (operationName === 'VariableCollectionUpsert') {
        upserts.push(variables.input ?? {});
        return send(200, { data: { variableCollectionUpsert: true } });
      }
      send(200, { errors: [{ message: `unknown operation ${operationName}` }] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql/v2`, upserts, operations, server };
}

describe('secrets sync --env <name>', () => {
  const RAILWAY_TOKEN = 'railway-project-token-for-synced';
  let railway: Awaited<ReturnType<typeof startFakeRailway>>;

  beforeAll(async () => {
    railway = await startFakeRailway(RAILWAY_TOKEN);
  });
  afterAll(async () => {
    await new Promise((resolve) => railway.server.close(resolve));
  });
  beforeEach(() => {
    railway.upserts.length = 0;
    railway.operations.length = 0;
    doppler.configs[2]!.secrets = { API_TOKEN: 'planted-api-token-Zq8', UPSTREAM_TOKEN: 'planted-upstream-Zq8', DATABASE_URL: 'postgres://planted-db-Zq8' };
  });

  function variables(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { DOPPLER_TOKEN: SYNC_TOKEN, DOPPLER_API_URL: doppler.url, RAILWAY_API_TOKEN: RAILWAY_TOKEN, RAILWAY_API_URL: railway.url, ...extra };
  }

  it('copies exactly the names Railway reads into shared variables, staged (skipDeploys), and prints names only', async () => {
    const lines: string[] = [];
    const status = await secretsSyncCommand({ env: 'synced', envFiles: [fixture('railway-secret-sync')], variables: variables() }, (text) => lines.push(text));
    expect(status).toBe(0);
    expect(railway.upserts).toEqual([
      {
        projectId: 'project-1',
        environmentId: 'env-synced',
        // No serviceId: shared variables. DATABASE_URL is Railway's own Postgres there, so it is not copied.
        variables: { API_TOKEN: 'planted-api-token-Zq8', UPSTREAM_TOKEN: 'planted-upstream-Zq8' },
        replace: false,
        skipDeploys: true,
      },
    ]);
    const output = lines.join('');
    expect(output).toBe(
      'secrets sync: 2 shared variables from Doppler project "voice-agent", config "stg_railway" to Railway project "voice-agent", environment "synced" (staged; deploy to apply):\n  API_TOKEN\n  UPSTREAM_TOKEN\n',
    );
    expect(output).not.toContain('planted');
  });

  it('writes nothing when Doppler lacks a name Railway needs', async () => {
    delete doppler.configs[2]!.secrets['UPSTREAM_TOKEN'];
    doppler.configs[2]!.secrets['API_TOKEN'] = '';
    const error = await syncSecrets({ env: 'synced', envFiles: [fixture('railway-secret-sync')], variables: variables() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe(
      'Doppler project "voice-agent", config "stg_railway" lacks secrets Railway needs (missing: UPSTREAM_TOKEN; empty: API_TOKEN); nothing was synced. secrets check --env synced lists them by service',
    );
    expect(railway.upserts).toEqual([]);
  });

  it('refuses an environment whose Railway variables come from Doppler\'s Railway integration, before reading Doppler', async () => {
    const error = await syncSecrets({ env: 'staging', variables: variables({ DOPPLER_TOKEN: STAGING_TOKEN }) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toContain(`environment "staging" gets its Railway shared variables from Doppler's Railway integration (railway.secretSync: 'doppler-integration')`);
    expect(doppler.requests).toEqual([]);
    expect(railway.operations).toEqual([]);
  });

  it('refuses an environment that does not render Railway', async () => {
    const error = await syncSecrets({ env: 'development', variables: variables() }).catch((caught: unknown) => caught);
    expect((error as CliError).message).toBe('environment "development" does not render Railway, so it has no Railway variables to sync');
  });

  it('stops on a Railway token problem without printing either token', async () => {
    const error = await syncSecrets({ env: 'synced', envFiles: [fixture('railway-secret-sync')], variables: variables({ RAILWAY_API_TOKEN: 'wrong-railway-token' }) }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toContain('rejected RAILWAY_API_TOKEN');
    expect((error as CliError).message).not.toContain('wrong-railway-token');
    expect((error as CliError).message).not.toContain(SYNC_TOKEN);
    expect(railway.upserts).toEqual([]);
  });
});
