import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../../cli/cli-error.ts';
import { deploy, rollbackTarget, type DeployOptions, type DeployReport } from '../../cli/deploy.ts';
import type { DeployPlan } from '../../cli/plan/plan-types.ts';
import { OPERATIONS, RailwayApi, upsertRailwayVariables, type Deployment } from '../../cli/railway/railway-api.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { startFakeRailway, startHealthServer, type FakeRailway, type FakeRailwayOptions, type HealthServer } from '../fakes/fake-railway.ts';

/** The Railway services of staging (dist/railway/staging.json); jitsi-jvb runs off Railway. */
const STAGING_SERVICES = ['jitsi-prosody', 'jitsi-jicofo', 'jitsi-web', 'postgres', 'redis', 'mcp-server', 'ten-agent', 'frontend'];

/** Polls every 10 ms, gives up on a deployment after 3 s: a whole run takes well under a second. */
const FAST = { pollIntervalSeconds: 0.01, timeoutSeconds: 3, healthWindowSeconds: 0.3, healthTimeoutSeconds: 1, adoptWaitSeconds: 0 } as const;

let fake: FakeRailway;
let frontendHealth: HealthServer;
let webHealth: HealthServer;

async function useFake(options: Partial<FakeRailwayOptions> = {}): Promise<FakeRailway> {
  await fake?.stop();
  fake = await startFakeRailway({ services: STAGING_SERVICES, ...options });
  return fake;
}

beforeEach(async () => {
  await useFake();
  frontendHealth = await startHealthServer(200);
  webHealth = await startHealthServer(200);
});

afterEach(async () => {
  await fake.stop();
  await frontendHealth.close();
  await webHealth.close();
});

function railwayEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { RAILWAY_API_TOKEN: fake.token, RAILWAY_API_URL: fake.url, RAILWAY_PROJECT_ID: fake.projectId, ...overrides };
}

interface Run {
  report?: DeployReport;
  error?: CliError;
  stdout: string;
  stderr: string;
}

/** Runs deploy in this process against the fake, with the public URLs sent to the local health servers. */
async function run(options: Partial<DeployOptions> & { env?: string }, env: NodeJS.ProcessEnv = railwayEnv()): Promise<Run> {
  let stdout = '';
  let stderr = '';
  try {
    const report = await deploy({
      env: 'staging',
      ...FAST,
      processEnv: env,
      mapOrigin: [`https://frontend.railway.staging.voice.example.com=${frontendHealth.origin}`, `https://jitsi-web.railway.staging.voice.example.com=${webHealth.origin}`],
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      ...options,
    });
    return { report, stdout, stderr };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { error, stdout, stderr };
  }
}

/** The mutations sent, as `field(service or deployment)`, in order. */
function mutations(): string[] {
  return fake.operations
    .filter((operation) => ['serviceInstanceDeployV2', 'deploymentRollback', 'deploymentCancel', 'deploymentRedeploy'].includes(operation.field))
    .map((operation) => {
      const variables = operation.variables as { serviceId?: string; id?: string };
      const subject = variables.serviceId !== undefined ? variables.serviceId.replace(/^svc-/, '') : fake.deployments.find((deployment) => deployment.id === variables.id)?.service;
      return `${operation.field}(${subject})`;
    });
}

/** The deployment a service served before the run (history: one older, one current). */
function servingBefore(service: string): string {
  const current = fake.serving(service);
  if (current === undefined) throw new Error(`${service} serves nothing`);
  return current.id;
}

