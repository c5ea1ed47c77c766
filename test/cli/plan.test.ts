import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { DEFAULT_IMAGE_PLATFORM } from '../../charts/images.ts';
import type { DeployPlan } from '../../cli/plan/plan-types.ts';

/**
 * `plan` on scripted histories: a copy of this repository in a temporary git repository, one
 * commit as the base, then the kind of change a Renovate PR or a developer makes; the plan must
 * name exactly the services that change, in dependency order.
 */
let repo: string;
let base: string;

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function runCli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'cli/index.ts', ...args], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function plan(): DeployPlan {
  const result = runCli('plan', base, '--format', 'json');
  if (result.status !== 0) throw new Error(`plan failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as DeployPlan;
}

/** Services to redeploy per environment, in plan order. */
function services(result: DeployPlan): Record<string, string[]> {
  return Object.fromEntries(result.environments.map((environment) => [environment.environment, environment.changes.map((change) => change.service)]));
}

function edit(file: string, change: (text: string) => string): void {
  const path = join(repo, file);
  const before = readFileSync(path, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`the edit of ${file} changed nothing`);
  writeFileSync(path, after);
}

/**
 * What Renovate's "TEN Framework" pull request changes: the TEN sources and the build image, in
 * environments/versions.ts and in the ten-agent Dockerfile alike.
 */
function bumpTen(): void {
  edit('environments/versions.ts', (text) =>
    text.replace(/TEN_VERSION = '[0-9.]+'/, "TEN_VERSION = '0.11.80'").replace(/TEN_AGENT_BUILD_VERSION = '[0-9.]+'/, "TEN_AGENT_BUILD_VERSION = '0.7.15'"),
  );
  edit('services/ten-agent/Dockerfile', (text) =>
    text.replace(/ARG TEN_VERSION=[0-9.]+/, 'ARG TEN_VERSION=0.11.80').replace(/ten_agent_build:[0-9.]+/, 'ten_agent_build:0.7.15'),
  );
}

/** Bumps a package in the lock file the way npm writes it: version, resolved integrity, and the specs naming it. */
function bumpLockedPackage(lockPath: string, version: string, dependents: string[]): void {
  edit('package-lock.json', (text) => {
    const lock = JSON.parse(text) as { packages: Record<string, { version?: string; integrity?: string; dependencies?: Record<string, string> }> };
    const entry = lock.packages[lockPath]!;
    entry.version = version;
    entry.integrity = `sha512-${Buffer.from(version).toString('base64')}`;
    const name = lockPath.slice(lockPath.lastIndexOf('node_modules/') + 'node_modules/'.length);
    for (const dependent of dependents) lock.packages[dependent]!.dependencies![name] = version;
    return `${JSON.stringify(lock, null, 2)}\n`;
  });
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'plan-history-'));
  const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of tracked) {
    try {
      mkdirSync(dirname(join(repo, file)), { recursive: true });
      cpSync(join(REPO_ROOT, file), join(repo, file));
    } catch {
      // Deleted in the working tree but still tracked.
    }
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=test', '-c', 'user.email=test@example.test', 'add', '-A');
  git('-c', 'user.name=test', '-c', 'user.email=test@example.test', 'commit', '-q', '-m', 'base');
  // The base commit must carry its own rendered output, as every commit on main does.
  const synth = runCli('synth');
  if (synth.status !== 0) throw new Error(synth.stderr);
  git('-c', 'user.name=test', '-c', 'user.email=test@example.test', 'commit', '-q', '-am', 'render', '--allow-empty');
  base = git('rev-parse', 'HEAD');
}, 120_000);

beforeEach(() => {
  git('checkout', '-q', '--', '.');
  git('clean', '-q', '-fd', '-e', 'node_modules');
});

afterAll(() => {
  if (repo !== undefined) rmSync(repo, { recursive: true, force: true });
});

const ALL = ['development', 'staging', 'production'];
const everywhere = (names: string[]) => Object.fromEntries(ALL.map((environment) => [environment, names]));

describe('plan', () => {
  it('plans nothing for documentation, tests, or a tool only the repository uses', () => {
    edit('README.md', (text) => `${text}\nA new paragraph.\n`);
    edit('services/mcp-server/README.md', (text) => text.replace('# MCP server', '# MCP server (tools)'));
    edit('services/mcp-server/test/config.test.ts', (text) => `${text}\n// a comment\n`);
    bumpLockedPackage('node_modules/vitest', '4.9.0', ['']);
    const result = plan();
    expect(services(result)).toEqual(everywhere([]));
    expect(result.images).toEqual([]);
    expect(runCli('plan', base).stdout).toContain('staging [railway, kubernetes]: nothing to redeploy');
  });

  it('plans exactly the four Jitsi services for a Jitsi bump, XMPP server first', () => {
    edit('environments/versions.ts', (text) => text.replace(/JITSI_VERSION = 'stable-[0-9-]+'/, "JITSI_VERSION = 'stable-11200'"));
    const result = plan();
    for (const environment of ALL) {
      const planned = services(result)[environment]!;
      expect(new Set(planned)).toEqual(new Set(['jitsi-prosody', 'jitsi-jicofo', 'jitsi-jvb', 'jitsi-web']));
      expect(planned[0]).toBe('jitsi-prosody');
    }
    const staging = result.environments.find((environment) => environment.environment === 'staging')!;
    const web = staging.changes.find((change) => change.service === 'jitsi-web')!;
    expect(web.targets).toEqual(['kubernetes', 'railway']);
    // A new image is a new pod template on Kubernetes and a new deployment on Railway.
    expect(web.restartsOn).toEqual(['kubernetes', 'railway']);
    expect(web.reasons).toContain('image ghcr.io/jitsi/web:stable-11146-2 → ghcr.io/jitsi/web:stable-11200');
    // The video bridge runs off Railway, from the media host's Compose file: still planned for railway.
    expect(staging.changes.find((change) => change.service === 'jitsi-jvb')?.targets).toEqual(['kubernetes', 'railway']);
    expect(result.images).toEqual([]);
  });

  it('plans only the TEN agent for a TEN bump, and names its image to build', () => {
    bumpTen();
    const result = plan();
    // Kubernetes runs it as one StatefulSet; Compose and Railway run each replica as a service of
    // its own, which Railway deploys one by one in replica order.
    expect(services(result)).toEqual({ development: ['ten-agent-0'], staging: ['ten-agent', 'ten-agent-0'], production: ['ten-agent', 'ten-agent-0', 'ten-agent-1'] });
    expect(result.environments[2]!.changes.map((change) => change.targets)).toEqual([['kubernetes'], ['railway'], ['railway']]);
    expect(result.environments[1]!.changes[0]!.reasons).toEqual(expect.arrayContaining(['code: services/ten-agent/Dockerfile']));
    expect(result.environments[2]!.changes[2]!.reasons).toEqual(expect.arrayContaining(['code: services/ten-agent/Dockerfile']));
    expect(result.images.map((image) => image.service)).toEqual(['ten-agent']);
    expect(result.images[0]?.image).toMatch(/^ghcr\.io\/acme\/voice-agent\/ten-agent:sha-[0-9a-f]{12}$/);
    // The TEN agent declares linux/amd64 (its base images are published for it only).
    expect(result.images[0]?.platforms).toBe('linux/amd64');
  });

  it('plans only the MCP server when only its MCP SDK moves, and names the package', () => {
    // npm nests a version only one workspace uses under that workspace.
    edit('package-lock.json', (text) => {
      const lock = JSON.parse(text) as { packages: Record<string, Record<string, unknown>> };
      lock.packages['services/mcp-server/node_modules/@modelcontextprotocol/server'] = { ...lock.packages['node_modules/@modelcontextprotocol/server'], version: '2.5.0', integrity: 'sha512-bumped' };
      (lock.packages['services/mcp-server']!['dependencies'] as Record<string, string>)['@modelcontextprotocol/server'] = '2.5.0';
      return `${JSON.stringify(lock, null, 2)}\n`;
    });
    edit('services/mcp-server/package.json', (text) => text.replace(/"@modelcontextprotocol\/server": "[^"]+"/, '"@modelcontextprotocol/server": "2.5.0"'));
    const result = plan();
    expect(services(result)).toEqual(everywhere(['mcp-server']));
    const change = result.environments[1]!.changes[0]!;
    expect(change.reasons).toContain('dependencies: @modelcontextprotocol/server 2.4.0 → 2.5.0');
    expect(change.reasons.some((reason) => reason.startsWith('code: services/mcp-server/package.json'))).toBe(true);
    expect(result.images.map((image) => image.service)).toEqual(['mcp-server']);
    expect(result.images[0]?.image).toMatch(/^ghcr\.io\/acme\/voice-agent\/mcp-server:sha-[0-9a-f]{12}$/);
    // The MCP server declares no platform: the default one.
    expect(result.images[0]?.platforms).toBe(DEFAULT_IMAGE_PLATFORM);
  });

  it("plans the MCP server before the console when Renovate's MCP SDK group bumps the server and the client in one PR", () => {
    bumpLockedPackage('node_modules/@modelcontextprotocol/server', '2.5.0', ['services/mcp-server']);
    bumpLockedPackage('node_modules/@modelcontextprotocol/client', '2.5.0', ['services/frontend']);
    expect(services(plan())).toEqual(everywhere(['mcp-server', 'frontend']));
  });

  it("plans only a service whose own code changed, and not for its tests", () => {
    edit('services/frontend/lib/jitsi-token.ts', (text) => `${text}\n// a change\n`);
    edit('services/frontend/test/session.test.ts', (text) => `${text}\n// a change\n`);
    const result = plan();
    expect(services(result)).toEqual(everywhere(['frontend']));
    expect(result.environments[0]!.changes[0]!.reasons).toEqual(['code: services/frontend/lib/jitsi-token.ts']);
  });

  it('plans the Jitsi agent bridge for its own code and for the browser driver only its image installs, with its image to build', () => {
    edit('services/jitsi-agent-bridge/src/config.ts', (text) => `${text}\n// a change\n`);
    edit('services/jitsi-agent-bridge/README.md', (text) => `${text}\nA new paragraph.\n`);
    const code = plan();
    expect(services(code)).toEqual(everywhere(['jitsi-agent-bridge']));
    expect(code.environments[0]!.changes[0]!.reasons).toEqual(['code: services/jitsi-agent-bridge/src/config.ts']);
    expect(code.images.map((image) => image.service)).toEqual(['jitsi-agent-bridge']);
    expect(code.images[0]?.image).toMatch(/^ghcr\.io\/acme\/voice-agent\/jitsi-agent-bridge:sha-[0-9a-f]{12}$/);
    git('checkout', '-q', '--', '.');
    // The repository's own tests use playwright-core too, as a root devDependency no image installs.
    edit('package-lock.json', (text) => {
      const lock = JSON.parse(text) as { packages: Record<string, { version?: string; integrity?: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> }> };
      lock.packages['node_modules/playwright-core'] = { ...lock.packages['node_modules/playwright-core'], version: '1.66.0', integrity: 'sha512-bumped' };
      lock.packages['services/jitsi-agent-bridge']!.dependencies!['playwright-core'] = '1.66.0';
      lock.packages['']!.devDependencies!['playwright-core'] = '1.66.0';
      return `${JSON.stringify(lock, null, 2)}\n`;
    });
    const driver = plan();
    expect(services(driver)).toEqual(everywhere(['jitsi-agent-bridge']));
    expect(driver.environments[0]!.changes[0]!.reasons).toContain('dependencies: playwright-core 1.65.1 → 1.66.0');
  });

  it("plans the MCP server and the console for what npm reads of the root package.json, and nothing for a root tool's bump", () => {
    // Renovate's bump of a root devDependency: the root package.json and the lock file's root.
    edit('package.json', (text) => text.replace(/"vitest": "[^"]+"/, '"vitest": "4.9.0"'));
    bumpLockedPackage('node_modules/vitest', '4.9.0', ['']);
    const tool = plan();
    expect(services(tool)).toEqual(everywhere([]));
    expect(tool.images).toEqual([]);
    git('checkout', '-q', '--', '.');
    edit('package.json', (text) => text.replace('"workspaces": [', '"overrides": { "zod": "4.6.7" },\n  "workspaces": ['));
    const overrides = plan();
    expect(services(overrides)).toEqual(everywhere(['mcp-server', 'frontend']));
    for (const change of overrides.environments[1]!.changes) expect(change.reasons).toEqual(['root package.json: overrides changed']);
    expect(overrides.images.map((image) => image.service)).toEqual(['frontend', 'mcp-server']);
    // Every image carries the buildx platforms CI builds it for.
    for (const image of overrides.images) expect(Object.keys(image).sort(), image.service).toEqual(['context', 'dockerfile', 'image', 'platforms', 'service']);
  });

  it('sees the off-Railway video bridge change on a media host of another name', () => {
    try {
      edit('environments/staging.ts', (text) => text.replace("offRailway: ['jitsi-jvb'],", "offRailway: ['jitsi-jvb'],\n      offRailwayHost: 'edge-host',"));
      const synth = runCli('synth');
      if (synth.status !== 0) throw new Error(synth.stderr);
      git('-c', 'user.name=test', '-c', 'user.email=test@example.test', 'add', '-A');
      git('-c', 'user.name=test', '-c', 'user.email=test@example.test', 'commit', '-q', '-m', 'edge host');
      const edgeBase = git('rev-parse', 'HEAD');
      expect(git('ls-files', 'dist/railway/staging-edge-host/compose.yaml')).toBe('dist/railway/staging-edge-host/compose.yaml');
      edit('environments/staging.ts', (text) => text.replace("JVB_ADVERTISE_IPS: '203.0.113.20'", "JVB_ADVERTISE_IPS: '203.0.113.21'"));
      const result = runCli('plan', edgeBase, '--format', 'json');
      expect(result.status, result.stderr).toBe(0);
      const staging = (JSON.parse(result.stdout) as DeployPlan).environments.find((environment) => environment.environment === 'staging')!;
      expect(staging.changes.map((change) => `${change.service} (${change.targets.join(', ')})`)).toEqual(['jitsi-jvb (railway)']);
      // A changed variable recreates the bridge's container on the media host.
      expect(staging.changes[0]!.restartsOn).toEqual(['railway']);
    } finally {
      git('reset', '-q', '--hard', base);
    }
  });

  it('plans an override in one environment for that environment only, with why', () => {
    edit('environments/production.ts', (text) => text.replace(/mcpServer: \{([^}]*)replicas: 2/, 'mcpServer: {$1replicas: 3'));
    const result = plan();
    expect(services(result)).toEqual({ development: [], staging: [], production: ['mcp-server'] });
    expect(result.environments[2]!.changes[0]!.reasons).toEqual(expect.arrayContaining(['spec.replicas changed']));
    // Kubernetes scales the Deployment without replacing its pods; Railway takes a new deployment.
    expect(result.environments[2]!.changes[0]!.restartsOn).toEqual(['railway']);
    expect(runCli('plan', base).stdout).toContain('  1. mcp-server (kubernetes, railway): restart on railway, config only on kubernetes\n');
  });

  it('treats a first push (an all-zero base) as everything new, and refuses an unknown ref', () => {
    const first = runCli('plan', '0000000000000000000000000000000000000000', '--format', 'json');
    const everything = JSON.parse(first.stdout) as DeployPlan;
    expect(everything.baseCommit).toBeUndefined();
    expect(everything.environments[1]!.changes.map((change) => change.service)).toContain('postgres');
    expect(everything.environments[1]!.changes[0]!.reasons).toContain('added');

    const unknown = runCli('plan', 'no-such-branch');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('error: unknown git ref "no-such-branch"');
  });

  it('prints a Markdown table for pull requests and a per-service diff for review', () => {
    bumpTen();
    const markdown = runCli('plan', base, '--format', 'markdown').stdout;
    expect(markdown).toContain('| 1 | `ten-agent` | kubernetes |');
    expect(markdown).toContain('| 2 | `ten-agent-0` | railway |');
    expect(markdown).toContain('| 1 | `ten-agent` | kubernetes | restart | code: services/ten-agent/Dockerfile');
    const diff = runCli('diff', base, '--env', 'staging', '--exit-code');
    expect(diff.status).toBe(3);
    expect(diff.stdout).toContain('--- a/staging/ten-agent (kubernetes)');
    expect(diff.stdout).toMatch(/^\+.*image: ghcr\.io\/acme\/voice-agent\/ten-agent:sha-[0-9a-f]{12}$/m);
    expect(diff.stdout).not.toContain('mcp-server');
    expect(runCli('diff', base, '--env', 'nowhere').stderr).toContain('unknown environment "nowhere"');
    const unknownService = runCli('diff', base, '--env', 'staging', '--service', 'nope');
    expect(unknownService.status).toBe(1);
    expect(unknownService.stderr).toContain('error: unknown service "nope": environment "staging" renders "frontend", "jitsi-agent-bridge", ');
  });
});
