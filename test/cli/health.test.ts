import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../../cli/cli-error.ts';
import { environmentByName } from '../../cli/environment-by-name.ts';
import { health, type HealthOptions, type HealthReport } from '../../cli/health.ts';
import { healthEndpoints } from '../../cli/health/health-endpoints.ts';
import { mappedUrl, parseOriginMap } from '../../cli/health/origin-map.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { startHealthServer, type HealthServer } from '../fakes/fake-railway.ts';

/** Staging's public health endpoints: the Kubernetes Ingress hosts and the Railway custom domains. */
const STAGING = {
  kubernetesConsole: 'https://console.staging.voice.example.com',
  kubernetesMeet: 'https://meet.staging.voice.example.com',
  railwayConsole: 'https://frontend.railway.staging.voice.example.com',
  railwayMeet: 'https://jitsi-web.railway.staging.voice.example.com',
};

let servers: Record<keyof typeof STAGING, HealthServer>;

beforeEach(async () => {
  servers = {
    kubernetesConsole: await startHealthServer(),
    kubernetesMeet: await startHealthServer(),
    railwayConsole: await startHealthServer(),
    railwayMeet: await startHealthServer(),
  };
});

afterEach(async () => {
  for (const server of Object.values(servers)) await server.close();
});

/** Every staging origin sent to its local server. */
function mapOrigins(): string[] {
  return (Object.keys(STAGING) as Array<keyof typeof STAGING>).map((key) => `${STAGING[key]}=${servers[key].origin}`);
}

async function run(options: Partial<HealthOptions> = {}): Promise<{ report?: HealthReport; error?: CliError; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  try {
    const report = await health({ env: 'staging', timeoutSeconds: 2, mapOrigin: mapOrigins(), stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), ...options });
    return { report, stdout, stderr };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { error, stdout, stderr };
  }
}

describe('healthEndpoints', () => {
  it('staging: the Kubernetes Ingress hostnames and the Railway custom domains of the public services, with their health paths', async () => {
    const { endpoints, skipped } = healthEndpoints(await environmentByName('staging'));
    expect(endpoints).toEqual([
      { service: 'frontend', target: 'railway', url: `${STAGING.railwayConsole}/api/health` },
      { service: 'jitsi-web', target: 'railway', url: `${STAGING.railwayMeet}/` },
      { service: 'frontend', target: 'kubernetes', url: `${STAGING.kubernetesConsole}/api/health` },
      { service: 'jitsi-web', target: 'kubernetes', url: `${STAGING.kubernetesMeet}/` },
    ]);
    expect(skipped).toEqual([]);
  });

  it('development: the ports Compose publishes on localhost', async () => {
    const { endpoints } = healthEndpoints(await environmentByName('development'));
    expect(endpoints).toEqual([
      { service: 'frontend', target: 'compose', url: 'http://localhost:3000/api/health' },
      { service: 'jitsi-web', target: 'compose', url: 'http://localhost:8000/' },
    ]);
  });

  it('--map-origin replaces only the origin it names', () => {
    const map = parseOriginMap(['https://console.example.com=http://127.0.0.1:3000']);
    expect(mappedUrl('https://console.example.com/api/health?x=1', map)).toBe('http://127.0.0.1:3000/api/health?x=1');
    expect(mappedUrl('https://meet.example.com/', map)).toBe('https://meet.example.com/');
    expect(() => parseOriginMap(['console.example.com'])).toThrow('--map-origin needs <from>=<to> with two origins');
  });
});

describe('health --env', () => {
  it('checks every endpoint on every target and prints a table', async () => {
    const result = await run();
    expect(result.error).toBeUndefined();
    expect(servers.kubernetesConsole.requests).toEqual(['/api/health']);
    expect(servers.railwayConsole.requests).toEqual(['/api/health']);
    expect(servers.kubernetesMeet.requests).toEqual(['/']);
    expect(servers.railwayMeet.requests).toEqual(['/']);
    expect(result.stdout).toMatch(/^service +target +URL +status +latency$/m);
    expect(result.stdout).toMatch(/^frontend +kubernetes +https:\/\/console\.staging\.voice\.example\.com\/api\/health +200 ok +\d+ ms$/m);
    expect(result.stdout).toMatch(/^jitsi-web +railway +https:\/\/jitsi-web\.railway\.staging\.voice\.example\.com\/ +200 ok +\d+ ms$/m);
    expect(result.report?.checks).toHaveLength(4);
    expect(result.stderr).toBe('staging: checking 4 health endpoint(s) on railway, kubernetes…\n');
  });

  it('exits 1 naming the failing checks, after printing the whole table', async () => {
    servers.kubernetesConsole.status = 503;
    const result = await run();
    expect(result.error?.exitCode).toBe(1);
    expect(result.error?.message).toBe('1 of 4 health check(s) failed in staging: frontend on kubernetes (503 failing)');
    expect(result.stdout).toMatch(/^frontend +kubernetes +\S+ +503 failing +\d+ ms$/m);
    expect(result.stdout).toMatch(/^frontend +railway +\S+ +200 ok +\d+ ms$/m);
  });

  it('gives up on a slow endpoint at the timeout', async () => {
    servers.railwayMeet.delayMs = 1000;
    const result = await run({ timeoutSeconds: 0.2 });
    expect(result.error?.message).toBe('1 of 4 health check(s) failed in staging: jitsi-web on railway (no answer within 0.2 s)');
  });

  it('reports an endpoint nobody answers', async () => {
    const origin = servers.railwayConsole.origin;
    await servers.railwayConsole.close();
    const result = await run({ targets: ['railway'] });
    expect(result.error?.message).toMatch(/^1 of 2 health check\(s\) failed in staging: frontend on railway \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)$/);
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('--target and --json', async () => {
    const result = await run({ targets: ['railway'], json: true });
    expect(result.error).toBeUndefined();
    const report = JSON.parse(result.stdout) as HealthReport;
    expect(report.ok).toBe(true);
    expect(report.checks.map((check) => [check.service, check.target, check.url, check.httpStatus, check.ok])).toEqual([
      ['frontend', 'railway', `${STAGING.railwayConsole}/api/health`, 200, true],
      ['jitsi-web', 'railway', `${STAGING.railwayMeet}/`, 200, true],
    ]);
    expect(report.checks[0]?.requestedUrl).toBe(`${servers.railwayConsole.origin}/api/health`);
    expect(servers.kubernetesConsole.requests).toEqual([]);
  });

  it('an unknown environment, or a target it does not render, is an error', async () => {
    expect((await run({ env: 'qa' })).error?.message).toBe('unknown environment "qa": the environment files define "development", "staging", "production"');
    expect((await run({ env: 'development', targets: ['railway'] })).error?.message).toBe(
      'environment "development" does not render the railway target (it renders compose)',
    );
  });
});

describe('npm run health (the CLI in a child process)', () => {
  function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'cli/index.ts', ...args], { cwd: REPO_ROOT });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  it('exits 0 when every check passes and 1 when one fails', async () => {
    const ok = await cli(['health', '--env', 'staging', '--map-origin', ...mapOrigins()]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout.split('\n').filter((line) => / 200 ok /.test(line))).toHaveLength(4);
    servers.railwayMeet.status = 500;
    const failing = await cli(['health', '--env', 'staging', '--timeout', '2', '--map-origin', ...mapOrigins()]);
    expect(failing.status).toBe(1);
    expect(failing.stderr).toContain('error: 1 of 4 health check(s) failed in staging: jitsi-web on railway (500 failing)\n');
  });
});