describe('deploy --services', () => {
  it('deploys in dependency order, waits for SUCCESS, checks public health, and rolls nothing back', async () => {
    const result = await run({ services: ['frontend,mcp-server', 'jitsi-web'] });
    expect(result.error).toBeUndefined();
    // Project lookup, then what serves now (the rollback targets), before anything changes.
    expect(fake.fields().slice(0, 4)).toEqual(['project', 'deployments', 'deployments', 'deployments']);
    expect(fake.calls('project')[0]?.variables).toEqual({ id: fake.projectId });
    expect(fake.calls('deployments')[0]?.variables).toEqual({
      input: { projectId: fake.projectId, environmentId: fake.environmentId('staging'), serviceId: 'svc-jitsi-web' },
      first: 20,
    });
    expect(mutations()).toEqual(['serviceInstanceDeployV2(jitsi-web)', 'serviceInstanceDeployV2(mcp-server)', 'serviceInstanceDeployV2(frontend)']);
    expect(fake.calls('serviceInstanceDeployV2')[1]?.variables).toEqual({ serviceId: 'svc-mcp-server', environmentId: fake.environmentId('staging') });
    // Each deployment was polled through its statuses until SUCCESS before the next one started.
    const fields = fake.fields();
    const secondDeploy = fields.indexOf('serviceInstanceDeployV2', fields.indexOf('serviceInstanceDeployV2') + 1);
    expect(fields.slice(fields.indexOf('serviceInstanceDeployV2') + 1, secondDeploy)).toEqual(['deployment', 'deployment', 'deployment', 'deployment']);
    for (const service of ['jitsi-web', 'mcp-server', 'frontend']) expect(fake.serving(service)?.origin).toBe('deploy');
    expect(webHealth.requests).toEqual(['/']);
    expect(frontendHealth.requests).toEqual(['/api/health']);
    expect(fake.rejected).toEqual([]);
    expect(result.report?.exitCode).toBe(0);
    expect(result.report?.services.map((service) => [service.service, service.result])).toEqual([
      ['jitsi-web', 'deployed'],
      ['mcp-server', 'deployed'],
      ['frontend', 'deployed'],
    ]);
    expect(result.stderr).toMatch(/^staging: mcp-server deploying… \(\d+ s\)$/m);
    expect(result.stderr).toContain('staging: jitsi-web building…');
    expect(result.stdout).toMatch(/^service +result +deployment +duration$/m);
    expect(result.stdout).toMatch(new RegExp(`^mcp-server +deployed +${fake.serving('mcp-server')?.id} +[\\d.]+ s$`, 'm'));
    expect(result.stdout).toContain("mcp-server: private: judged by Railway's deployment status only (Railway gated it on /health)");
    expect(result.stdout).toContain('frontend: healthy: https://frontend.railway.staging.voice.example.com/api/health answered 200 ok');
  });

  it('skips a service placed off Railway and says so', async () => {
    const result = await run({ services: ['jitsi-jvb,mcp-server'] });
    expect(result.error).toBeUndefined();
    expect(mutations()).toEqual(['serviceInstanceDeployV2(mcp-server)']);
    expect(result.stderr).toContain('staging: skipping jitsi-jvb: runs off Railway, on media-host');
    expect(result.report?.services.find((service) => service.service === 'jitsi-jvb')?.result).toBe('skipped');
  });

  it('refuses an unknown service before touching Railway', async () => {
    const result = await run({ services: ['mcp-server,billing'] });
    expect(result.error?.message).toMatch(/^environment "staging" has no Railway service "billing" \(it has jitsi-prosody, .*jitsi-jvb \(off Railway\)\)$/);
    expect(fake.operations).toEqual([]);
  });

  it('refuses a service the Railway project does not have yet, before deploying anything', async () => {
    await useFake({ services: STAGING_SERVICES.filter((service) => service !== 'frontend') });
    const result = await run({ services: ['mcp-server,frontend'] });
    expect(result.error?.message).toBe('the Railway project "voice-agent" has no service "frontend"; create it with railway config apply before deploying');
    expect(mutations()).toEqual([]);
  });
});

