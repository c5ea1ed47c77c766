import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../constructs/repo-root.ts';

/**
 * The GitHub Actions workflows (.github/workflows): schema-valid, pinned, least-privilege, and
 * calling only npm scripts and CLI commands that exist, or that are being written right now.
 */

const WORKFLOW_DIR = join(REPO_ROOT, '.github', 'workflows');
const WORKFLOWS = ['ci.yml', 'deploy.yml', 'renovate-render.yml', 'rollback.yml'] as const;
const VALIDATOR = join(REPO_ROOT, 'node_modules', '.bin', 'action-validator');

/**
 * CLI commands the workflows call that other work is adding (npm script and/or CLI registration
 * may not exist yet). Remove a name once its command is registered: from then on its flags are
 * checked against the registration as well.
 */
const PENDING_COMMANDS = new Set(['plan', 'diff', 'deploy', 'health', 'check-updates', 'secrets']);

/** Write permissions a job may hold, by workflow and job; everything else reads at most. */
const ALLOWED_WRITES: Record<string, Record<string, readonly string[]>> = {
  'deploy.yml': { images: ['packages'] },
  'renovate-render.yml': { render: ['pull-requests'] },
};

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: Json | undefined, what: string): JsonObject {
  if (!isObject(value)) throw new Error(`${what} is not a mapping`);
  return value;
}

function text(name: string): string {
  return readFileSync(join(WORKFLOW_DIR, name), 'utf8');
}

function workflow(name: string): JsonObject {
  return object(parse(text(name)) as Json, name);
}

function jobs(name: string): Record<string, JsonObject> {
  const result: Record<string, JsonObject> = {};
  for (const [id, job] of Object.entries(object(workflow(name)['jobs'], `${name} jobs`))) result[id] = object(job, `${name} job ${id}`);
  return result;
}

interface Step {
  readonly workflow: string;
  readonly job: string;
  readonly step: JsonObject;
}

function steps(name: string): Step[] {
  return Object.entries(jobs(name)).flatMap(([job, definition]) => {
    const list = definition['steps'];
    return Array.isArray(list) ? list.map((step) => ({ workflow: name, job, step: object(step, `${name} ${job} step`) })) : [];
  });
}

function allSteps(): Step[] {
  return WORKFLOWS.flatMap((name) => steps(name));
}

/** Every `run:` script of every workflow, with where it is. */
function runScripts(): Array<{ where: string; script: string; env: JsonObject }> {
  return allSteps()
    .filter(({ step }) => typeof step['run'] === 'string')
    .map(({ workflow: name, job, step }) => ({
      where: `${name} ${job} "${String(step['name'] ?? step['run']).split('\n')[0]}"`,
      script: step['run'] as string,
      env: isObject(step['env']) ? step['env'] : {},
    }));
}

/** Every string in a parsed document, with its path of keys. */
function strings(value: Json, path: string[] = []): Array<{ path: string[]; value: string }> {
  if (typeof value === 'string') return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => strings(item, [...path, String(index)]));
  if (isObject(value)) return Object.entries(value).flatMap(([key, item]) => strings(item, [...path, key]));
  return [];
}

