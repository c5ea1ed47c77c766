import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { nodeHttpHealthCheck } from '../constructs/node-health-check.ts';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { createTestDatabase } from '../services/mcp-server/test/helpers/mcp.ts';
import { execForm, parseDockerfile, parseImageRef } from './helpers/dockerfile.ts';
import { freePort } from './helpers/free-port.ts';
import { applySteps, parseSection, sectionOf, type ReadmeSection } from './readme-add-service-steps.ts';

/**
 * README.md's "Adding a service", followed on a copy of the repository: the blocks marked
 * `<!-- file: … -->` and `<!-- insert: … after: … -->` (see readme-add-service-steps.ts) are
 * written and inserted as a reader would, then the lock file step, synth, validate, the type
 * checker and the service itself show that what the README says comes true. The real repository
 * is only read.
 *
 * The copy is every file git tracks or would add, copied (never hard-linked: the steps edit some
 * of them), and node_modules as a symlink to this repository's, added only after the npm steps so
 * npm never sees it.
 */

const SERVICE = 'notes';
const SECRET = 'NOTES_API_TOKEN';
const STALE_LOCK = 'Missing: @voice-agent/notes@0.1.0 from lock file';
const LOCK_STEP = ['install', '--package-lock-only', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'];
/** What CI and every image build run, checked without installing: it validates the lock file first. */
const CLEAN_INSTALL = ['ci', '--dry-run', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'];
/** The node user and group of the Node image, which the README's construct and Dockerfile name. */
const RUN_AS = '1000:1000';

let copy: string;
let section: ReadmeSection;
let ciBeforeLockStep: SpawnSyncReturns<string>;
let lockStep: SpawnSyncReturns<string>;
let ciAfterLockStep: SpawnSyncReturns<string>;
let synth: SpawnSyncReturns<string>;
let typeChecks: ReturnType<typeof startTypeChecks>;

/** The environment without npm's own variables (npm_config_local_prefix would point npm at this repository). */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name))), ...extra };
}

function npm(args: string[]): SpawnSyncReturns<string> {
  return spawnSync('npm', args, { cwd: copy, encoding: 'utf8', env: cleanEnv(), timeout: 60_000 });
}

/** Runs a TypeScript file of the copy, as the npm scripts run the CLI. */
function script(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: copy, encoding: 'utf8', env: cleanEnv(), timeout: 60_000 });
}

function cli(args: string[]): SpawnSyncReturns<string> {
  return script(['cli/index.ts', ...args]);
}

function read(path: string): string {
  return readFileSync(join(copy, path), 'utf8');
}

function copyRepository(): string {
  const target = mkdtempSync(join(tmpdir(), 'readme-add-service-'));
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(REPO_ROOT, file))) continue; // deleted in the working tree but still tracked
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(join(REPO_ROOT, file), join(target, file));
  }
  return target;
}