describe('deploy: failures roll back what this run changed, newest first', () => {
  it('a FAILED deployment: rolls back the services already deployed in reverse order and exits 1', async () => {
    await useFake({ behaviour: { 'mcp-server': { deploy: 'failed' } } });
    const before = { prosody: servingBefore('jitsi-prosody'), web: servingBefore('jitsi-web'), mcp: servingBefore('mcp-server') };
    const result = await run({ services: ['frontend,mcp-server,jitsi-web,jitsi-prosody'] });
    expect(result.error?.exitCode).toBe(1);
    expect(result.error?.message).toBe(
      'deploy to staging failed at mcp-server (deployment FAILED; Railway keeps the previous deployment serving); rolled back jitsi-web, jitsi-prosody',
    );
    expect(mutations()).toEqual([
      'serviceInstanceDeployV2(jitsi-prosody)',
      'serviceInstanceDeployV2(jitsi-web)',
      'serviceInstanceDeployV2(mcp-server)',
      'deploymentRollback(jitsi-web)',
      'deploymentRollback(jitsi-prosody)',
    ]);
    // Back to what served before the run; the failed one never replaced its predecessor.
    expect(fake.calls('deploymentRollback').map((operation) => operation.variables)).toEqual([{ id: before.web }, { id: before.prosody }]);
    expect(fake.serving('jitsi-web')?.rollbackOf).toBe(before.web);
    expect(fake.serving('jitsi-prosody')?.rollbackOf).toBe(before.prosody);
    expect(fake.serving('mcp-server')?.id).toBe(before.mcp);
    expect(result.report).toBeUndefined();
    expect(result.stdout).toMatch(/^jitsi-prosody +rolled-back +dep-\S+ → dep-\S+ +[\d.]+ s$/m);
    expect(result.stdout).toMatch(/^mcp-server +failed +dep-\S+ +[\d.]+ s$/m);
    expect(result.stdout).toMatch(/^frontend +not-started +- +-$/m);
    expect(result.stderr).toContain('staging: mcp-server failed; rolling back jitsi-web, jitsi-prosody');
    expect(result.stderr).toMatch(/^staging: jitsi-web rolling back: deploying… \(\d+ s\)$/m);
  });

  it('a CRASHED deployment went live, so it is rolled back too', async () => {
    await useFake({ behaviour: { 'mcp-server': { deploy: 'crashed' } } });
    const before = { web: servingBefore('jitsi-web'), mcp: servingBefore('mcp-server') };
    const result = await run({ services: ['jitsi-web,mcp-server'] });
    expect(result.error?.exitCode).toBe(1);
    expect(mutations()).toEqual([
      'serviceInstanceDeployV2(jitsi-web)',
      'serviceInstanceDeployV2(mcp-server)',
      'deploymentRollback(mcp-server)',
      'deploymentRollback(jitsi-web)',
    ]);
    expect(fake.calls('deploymentRollback').map((operation) => operation.variables)).toEqual([{ id: before.mcp }, { id: before.web }]);
    expect(fake.serving('mcp-server')?.rollbackOf).toBe(before.mcp);
  });

  it('a failing health check: rolls back the unhealthy service and the ones before it', async () => {
    frontendHealth.status = 503;
    const before = { mcp: servingBefore('mcp-server'), frontend: servingBefore('frontend') };
    const result = await run({ services: ['mcp-server,frontend'] });
    expect(result.error?.exitCode).toBe(1);
    expect(result.error?.message).toMatch(
      /^deploy to staging failed at frontend \(health check failed for 0\.3 s: https:\/\/frontend\.railway\.staging\.voice\.example\.com\/api\/health answered 503 failing\); rolled back frontend, mcp-server$/,
    );
    expect(mutations()).toEqual([
      'serviceInstanceDeployV2(mcp-server)',
      'serviceInstanceDeployV2(frontend)',
      'deploymentRollback(frontend)',
      'deploymentRollback(mcp-server)',
    ]);
    expect(fake.calls('deploymentRollback').map((operation) => operation.variables)).toEqual([{ id: before.frontend }, { id: before.mcp }]);
    // Retried within the health window before giving up.
    expect(frontendHealth.requests.length).toBeGreaterThan(1);
    expect(new Set(frontendHealth.requests)).toEqual(new Set(['/api/health']));
    expect(result.stderr).toMatch(/staging: frontend health FAILING: https:\/\/frontend\.railway\.staging\.voice\.example\.com\/api\/health 503 failing \(attempt \d+\)/);
  });

  it('a deployment that never finishes: cancels it at the timeout and rolls back the services before it', async () => {
    await useFake({ behaviour: { 'mcp-server': { deploy: 'hang' } } });
    const before = servingBefore('jitsi-web');
    const result = await run({ services: ['jitsi-web,mcp-server,frontend'], timeoutSeconds: 0.3 });
    expect(result.error?.exitCode).toBe(1);
    expect(result.error?.message).toBe(
      'deploy to staging failed at mcp-server (no result within 0.3 s (last status BUILDING); cancelled it, the previous deployment keeps serving); rolled back jitsi-web',
    );
    expect(mutations()).toEqual([
      'serviceInstanceDeployV2(jitsi-web)',
      'serviceInstanceDeployV2(mcp-server)',
      'deploymentCancel(mcp-server)',
      'deploymentRollback(jitsi-web)',
    ]);
    expect(fake.calls('deploymentRollback')[0]?.variables).toEqual({ id: before });
    expect(fake.deploymentsOf('mcp-server')[0]?.steps).toEqual(['REMOVED']);
  });

  it('a rollback that fails: keeps rolling back the others, exits 3 and names the service that needs a human', async () => {
    await useFake({ behaviour: { 'mcp-server': { deploy: 'failed' }, 'jitsi-web': { rollback: 'failed' } } });
    const result = await run({ services: ['jitsi-prosody,jitsi-web,mcp-server'], json: true });
    expect(result.error?.exitCode).toBe(3);
    expect(result.error?.message).toMatch(
      /rollback FAILED for jitsi-web \(rollback deployment dep-\S+ FAILED\); jitsi-web needs a human: roll it back to deployment dep-\S+ in the Railway dashboard \(jitsi-web → Deployments → Rollback\); rolled back jitsi-prosody$/,
    );
    expect(mutations()).toEqual([
      'serviceInstanceDeployV2(jitsi-prosody)',
      'serviceInstanceDeployV2(jitsi-web)',
      'serviceInstanceDeployV2(mcp-server)',
      'deploymentRollback(jitsi-web)',
      'deploymentRollback(jitsi-prosody)',
    ]);
    const report = JSON.parse(result.stdout) as DeployReport;
    expect(report).toMatchObject({ environment: 'staging', mode: 'deploy', ok: false, exitCode: 3, failedAt: 'mcp-server' });
    expect(report.services.map((service) => [service.service, service.result, service.rollback?.ok])).toEqual([
      ['jitsi-prosody', 'rolled-back', true],
      ['jitsi-web', 'rollback-failed', false],
      ['mcp-server', 'failed', undefined],
    ]);
  });

  it('a service with no earlier deployment Railway can return to cannot be rolled back: exit 3', async () => {
    await useFake({ behaviour: { 'mcp-server': { deploy: 'failed' }, 'jitsi-web': { canRollback: false } } });
    const result = await run({ services: ['jitsi-web,mcp-server'] });
    expect(result.error?.exitCode).toBe(3);
    expect(result.error?.message).toContain('rollback FAILED for jitsi-web (Railway cannot roll back to deployment');
    expect(mutations()).toEqual(['serviceInstanceDeployV2(jitsi-web)', 'serviceInstanceDeployV2(mcp-server)']);
  });
});