function validate(file: string): { status: number | null; output: string } {
  const result = spawnSync(VALIDATOR, [file], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}${result.error?.message ?? ''}` };
}

// ---------------------------------------------------------------------------------------------
// Commands the workflows call.

interface CommandUse {
  readonly where: string;
  /** `script` for `npm run <script>` / `npm test`, `bin` for `npx <bin>`. */
  readonly kind: 'script' | 'bin';
  readonly name: string;
  /** Flags passed after `--` to the script (the CLI's own options). */
  readonly flags: readonly string[];
}

/** Finds `npm run [npm flags] <script> [-- args]`, `npm test` and `npx <bin>` in a script. */
function commandUses(where: string, script: string): CommandUse[] {
  const uses: CommandUse[] = [];
  // One shell command at a time: split on newlines and the usual separators.
  for (const command of script.split(/\n|&&|\|\||;|\|/)) {
    const npmRun = /\bnpm\s+(?:run|run-script)((?:\s+--?[\w-]+)*)\s+([\w:.-]+)(.*)$/.exec(command);
    if (npmRun) {
      const rest = npmRun[3] ?? '';
      const cliArgs = rest.includes(' -- ') || rest.startsWith(' --') ? rest.slice(rest.indexOf('--') + 2) : '';
      const flags = [...cliArgs.replace(/[<>].*$/, '').matchAll(/(?:^|\s)(--[a-z][\w-]*)/g)].map((match) => match[1] as string);
      uses.push({ where, kind: 'script', name: npmRun[2] as string, flags });
      continue;
    }
    if (/\bnpm\s+test\b/.test(command)) uses.push({ where, kind: 'script', name: 'test', flags: [] });
    const npx = /\bnpx\s+(?:--no-install\s+)?([\w@./-]+)/.exec(command);
    if (npx) uses.push({ where, kind: 'bin', name: npx[1] as string, flags: [] });
  }
  return uses;
}

const PACKAGE_SCRIPTS = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

function cliSources(): string[] {
  const files: string[] = [];
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push(path);
    }
  };
  walk(join(REPO_ROOT, 'cli'));
  return files;
}

/** The options a registered CLI command declares, or undefined when no file under cli/ registers it. */
function registeredOptions(command: string): Set<string> | undefined {
  for (const file of cliSources()) {
    const source = readFileSync(file, 'utf8');
    const start = source.search(new RegExp(`\\.command\\(\\s*['"\`]${command.replace(/[-]/g, '\\-')}['"\`]`));
    if (start === -1) continue;
    const next = source.indexOf('.command(', start + 1);
    const block = source.slice(start, next === -1 ? undefined : next);
    return new Set([...block.matchAll(/(?:new Option|\.option|\.requiredOption)\(\s*['"`](?:-\w,\s*)?(--[a-z][\w-]*)/g)].map((match) => match[1] as string));
  }
  return undefined;
}

/** The CLI command an npm script runs (`node --import tsx cli/index.ts <command> --`), if any. */
function cliCommandOf(script: string): string | undefined {
  const body = PACKAGE_SCRIPTS[script];
  if (body === undefined) return PENDING_COMMANDS.has(script) ? script : undefined;
  return /cli\/index\.ts\s+([\w-]+)/.exec(body)?.[1];
}

/** Why a command use is not backed by the repository, or undefined when it is. */
function problemWith(use: CommandUse): string | undefined {
  if (use.kind === 'bin') {
    return existsSync(join(REPO_ROOT, 'node_modules', '.bin', use.name)) ? undefined : `${use.where}: npx ${use.name}: no such binary in node_modules/.bin`;
  }
  const command = cliCommandOf(use.name);
  if (PACKAGE_SCRIPTS[use.name] === undefined && !PENDING_COMMANDS.has(use.name)) return `${use.where}: npm run ${use.name}: no such script in package.json (nor in PENDING_COMMANDS)`;
  if (command === undefined) return use.flags.length > 0 ? `${use.where}: npm run ${use.name} is not a CLI command but gets flags ${use.flags.join(' ')}` : undefined;
  const options = registeredOptions(command);
  if (options === undefined) return PENDING_COMMANDS.has(command) ? undefined : `${use.where}: CLI command "${command}" is not registered under cli/ (nor in PENDING_COMMANDS)`;
  const unknown = use.flags.filter((flag) => !options.has(flag));
  return unknown.length > 0 ? `${use.where}: ${command} does not declare ${unknown.join(', ')} (it declares ${[...options].join(', ') || 'no options'})` : undefined;
}

// ---------------------------------------------------------------------------------------------

const temporary: string[] = [];
afterAll(() => {
  for (const directory of temporary) rmSync(directory, { recursive: true, force: true });
});

describe('the workflow files', () => {
  it('are exactly ci, deploy, renovate-render and rollback', () => {
    expect(readdirSync(WORKFLOW_DIR).sort()).toEqual([...WORKFLOWS].sort());
  });

  it.each(WORKFLOWS)('%s passes action-validator (schema, job graph, expressions)', (name) => {
    const { status, output } = validate(join('.github', 'workflows', name));
    expect(output.trim(), output).toBe('');
    expect(status, output).toBe(0);
  });

  it('action-validator rejects broken copies of them', () => {
    const directory = mkdtempSync(join(tmpdir(), 'workflows-'));
    temporary.push(directory);
    const broken: Array<[file: string, original: string, content: string]> = [
      // A job without runs-on.
      ['no-runs-on.yml', 'ci.yml', text('ci.yml').replace(/^ {4}runs-on: .*\n/gm, '')],
      // Production waiting for a job that does not exist.
      ['dangling-needs.yml', 'deploy.yml', text('deploy.yml').replace('needs: [plan, railway-staging]', 'needs: [plan, railway-staging-typo]')],
      // A concurrency setting of the wrong type.
      ['bad-concurrency.yml', 'rollback.yml', text('rollback.yml').replace('cancel-in-progress: false', 'cancel-in-progress: sometimes')],
      // A step that both runs a script and uses an action.
      ['uses-and-run.yml', 'renovate-render.yml', text('renovate-render.yml').replace('        run: npm run synth\n', '        run: npm run synth\n        uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1\n')],
    ];
    for (const [file, original, content] of broken) {
      expect(content, `${file} must differ from ${original}`).not.toBe(text(original));
      writeFileSync(join(directory, file), content);
      const { status, output } = validate(join(directory, file));
      expect(status, `${file} was accepted`).not.toBe(0);
      expect(output).toContain('errors');
    }
  });

  it('pin every action to a full commit SHA with a release comment, one SHA per action', () => {
    const problems: string[] = [];
    const shaOf = new Map<string, string>();
    const versionOf = new Map<string, string>();
    let count = 0;
    for (const name of WORKFLOWS) {
      const lines = text(name).split('\n');
      const uses = [
        ...steps(name).map(({ step }) => step['uses']),
        ...Object.values(jobs(name)).map((job) => job['uses']),
      ].filter((value): value is string => typeof value === 'string');
      for (const reference of uses) {
        if (reference.startsWith('./')) continue;
        count += 1;
        const match = /^([\w.-]+\/[\w./-]+)@([0-9a-f]{40})$/.exec(reference);
        if (!match) {
          problems.push(`${name}: ${reference} is not pinned to a 40-hex commit SHA`);
          continue;
        }
        const [, action, sha] = match as unknown as [string, string, string];
        const line = lines.find((candidate) => new RegExp(`^\\s*(?:-\\s+)?uses:\\s*${reference.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(\\s|$)`).test(candidate));
        const version = line === undefined ? undefined : /\s#\s*(v\d+\.\d+\.\d+)\s*$/.exec(line)?.[1];
        if (version === undefined) problems.push(`${name}: ${reference} has no "# vX.Y.Z" comment`);
        if (shaOf.has(action) && shaOf.get(action) !== sha) problems.push(`${action} is pinned to two commits (${shaOf.get(action)}, ${sha})`);
        shaOf.set(action, sha);
        if (version !== undefined) {
          if (versionOf.has(sha) && versionOf.get(sha) !== version) problems.push(`${action}@${sha} is labelled ${versionOf.get(sha)} and ${version}`);
          versionOf.set(sha, version);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(count).toBeGreaterThan(10);
  });

  it('pin the service containers CI runs to a version', () => {
    const services = object(jobs('ci.yml')['test']?.['services'], 'ci.yml test services');
    expect(Object.keys(services).sort()).toEqual(['postgres', 'redis']);
    for (const [name, service] of Object.entries(services)) {
      const image = object(service, name)['image'];
      // A release tag (Renovate's docker:pinDigests may add a digest after it), never latest or a bare major.
      expect(image, name).toMatch(/^[\w./-]+:\d+\.\d+(\.\d+)?[\w.-]*(@sha256:[a-f0-9]{64})?$/);
    }
  });
});

describe('permissions and secrets', () => {
  it('declare least-privilege permissions: read at the top, writes only where a job needs them', () => {
    const problems: string[] = [];
    for (const name of WORKFLOWS) {
      const document = workflow(name);
      const top = document['permissions'];
      if (!isObject(top)) problems.push(`${name}: no top-level permissions mapping (${JSON.stringify(top)})`);
      else for (const [scope, level] of Object.entries(top)) if (level !== 'read') problems.push(`${name}: top-level ${scope}: ${String(level)}`);
      for (const [id, job] of Object.entries(jobs(name))) {
        const permissions = job['permissions'];
        if (permissions === undefined) continue;
        if (!isObject(permissions)) {
          problems.push(`${name} ${id}: permissions ${JSON.stringify(permissions)} (write-all/read-all are too broad)`);
          continue;
        }
        const allowed = ALLOWED_WRITES[name]?.[id] ?? [];
        for (const [scope, level] of Object.entries(permissions)) {
          if (level === 'write' && !allowed.includes(scope)) problems.push(`${name} ${id}: ${scope}: write is not needed`);
        }
      }
      if (/pull_request_target/.test(text(name))) problems.push(`${name}: pull_request_target runs fork code with secrets`);
    }
    expect(problems).toEqual([]);
  });

  it('never print a secret, and pass secrets to scripts only through env', () => {
    const problems: string[] = [];
    for (const name of WORKFLOWS) {
      const source = text(name);
      if (/echo[^\n]*\$\{\{\s*secrets\./i.test(source)) problems.push(`${name}: echoes a secret`);
      for (const { path, value } of strings(workflow(name))) {
        if (!/secrets\./.test(value)) continue;
        const where = `${name} ${path.join('.')}`;
        if (path.at(-1) === 'run') problems.push(`${where}: a run script expands a secret; pass it through env`);
        else if (!/^\$\{\{\s*secrets\.[A-Z][A-Z0-9_]*\s*\}\}$/.test(value)) problems.push(`${where}: "${value}" is not exactly \${{ secrets.NAME }}`);
        else if (!['env', 'with'].includes(path.at(-2) ?? '')) problems.push(`${where}: a secret outside env: or with:`);
      }
    }
    for (const { where, script, env } of runScripts()) {
      const holdsSecret = Object.values(env).some((value) => typeof value === 'string' && /secrets\.|steps\.app-token/.test(value));
      if (holdsSecret && /\bset\s+-[a-z]*x|set\s+-o\s+xtrace|\bprintenv\b|^\s*env\s*$/m.test(script)) problems.push(`${where}: traces or dumps an environment holding a secret`);
    }
    expect(problems).toEqual([]);
  });

  it('contain no credentials', () => {
    for (const name of WORKFLOWS) {
      expect(text(name), name).not.toMatch(/gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|xox[abp]-[\w-]{10,}/);
    }
  });

  it('never splice expressions into scripts (inputs, branch names and PR titles reach them through env)', () => {
    const spliced = runScripts().filter(({ script }) => script.includes('${{')).map(({ where }) => where);
    expect(spliced).toEqual([]);
  });
});

describe('commands the workflows call', () => {
  const uses = runScripts().flatMap(({ where, script }) => commandUses(where, script));

  it('exist as npm scripts, binaries and CLI commands with those flags, or are pending', () => {
    expect(uses.map(problemWith).filter((problem) => problem !== undefined)).toEqual([]);
  });

  it('are found: the test would notice a missing one', () => {
    const names = new Set(uses.map((use) => use.name));
    for (const expected of ['test', 'synth', 'plan', 'deploy', 'health', 'check:renovate-config']) expect(names, expected).toContain(expected);
    expect(uses.find((use) => use.name === 'deploy' && use.flags.includes('--rollback'))).toBeDefined();
    expect(uses.find((use) => use.name === 'plan' && use.flags.includes('--format'))).toBeDefined();
    // And a made-up script, command or flag is reported.
    const made = commandUses('fixture', 'npm run --silent no-such-script -- --x\nnpx no-such-bin\nnpm run synth -- --no-such-flag');
    expect(made.map(problemWith).filter((problem) => problem !== undefined)).toHaveLength(3);
    expect(problemWith({ where: 'fixture', kind: 'script', name: 'validate', flags: ['--dir'] })).toBeUndefined();
    expect(problemWith({ where: 'fixture', kind: 'script', name: 'validate', flags: ['--nope'] })).toMatch(/does not declare --nope/);
  });

  it('PENDING_COMMANDS lists only commands not yet registered or whose flags are checked once they are', () => {
    // A pending command that is registered is checked like any other: the workflows' flags must exist.
    for (const command of PENDING_COMMANDS) {
      const options = registeredOptions(command);
      if (options === undefined) continue;
      const flags = uses.filter((use) => cliCommandOf(use.name) === command).flatMap((use) => use.flags);
      expect(flags.filter((flag) => !options.has(flag)), `${command} is registered`).toEqual([]);
    }
  });
});

describe('ci.yml', () => {
  const ci = jobs('ci.yml');
  const run = (job: string) => steps('ci.yml').filter((step) => step.job === job).map(({ step }) => String(step['run'] ?? step['uses'] ?? ''));

  it('runs on pull requests and pushes to main', () => {
    const on = object(workflow('ci.yml')['on'], 'on');
    expect(Object.keys(on).sort()).toEqual(['pull_request', 'push']);
    expect(object(on['push'], 'push')['branches']).toEqual(['main']);
  });

  it('runs npm test with PostgreSQL (trust auth) and Redis on their usual ports and a Chromium', () => {
    const services = object(ci['test']?.['services'], 'services');
    const postgres = object(services['postgres'], 'postgres');
    expect(object(postgres['env'], 'env')['POSTGRES_HOST_AUTH_METHOD']).toBe('trust');
    expect(postgres['ports']).toEqual(['5432:5432']);
    expect(String(postgres['options'])).toContain('--health-cmd');
    const redis = object(services['redis'], 'redis');
    expect(redis['ports']).toEqual(['6379:6379']);
    expect(String(redis['options'])).toContain('--health-cmd');
    const scripts = run('test');
    expect(scripts.some((script) => /\bCHROMIUM_PATH=/.test(script))).toBe(true);
    expect(scripts.at(-1)).toBe('npm test');
  });

  it('renders and fails on drift in dist/ and .railway/, and validates renovate.json strictly', () => {
    const scripts = run('rendered-output');
    const synth = scripts.indexOf('npm run synth');
    const drift = scripts.findIndex((script) => /git diff --exit-code[^\n]*-- dist \.railway/.test(script));
    expect(synth).toBeGreaterThan(-1);
    expect(drift).toBeGreaterThan(synth);
    expect(scripts).toContain('npm run check:renovate-config');
    expect(PACKAGE_SCRIPTS['check:renovate-config']).toMatch(/renovate\/dist\/config-validator\.js --strict renovate\.json$/);
  });
});

describe('deploy.yml and rollback.yml', () => {
  const deploy = jobs('deploy.yml');

  it('deploy one environment at a time, never cancelling a deploy in progress', () => {
    for (const environment of ['staging', 'production']) {
      const job = deploy[`railway-${environment}`];
      expect(job?.['environment']).toBe(environment);
      expect(job?.['concurrency']).toEqual({ group: `deploy-${environment}`, 'cancel-in-progress': false });
    }
    // Nothing above the jobs may cancel them either.
    const top = workflow('deploy.yml')['concurrency'];
    expect(top === undefined || (isObject(top) && top['cancel-in-progress'] !== true)).toBe(true);
    // Every job that deploys to a GitHub environment is in that environment's group.
    for (const [id, job] of Object.entries(deploy)) {
      if (job['environment'] === undefined) continue;
      expect(object(job['concurrency'], id)['group'], id).toBe(`deploy-${String(job['environment'])}`);
    }
  });

  it('deploy production only after staging, which must have succeeded or had nothing to do', () => {
    const production = deploy['railway-production'];
    expect(production?.['needs']).toContain('railway-staging');
    const condition = String(production?.['if']);
    expect(condition).toContain("needs.railway-staging.result == 'success'");
    expect(condition).not.toMatch(/always\(\)/);
    expect(deploy['railway-staging']?.['needs']).toBe('plan');
  });

  it('apply Railway IaC with the environment project token, then deploy (adopting what the apply started) and health-check from the plan base', () => {
    for (const environment of ['staging', 'production']) {
      const list = steps('deploy.yml').filter((step) => step.job === `railway-${environment}`).map(({ step }) => step);
      const order = list.map((step) => String(step['run'] ?? ''));
      const applyAt = order.findIndex((script) => script.includes('railway config apply --yes'));
      const apply = list[applyAt];
      expect(apply, environment).toBeDefined();
      // The GitHub environment's own secret: a project token reaches that environment only.
      expect(object(apply?.['env'], 'apply env')['RAILWAY_TOKEN']).toBe('${{ secrets.RAILWAY_TOKEN }}');
      expect(order[applyAt]).toMatch(/APPLY_STARTED=.*\n.*railway config apply --yes/s);
      const deployAt = order.findIndex((script) => script.startsWith('npm run --silent deploy -- --env "$DEPLOY_ENV" --plan-from "$BASE" --since "$APPLY_STARTED"'));
      expect(object(list[deployAt]?.['env'], 'deploy env')['RAILWAY_API_TOKEN']).toBe('${{ secrets.RAILWAY_TOKEN }}');
      const healthAt = order.findIndex((script) => script.startsWith('npm run --silent health -- --env "$DEPLOY_ENV"'));
      expect([applyAt, deployAt, healthAt].every((index) => index > -1), order.join('\n')).toBe(true);
      expect(applyAt < deployAt && deployAt < healthAt).toBe(true);
    }
  });

  it('build images from the plan, tagged as the Kubernetes rendering names them', () => {
    const images = deploy['images'];
    expect(images?.['needs']).toBe('plan');
    const build = steps('deploy.yml').find(({ job, step }) => job === 'images' && String(step['uses']).startsWith('docker/build-push-action@'));
    expect(object(build?.step['with'], 'build with')['tags']).toBe('${{ matrix.image }}');
    expect(object(build?.step['with'], 'build with')['push']).toBe(true);
  });

  it('rollback shares the deploy concurrency group of the environment it rolls back', () => {
    const rollback = jobs('rollback.yml');
    const job = rollback['rollback'];
    const inputs = object(object(object(workflow('rollback.yml')['on'], 'on')['workflow_dispatch'], 'dispatch')['inputs'], 'inputs');
    expect(object(inputs['environment'], 'environment')['options']).toEqual(['staging', 'production']);
    const concurrency = object(job?.['concurrency'], 'rollback concurrency');
    expect(concurrency['cancel-in-progress']).toBe(false);
    for (const environment of ['staging', 'production']) {
      const group = String(concurrency['group']).replace('${{ inputs.environment }}', environment);
      expect(group).toBe(object(deploy[`railway-${environment}`]?.['concurrency'], 'deploy concurrency')['group']);
    }
    expect(runScripts().some(({ where, script }) => where.startsWith('rollback.yml') && script === 'npm run --silent deploy -- --env "$DEPLOY_ENV" --rollback "$SERVICE"')).toBe(true);
  });
});

describe('renovate-render.yml', () => {
  const render = jobs('renovate-render.yml')['render'];
  const list = steps('renovate-render.yml').map(({ step }) => step);

  it('runs only for Renovate branches of this repository, not forks', () => {
    const condition = String(render?.['if']);
    expect(condition).toContain("startsWith(github.head_ref, 'renovate/')");
    expect(condition).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(condition).toContain('github.event.pull_request.user.login');
  });

  it('skips its own commits, pushes with the App token after the PR code ran, and comments once', () => {
    const names = list.map((step) => String(step['name'] ?? step['uses']));
    const guard = list.findIndex((step) => step['id'] === 'guard');
    const token = list.findIndex((step) => String(step['uses']).startsWith('actions/create-github-app-token@'));
    const lastCodeRun = Math.max(...list.map((step, index) => (/^\s*(npm (ci|run|test)|npx)\b/m.test(String(step['run'] ?? '')) ? index : -1)));
    expect(guard, names.join('\n')).toBeGreaterThan(-1);
    expect(token).toBeGreaterThan(lastCodeRun);
    expect(object(list[token]?.['with'], 'token with')).toMatchObject({
      'app-id': '${{ secrets.RENOVATE_RENDER_APP_ID }}',
      'private-key': '${{ secrets.RENOVATE_RENDER_APP_PRIVATE_KEY }}',
    });
    for (const step of list.slice(guard + 1)) expect(String(step['if']), String(step['name'] ?? step['uses'])).toContain("steps.guard.outputs.skip != 'true'");
    const push = list.find((step) => /\bpush\b[^\n]*HEAD:refs\/heads\//.test(String(step['run'] ?? '')));
    expect(String(push?.['run'])).toContain('$RENDER_TRAILER');
    // No repository hook (husky & co. via core.hooksPath) runs while the App token is in reach.
    expect(String(push?.['run'])).toMatch(/core\.hooksPath=\/dev\/null commit[^\n]*--no-verify/);
    expect(String(push?.['run'])).toMatch(/push --no-verify/);
    // Only the rendered output is committed.
    expect(list.some((step) => /^\s*git add --all -- dist \.railway$/m.test(String(step['run'] ?? '')))).toBe(true);
    const comment = list.find((step) => String(step['run'] ?? '').includes('issues/comments/'));
    expect(String(comment?.['run'])).toContain('<!-- renovate-render -->');
    expect(list.some((step) => String(step['run'] ?? '').includes('plan -- "$BASE_SHA" --format markdown'))).toBe(true);
  });
});