/** Runs a command to its end without blocking the event loop (two type checks run side by side). */
function run(command: string, args: string[], cwd: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

/**
 * Slow (10 to 20 s, so started as soon as node_modules is in place and awaited by its test): the
 * type checker on what the steps touch, the constructs and the environment files that build the
 * stack (the whole project takes twice as long), and on the service's own sources.
 */
function startTypeChecks(): Promise<Record<'constructs' | 'service', { status: number | null; output: string }>> {
  writeFileSync(join(copy, 'tsconfig.readme.json'), JSON.stringify({ extends: './tsconfig.json', include: ['constructs', 'environments', 'dev'] }));
  const tsc = join(copy, 'node_modules/typescript/bin/tsc');
  return Promise.all([
    run(process.execPath, [tsc, '--noEmit', '--listFiles', '-p', 'tsconfig.readme.json'], copy),
    run(process.execPath, [tsc, '--noEmit', '-p', 'services/notes'], copy),
  ]).then(([constructs, service]) => ({ constructs, service }));
}

function stepContent(path: string): string {
  const step = section.steps.find((candidate) => candidate.path === path);
  if (step === undefined) throw new Error(`README "Adding a service" has no block for ${path}`);
  return step.content;
}

beforeAll(() => {
  section = parseSection(sectionOf(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'), 'Adding a service'));
  copy = copyRepository();
  applySteps(copy, section.steps);
  // Fast (a few seconds each): npm reads the lock file and the workspaces' package.json, nothing is downloaded.
  ciBeforeLockStep = npm(CLEAN_INSTALL);
  lockStep = npm(LOCK_STEP);
  ciAfterLockStep = npm(CLEAN_INSTALL);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  typeChecks = startTypeChecks();
  // Slow (about 3 s): every environment rendered by the copy's own CLI.
  synth = cli(['synth']);
  if (synth.status !== 0) throw new Error(`synth of the README's steps failed:\n${synth.stderr}`);
}, 120_000);

afterAll(async () => {
  // The type checks read the copy: let them end before it goes, whatever failed first.
  if (typeChecks !== undefined) await typeChecks.catch(() => undefined);
  if (copy !== undefined) rmSync(copy, { recursive: true, force: true });
}, 90_000);

describe('README "Adding a service"', () => {
  it('marks every block but shell commands, and tells the reader which file each goes in', () => {
    expect(section.unmarkedLanguages.filter((language) => language !== 'sh')).toEqual([]);
    expect(section.steps.map((step) => `${step.kind} ${step.path}`)).toEqual(
      expect.arrayContaining([
        'file services/notes/package.json',
        'file services/notes/src/main.ts',
        'file services/notes/Dockerfile',
        'file constructs/notes.ts',
        'insert constructs/voice-agent-stack.ts',
        'insert constructs/secret-catalog.ts',
      ]),
    );
    section.steps.forEach((step, index) => {
      const sameFileAsBefore = index > 0 && section.steps[index - 1]!.path === step.path;
      if (!sameFileAsBefore) expect(step.prose, `the prose before the block for ${step.path} names it`).toContain(`\`${step.path}\``);
    });
  });

  it('makes npm ci refuse the lock file until the lock step, and accept it after', () => {
    expect(ciBeforeLockStep.status).not.toBe(0);
    expect(ciBeforeLockStep.stderr).toContain(STALE_LOCK);
    // The README quotes npm's own words, and runs the step the test runs.
    expect(section.text).toContain(`\`${STALE_LOCK}\``);
    expect(section.text).toContain(`\`npm ${LOCK_STEP.slice(0, 3).join(' ')}\``);
    expect(section.shellBlocks.some((block) => /^npm install\b/m.test(block))).toBe(true);

    expect(lockStep.status, lockStep.stderr).toBe(0);
    expect(ciAfterLockStep.status, ciAfterLockStep.stderr).toBe(0);
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { name?: string; dependencies?: Record<string, string>; link?: boolean; resolved?: string }> };
    expect(lock.packages['services/notes']).toMatchObject({ name: '@voice-agent/notes', dependencies: { pg: '8.23.1' } });
    expect(lock.packages['node_modules/@voice-agent/notes']).toEqual({ resolved: 'services/notes', link: true });
  });

  it('renders the service on Compose as its user, with its health check, after Postgres', () => {
    const compose = parseYaml(read('dist/compose/development/compose.yaml')) as {
      services: Record<string, { user?: string; healthcheck?: { test: string[] }; environment?: Record<string, string>; depends_on?: Record<string, { condition: string }> }>;
    };
    const notes = compose.services[SERVICE];
    expect(notes?.user).toBe(RUN_AS);
    expect(notes?.healthcheck?.test).toEqual(['CMD', ...nodeHttpHealthCheck(8080, '/health').exec!]);
    expect(notes?.environment?.[SECRET]).toMatch(/^\$\{NOTES_API_TOKEN:\?/);
    expect(notes?.environment?.['DATABASE_URL']).toMatch(/^postgres(ql)?:\/\/.*@postgres:5432\//);
    expect(notes?.depends_on?.['postgres']).toEqual({ condition: 'service_healthy' });
  });

  it('renders the service on Kubernetes running as its user, probed at /health, its token from the Doppler Secret', () => {
    for (const environment of ['staging', 'production']) {
      const objects = parseAllDocuments(read(`dist/kubernetes/${environment}/notes.yaml`)).map((document) => document.toJS() as { kind: string; spec?: any });
      const deployment = objects.find((object) => object.kind === 'Deployment');
      expect(deployment, `dist/kubernetes/${environment}/notes.yaml has a Deployment`).toBeDefined();
      const pod = deployment!.spec.template.spec;
      const container = pod.containers[0];
      expect(pod.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000 });
      expect(container.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, readOnlyRootFilesystem: true });
      expect(container.image).toMatch(/^ghcr\.io\/acme\/voice-agent\/notes:sha-[0-9a-f]+$/);
      expect(container.livenessProbe.httpGet).toMatchObject({ path: '/health', port: 8080 });
      const token = container.env.find((variable: { name: string }) => variable.name === SECRET);
      expect(token?.valueFrom?.secretKeyRef?.key).toBe(SECRET);
    }
  });

  it('renders the service on Railway, built from GitHub with its Dockerfile, /health gating its deploys', () => {
    expect(read('.railway/railway.ts')).toContain(`service("${SERVICE}", {`);
    for (const environment of ['staging', 'production']) {
      const plan = JSON.parse(read(`dist/railway/${environment}.json`)) as { resources: Array<{ name: string; build?: any; deploy?: any; variables?: any }> };
      const notes = plan.resources.find((resource) => resource.name === SERVICE);
      expect(notes?.build).toMatchObject({ builder: 'DOCKERFILE', dockerfilePath: 'services/notes/Dockerfile' });
      expect(notes?.deploy?.healthcheckPath).toBe('/health');
      expect(notes?.variables?.[SECRET]).toEqual({ type: 'sharedReference', name: SECRET });
    }
    // Railway runs the image's USER, which the README's Dockerfile sets to runAs; synth says so.
    expect(synth.stdout).toMatch(/railway: field "runAs" of [^(]*"notes"[^(]*\(1000:1000\)/);
  });

  it("lists the secret for each environment, in .env.example with the catalog's purpose, and synth notes nothing missing from the catalog", () => {
    expect(`${synth.stdout}${synth.stderr}`).not.toContain('no entry in constructs/secret-catalog.ts');
    const staging = JSON.parse(read('dist/secrets/staging.json')) as { services: Record<string, Record<string, string[]>> };
    const development = JSON.parse(read('dist/secrets/development.json')) as { services: Record<string, Record<string, string[]>> };
    expect(staging.services[SERVICE]?.[SECRET]).toEqual(['kubernetes', 'railway']);
    expect(development.services[SERVICE]?.[SECRET]).toEqual(['compose']);

    const purpose = /purpose: '([^']+)'/.exec(stepContent('constructs/secret-catalog.ts'))?.[1];
    expect(purpose).toBeDefined();
    expect(read('dist/compose/development/.env.example')).toContain(
      `# ${purpose}\n#   read by: ${SERVICE}\n#   rule: at least 32 characters\n#   make one: openssl rand -hex 32\n${SECRET}=\n`,
    );
    expect(read('doppler.yaml')).toContain('path: services/notes\n');
  });

  it('makes secrets check hold the token to its rule', () => {
    writeFileSync(join(copy, 'dist/compose/development/.env'), `${SECRET}=too-short\n`);
    const check = cli(['secrets', 'check', '--env', 'development', '--dotenv']);
    expect(check.status).toBe(1);
    const notes = check.stdout.slice(check.stdout.indexOf(` ${SERVICE} `));
    expect(notes.split('\n').find((line) => line.includes(SECRET))).toMatch(/shorter than 32 characters/);
    expect(check.stdout).not.toContain('too-short');
  });

  it('passes validate', () => {
    // Slow (about 5 s): every rendered file against its schema.
    const validate = cli(['validate']);
    expect(validate.status, `${validate.stdout}${validate.stderr}`).toBe(0);
  });

  it("type-checks the README's construct and stack edits, and the service's sources", async () => {
    const { constructs, service } = await typeChecks;
    expect(constructs.output).toContain(join(copy, 'constructs/notes.ts'));
    expect(constructs.status, constructs.output).toBe(0);
    expect(service.status, service.output).toBe(0);
  }, 90_000);

  it('gives the Dockerfile the USER of runAs and pinned Node images, and copies exactly the build paths into it', () => {
    const dockerfile = parseDockerfile(read('services/notes/Dockerfile'));
    const runtime = dockerfile.stages.at(-1)!;
    expect(runtime.instructions.filter((instruction) => instruction.keyword === 'USER').at(-1)?.args).toBe(RUN_AS);
    for (const stage of dockerfile.stages.filter((candidate) => !dockerfile.stages.some((other) => other.alias === candidate.base))) {
      expect(parseImageRef(stage.base)).toMatchObject({ name: 'node', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    }
    const command = execForm(runtime.instructions.find((instruction) => instruction.keyword === 'CMD')!.args);
    expect(command?.[0]).toBe('node');
    expect(existsSync(join(copy, command![1]!)), `the image's CMD runs ${command![1]}`).toBe(true);

    // The check test/services/build-paths.test.ts holds every built service to, on the copy.
    const checked = script(['test/readme-add-service-build-paths.ts', SERVICE]);
    expect(checked.status, checked.stderr).toBe(0);
    const { build, problems } = JSON.parse(checked.stdout) as { build: { paths: string[] }; problems: string[] };
    expect(problems).toEqual([]);
    expect(build.paths).toContain('services/notes/src');
  });

  it('runs the service under npm run dev -- --only notes, against the local PostgreSQL, and stops it on SIGINT', async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    const dev = spawn(process.execPath, ['--import', 'tsx', 'dev/index.ts', '--only', SERVICE], {
      cwd: copy,
      env: cleanEnv({ DEV_NOTES_PORT: String(port), DEV_POSTGRES_URL: database.url }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    dev.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => dev.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        dev.stdout.on('data', () => output.includes('dev: all 1 are ready') && resolve());
        void exited.then((code) => reject(new Error(`npm run dev exited (${code}) before notes was ready:\n${output}`)));
      });
      expect(output).toMatch(new RegExp(`ready {2}notes +http://127\\.0\\.0\\.1:${port} +services/notes \\(src/main\\.ts\\)`));
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      dev.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (dev.exitCode === null) dev.kill('SIGKILL');
      await database.drop();
    }
  }, 90_000);

  it('runs the service with its start script against a real Postgres: /health, the token, the notes, a clean stop', async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    const token = randomBytes(32).toString('hex');
    const start = (JSON.parse(read('services/notes/package.json')) as { scripts: { start: string } }).scripts.start.split(' ');
    expect(start[0]).toBe('node');
    const service = spawn(process.execPath, start.slice(1), {
      cwd: join(copy, 'services/notes'),
      env: cleanEnv({ PORT: String(port), DATABASE_URL: database.url, NOTES_API_TOKEN: token }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    service.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    service.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => service.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        service.stdout.on('data', () => output.includes(`listening on ${port}`) && resolve());
        void exited.then((code) => reject(new Error(`notes exited (${code}) before listening:\n${output}`)));
      });
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/notes`)).status).toBe(401);
      expect((await fetch(`${base}/notes`, { headers: { authorization: `Bearer ${'0'.repeat(64)}` } })).status).toBe(401);

      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query("INSERT INTO notes (text) VALUES ('call the plumber')");
      await client.end();
      const notes = await fetch(`${base}/notes`, { headers: { authorization: `Bearer ${token}` } });
      expect(notes.status).toBe(200);
      expect(await notes.json()).toEqual([{ id: 1, text: 'call the plumber' }]);

      service.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).not.toContain(token);
    } finally {
      if (service.exitCode === null) service.kill('SIGKILL');
      await database.drop();
    }
  });
});