describe('deploy --rollback <service>', () => {
  it('rolls one service back to the deployment before the current one and waits for it', async () => {
    const [current, previous] = fake.deploymentsOf('frontend');
    const result = await run({ rollback: 'frontend' });
    expect(result.error).toBeUndefined();
    expect(mutations()).toEqual(['deploymentRollback(frontend)']);
    expect(fake.calls('deploymentRollback')[0]?.variables).toEqual({ id: previous?.id });
    expect(fake.serving('frontend')?.rollbackOf).toBe(previous?.id);
    expect(result.report).toMatchObject({ mode: 'rollback', ok: true, exitCode: 0, message: `rolled frontend back to deployment ${previous?.id} in staging` });
    expect(result.report?.services[0]).toMatchObject({ service: 'frontend', result: 'rolled-back', deploymentId: current?.id });
    expect(result.stderr).toContain(`staging: rolling frontend back from deployment ${current?.id} to ${previous?.id}`);
  });

  it('exits 3 when the rollback deployment fails', async () => {
    await useFake({ behaviour: { frontend: { rollback: 'failed' } } });
    const result = await run({ rollback: 'frontend' });
    expect(result.error?.exitCode).toBe(3);
    expect(result.error?.message).toMatch(/^rollback of frontend in staging FAILED \(rollback deployment dep-\S+ FAILED\); frontend needs a human: roll it back to deployment dep-\S+/);
  });

  it('refuses a service that runs off Railway', async () => {
    const result = await run({ rollback: 'jitsi-jvb' });
    expect(result.error?.message).toBe('"jitsi-jvb" runs off Railway in staging (on media-host), so Railway cannot roll it back');
    expect(mutations()).toEqual([]);
  });

  it('takes exactly one of --plan-from, --services and --rollback', async () => {
    const result = await run({ rollback: 'frontend', services: ['frontend'] });
    expect(result.error?.message).toBe('deploy needs exactly one of --plan-from <ref>, --services <a,b> or --rollback <service>');
  });
});

describe('deploy --plan-from <ref>', () => {
  const plan: DeployPlan = {
    baseRef: 'origin/main',
    baseCommit: 'abc123',
    images: [],
    environments: [
      { environment: 'development', targets: ['compose'], changes: [{ service: 'frontend', targets: ['compose'], restartsOn: ['compose'], reasons: ['env X'] }], otherFiles: [] },
      {
        environment: 'staging',
        targets: ['railway', 'kubernetes'],
        changes: [
          { service: 'mcp-server', targets: ['kubernetes'], restartsOn: ['kubernetes'], reasons: ['image tag'] },
          { service: 'jitsi-jvb', targets: ['railway', 'kubernetes'], restartsOn: ['railway', 'kubernetes'], reasons: ['image ghcr.io/jitsi/jvb:stable-11146-2 → stable-11200'] },
          { service: 'jitsi-web', targets: ['railway', 'kubernetes'], restartsOn: ['railway', 'kubernetes'], reasons: ['image ghcr.io/jitsi/web:stable-11146-2 → stable-11200'] },
          { service: 'frontend', targets: ['railway'], restartsOn: ['railway'], reasons: ['env JITSI_PUBLIC_URL'] },
        ],
        otherFiles: [],
      },
    ],
  } as DeployPlan;

  it('deploys the services whose Railway rendering changed, in the plan order', async () => {
    const refs: string[] = [];
    const result = await run({
      planFrom: 'origin/main',
      planDeploy: async (ref) => {
        refs.push(ref);
        return plan;
      },
    });
    expect(result.error).toBeUndefined();
    expect(refs).toEqual(['origin/main']);
    // mcp-server changed only on Kubernetes; jitsi-jvb runs off Railway.
    expect(mutations()).toEqual(['serviceInstanceDeployV2(jitsi-web)', 'serviceInstanceDeployV2(frontend)']);
    expect(result.stderr).toContain('staging: jitsi-web changed: image ghcr.io/jitsi/web:stable-11146-2 → stable-11200');
    expect(result.stderr).toContain('staging: skipping jitsi-jvb');
  });

  it('does nothing when the plan has no Railway change for the environment', async () => {
    const result = await run({ env: 'production', planFrom: 'origin/main', planDeploy: async () => plan });
    expect(result.error).toBeUndefined();
    expect(result.report).toMatchObject({ ok: true, exitCode: 0, message: 'nothing to deploy on Railway in production' });
    expect(mutations()).toEqual([]);
  });

  it('explains when the plan module cannot be loaded', async () => {
    const result = await run({ planFrom: 'origin/main', planModule: new URL('../../cli/plan/no-such-plan.ts', import.meta.url).href });
    expect(result.error?.message).toMatch(/^--plan-from needs the plan command \(.*no-such-plan\.ts cannot be loaded: .*\); name the services with --services a,b instead$/);
  });
});

describe('deploy --since: deployments started by railway config apply', () => {
  it('waits for a deployment created since then instead of starting another, and starts one where there is none', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const applied = fake.addDeployment('frontend');
    const before = servingBefore('frontend');
    const result = await run({ services: ['mcp-server,frontend'], since });
    expect(result.error).toBeUndefined();
    expect(mutations()).toEqual(['serviceInstanceDeployV2(mcp-server)']);
    expect(result.report?.services.find((service) => service.service === 'frontend')?.deploymentId).toBe(applied.id);
    expect(fake.serving('frontend')?.id).toBe(applied.id);
    expect(result.stderr).toContain(`staging: frontend: waiting for deployment ${applied.id}`);
    expect(fake.deploymentsOf('frontend').find((deployment) => deployment.id === before)?.steps).toEqual(['REMOVED']);
  });

  it('rolls back to what served before the apply, even when the apply already replaced it', async () => {
    await useFake({ behaviour: { 'mcp-server': { deploy: 'failed' } } });
    const since = new Date(Date.now() - 1000).toISOString();
    const before = servingBefore('jitsi-web');
    const applied = fake.addDeployment('jitsi-web');
    // The apply's deployment goes live before deploy looks: what served before is REMOVED now.
    const api = new RailwayApi({ endpoint: fake.url, token: fake.token });
    for (let step = 0; step < 10 && fake.serving('jitsi-web')?.id !== applied.id; step++) await api.deployment(applied.id);
    expect(fake.serving('jitsi-web')?.id).toBe(applied.id);
    expect(fake.deploymentsOf('jitsi-web').find((deployment) => deployment.id === before)?.steps).toEqual(['REMOVED']);
    fake.operations.length = 0;
    const result = await run({ services: ['jitsi-web,mcp-server'], since });
    expect(result.error?.exitCode).toBe(1);
    expect(mutations()).toEqual(['serviceInstanceDeployV2(mcp-server)', 'deploymentRollback(jitsi-web)']);
    expect(fake.calls('deploymentRollback')[0]?.variables).toEqual({ id: before });
    expect(fake.serving('jitsi-web')?.rollbackOf).toBe(before);
  });
});

describe('deploy: tokens and environments', () => {
  it('a missing token is an error naming RAILWAY_API_TOKEN, before any request', async () => {
    const result = await run({ services: ['mcp-server'] }, railwayEnv({ RAILWAY_API_TOKEN: undefined }));
    expect(result.error?.message).toMatch(/^RAILWAY_API_TOKEN is not set/);
    expect(fake.operations).toEqual([]);
    expect(fake.rejected).toEqual([]);
  });

  it('an environment without Railway is said before the token is asked for', async () => {
    const result = await run({ env: 'development', services: ['mcp-server'] }, railwayEnv({ RAILWAY_API_TOKEN: undefined }));
    expect(result.error?.message).toBe('environment "development" does not render the railway target (it renders compose); deploy only drives Railway');
    expect(fake.operations).toEqual([]);
  });

  it.each([['graphql'], ['http']] as const)('a bad token (%s answer) says the token is invalid or lacks access, and never prints it', async (authFailure) => {
    await useFake({ authFailure });
    const bad = 'bad-token-7c1e-never-print-me';
    const result = await run({ services: ['mcp-server'] }, railwayEnv({ RAILWAY_API_TOKEN: bad }));
    expect(result.error?.exitCode).toBe(1);
    expect(result.error?.message).toMatch(/^the Railway API rejected RAILWAY_API_TOKEN \((Not Authorized|HTTP 401)\): the token is invalid, expired, or lacks access/);
    expect(`${result.error?.message}${result.stdout}${result.stderr}`).not.toContain(bad);
    expect(fake.rejected).toEqual(['Project']);
  });

  it('sends a project token as Project-Access-Token and an account token as Authorization: Bearer', async () => {
    await useFake({ tokenKind: 'account' });
    const asProject = await run({ services: ['mcp-server'] });
    expect(asProject.error?.message).toMatch(/^the Railway API rejected RAILWAY_API_TOKEN .*RAILWAY_TOKEN_KIND=project/);
    const asAccount = await run({ services: ['mcp-server'] }, railwayEnv({ RAILWAY_TOKEN_KIND: 'account' }));
    expect(asAccount.error).toBeUndefined();
    expect(mutations()).toEqual(['serviceInstanceDeployV2(mcp-server)']);
  });

  it('finds the project from a project token when RAILWAY_PROJECT_ID is not set, and refuses another environment\'s token', async () => {
    const result = await run({ services: ['mcp-server'] }, railwayEnv({ RAILWAY_PROJECT_ID: undefined }));
    expect(result.error).toBeUndefined();
    expect(fake.fields().slice(0, 2)).toEqual(['projectToken', 'project']);
    await useFake({ tokenEnvironment: 'production' });
    const wrong = await run({ services: ['mcp-server'] }, railwayEnv({ RAILWAY_PROJECT_ID: undefined }));
    expect(wrong.error?.message).toBe('RAILWAY_API_TOKEN is a project token for the Railway environment "production", not "staging": use that environment\'s token');
  });

  it('refuses a project whose name is not the environment\'s railway.project', async () => {
    await useFake({ projectName: 'someone-else' });
    const result = await run({ services: ['mcp-server'] });
    expect(result.error?.message).toMatch(/is named "someone-else", but environment "staging" deploys to the project "voice-agent"/);
    expect(mutations()).toEqual([]);
  });

  it('an unknown environment, or one without the railway target, is an error', async () => {
    const unknown = await run({ env: 'qa', services: ['mcp-server'] });
    expect(unknown.error?.message).toBe('unknown environment "qa": the environment files define "development", "staging", "production"');
    const development = await run({ env: 'development', services: ['mcp-server'] });
    expect(development.error?.message).toBe('environment "development" does not render the railway target (it renders compose); deploy only drives Railway');
    expect(fake.operations).toEqual([]);
  });

  it('an unreachable API is an error naming the endpoint', async () => {
    const url = fake.url;
    await fake.stop();
    const result = await run({ services: ['mcp-server'] }, railwayEnv({ RAILWAY_API_URL: url }));
    expect(result.error?.message).toMatch(new RegExp(`^could not reach the Railway API at ${url.replaceAll('.', '\\.')} \\(Project\\): connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+`));
  });
});

describe('railway-api against the schema', () => {
  it('GraphQL errors become a CliError with their messages', async () => {
    const api = new RailwayApi({ endpoint: fake.url, token: fake.token });
    // Railway's deploymentRollback is Boolean!: selecting fields on it is invalid (Railway's docs sample does).
    await expect(api.request('mutation DeploymentRollback($id: String!) { deploymentRollback(id: $id) { status } }', { id: 'x' })).rejects.toThrow(
      'Railway API error in DeploymentRollback: Field "deploymentRollback" must not have a selection since type "Boolean!" has no subfields.',
    );
    await expect(api.request(OPERATIONS.deployments, { input: { serviceId: 'svc-frontend', service: 'frontend' }, first: 5 })).rejects.toThrow(
      /^Railway API error in Deployments: Variable "\$input" got invalid value .*Field "service" is not defined by type "DeploymentListInput"/,
    );
    await expect(api.deployment('dep-nope')).rejects.toThrow('Railway API error in Deployment: Deployment not found');
  });

  it('every operation the client sends is valid against the schema', async () => {
    const api = new RailwayApi({ endpoint: fake.url, token: fake.token });
    const [current] = fake.deploymentsOf('frontend');
    const staging = fake.environmentId('staging');
    await api.resolveProject(fake.projectId, 'staging');
    await api.projectToken();
    const list: Deployment[] = await api.deployments({ projectId: fake.projectId, environmentId: staging, serviceId: 'svc-frontend' }, 5);
    expect(list.map((deployment) => deployment.id)).toEqual(fake.deploymentsOf('frontend').map((deployment) => deployment.id));
    const redeployed = await api.redeployDeployment(current!.id);
    expect(redeployed.status).toBe('INITIALIZING');
    expect(await api.cancelDeployment(redeployed.id)).toBe(true);
    expect(await api.rollbackDeployment(fake.deploymentsOf('frontend')[2]!.id)).toBe(true);
    expect(fake.fields()).toEqual(['project', 'projectToken', 'deployments', 'deploymentRedeploy', 'deploymentCancel', 'deploymentRollback']);
  });

  it('upsertRailwayVariables writes variables with skipDeploys unless told otherwise', async () => {
    const env = railwayEnv();
    const staging = fake.environmentId('staging');
    expect(await upsertRailwayVariables({ projectId: fake.projectId, environmentId: staging, variables: { JWT_APP_SECRET: 's1', OIDC_CLIENT_SECRET: 's2' } }, env)).toBe(true);
    expect(await upsertRailwayVariables({ projectId: fake.projectId, environmentId: staging, serviceId: 'svc-frontend', variables: { A: '1' }, replace: true, skipDeploys: false }, env)).toBe(
      true,
    );
    expect(fake.calls('variableCollectionUpsert').map((operation) => operation.variables)).toEqual([
      { input: { projectId: fake.projectId, environmentId: staging, variables: { JWT_APP_SECRET: 's1', OIDC_CLIENT_SECRET: 's2' }, replace: false, skipDeploys: true } },
      { input: { projectId: fake.projectId, environmentId: staging, serviceId: 'svc-frontend', variables: { A: '1' }, replace: true, skipDeploys: false } },
    ]);
    expect(fake.variables.get(`${staging}/shared`)).toEqual({ JWT_APP_SECRET: 's1', OIDC_CLIENT_SECRET: 's2' });
    await expect(upsertRailwayVariables({ projectId: fake.projectId, environmentId: staging, variables: { A: 1 as unknown as string } }, env)).rejects.toThrow(
      /EnvironmentVariables must map names to strings/,
    );
  });

  it('picks the rollback target: the newest SUCCESS before --since, else the newest REMOVED one Railway can roll back to', () => {
    const deployment = (id: string, status: Deployment['status'], minutesAgo: number, canRollback = true): Deployment => ({
      id,
      status,
      canRollback,
      staticUrl: null,
      createdAt: new Date(Date.UTC(2026, 0, 1, 12, 0) - minutesAgo * 60_000).toISOString(),
    });
    const list = [deployment('new', 'SUCCESS', 1), deployment('failed', 'FAILED', 30), deployment('old', 'REMOVED', 60), deployment('older', 'REMOVED', 90)];
    expect(rollbackTarget(list)?.id).toBe('new');
    expect(rollbackTarget(list, Date.UTC(2026, 0, 1, 11, 55))?.id).toBe('old');
    expect(rollbackTarget([deployment('old', 'REMOVED', 60, false), deployment('older', 'REMOVED', 90)], Date.UTC(2026, 0, 1, 12, 0))?.id).toBe('older');
    expect(rollbackTarget([deployment('only', 'FAILED', 5)])).toBeUndefined();
  });
});

describe('npm run deploy (the CLI in a child process)', () => {
  /** Runs the CLI without blocking this process, which serves the fake. */
  function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'cli/index.ts', ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }
  const fastEnv = () => ({ ...railwayEnv(), DEPLOY_POLL_INTERVAL_SECONDS: '0.01', DEPLOY_TIMEOUT_SECONDS: '5' });
  const toHealthServers = () => [
    '--health-window',
    '0.2',
    '--map-origin',
    `https://frontend.railway.staging.voice.example.com=${frontendHealth.origin}`,
    `https://jitsi-web.railway.staging.voice.example.com=${webHealth.origin}`,
  ];

  it('deploys and prints the JSON report on stdout, progress on stderr', async () => {
    const result = await cli(['deploy', '--env', 'staging', '--services', 'mcp-server', '--json'], fastEnv());
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ environment: 'staging', ok: true, exitCode: 0, failedAt: null, services: [{ service: 'mcp-server', result: 'deployed' }] });
    expect(result.stderr).toMatch(/^staging: mcp-server deploying… \(\d+ s\)$/m);
    expect(mutations()).toEqual(['serviceInstanceDeployV2(mcp-server)']);
  });

  it('exits 3 when a rollback fails, and 1 with a clear message for a bad token', async () => {
    await useFake({ behaviour: { 'mcp-server': { deploy: 'failed' }, 'jitsi-web': { rollback: 'failed' } } });
    const failed = await cli(['deploy', '--env', 'staging', '--services', 'jitsi-web,mcp-server', ...toHealthServers()], fastEnv());
    expect(failed.status).toBe(3);
    expect(failed.stderr).toMatch(/^error: deploy to staging failed at mcp-server .*jitsi-web needs a human: /m);
    expect(failed.stdout).toMatch(/^jitsi-web +rollback-failed /m);
    const bad = await cli(['deploy', '--env', 'staging', '--services', 'mcp-server'], { ...fastEnv(), RAILWAY_API_TOKEN: 'bad-token-in-child-0042' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error: the Railway API rejected RAILWAY_API_TOKEN/m);
    expect(bad.stdout + bad.stderr).not.toContain('bad-token-in-child-0042');
  });

  it('--help documents the environment variables and exit codes', async () => {
    const result = await cli(['deploy', '--help'], {});
    expect(result.status).toBe(0);
    for (const text of ['--plan-from <ref>', '--services <names>', '--rollback <service>', '--timeout <seconds>', '--json', 'RAILWAY_API_TOKEN', 'RAILWAY_TOKEN_KIND', 'RAILWAY_PROJECT_ID', 'RAILWAY_API_URL', '3 a rollback failed too']) {
      expect(result.stdout).toContain(text);
    }
  });
});
