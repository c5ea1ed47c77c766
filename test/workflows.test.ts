import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE_PLATFORM, imagePlatforms } from '../charts/images.ts';
import type { ImageBuild } from '../cli/plan/plan-types.ts';
import { servicesOf } from '../constructs/index.ts';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { buildEnvironments } from './helpers/synth.ts';

/**
 * The GitHub Actions workflows (.github/workflows): schema-valid, pinned, least-privilege, and
 * calling only npm scripts and CLI commands that exist, or that are being written right now.
 */

const WORKFLOW_DIR = join(REPO_ROOT, '.github', 'workflows');
const WORKFLOWS = ['check-updates.yml', 'ci.yml', 'deploy.yml', 'renovate-render.yml', 'rollback.yml', 'smoke.yml'] as const;
const VALIDATOR = join(REPO_ROOT, 'node_modules', '.bin', 'action-validator');

/**
 * CLI commands the workflows call that other work is adding (npm script and/or CLI registration
 * may not exist yet). Remove a name once its command is registered: from then on its flags are
 * checked against the registration as well.
 */
const PENDING_COMMANDS = new Set(['plan', 'diff', 'deploy', 'health', 'check-updates', 'secrets']);

/** Write permissions a job may hold, by workflow and job; everything else reads at most. */
const ALLOWED_WRITES: Record<string, Record<string, readonly string[]>> = {
  'check-updates.yml': { 'check-updates': ['issues'] },
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

/** A job's step that uses an action, by the action's name (`docker/build-push-action`). */
function actionStep(name: string, job: string, action: string): JsonObject | undefined {
  return steps(name).find((step) => step.job === job && String(step.step['uses']).startsWith(`${action}@`))?.step;
}

/** The fields of a plan's image (cli/plan/plan-types.ts ImageBuild), which the image jobs' matrix is. */
const IMAGE_BUILD_FIELDS: Record<keyof ImageBuild, true> = { service: true, image: true, context: true, dockerfile: true, platforms: true };

/** The platform GitHub's ubuntu runners build for without emulation. */
const RUNNER_PLATFORM = 'linux/amd64';

/** Where the images are built: each job's build step, by workflow. */
const IMAGE_BUILDS = [
  { workflow: 'ci.yml', job: 'images', action: 'docker/build-push-action' },
  { workflow: 'deploy.yml', job: 'images', action: 'docker/build-push-action' },
  { workflow: 'smoke.yml', job: 'smoke', action: 'docker/bake-action' },
] as const;

// ---------------------------------------------------------------------------------------------
// Commands the workflows call.

interface CommandUse {
  readonly where: string;
  /** `script` for `npm run <script>` / `npm test`, `bin` for `npx <bin>`. */
  readonly kind: 'script' | 'bin';
  readonly name: string;
  /** Words after `--` before the first flag: a subcommand (`smoke prepare`) or arguments (`plan "$BASE"`). */
  readonly words: readonly string[];
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
      const cliArgs = (rest.includes(' -- ') || rest.startsWith(' --') ? rest.slice(rest.indexOf('--') + 2) : '').replace(/[<>].*$/, '');
      const flags = [...cliArgs.matchAll(/(?:^|\s)(--[a-z][\w-]*)/g)].map((match) => match[1] as string);
      const tokens = cliArgs.trim().split(/\s+/).filter(Boolean);
      const firstFlag = tokens.findIndex((token) => token.startsWith('-'));
      const words = firstFlag === -1 ? tokens : tokens.slice(0, firstFlag);
      uses.push({ where, kind: 'script', name: npmRun[2] as string, words, flags });
      continue;
    }
    if (/\bnpm\s+test\b/.test(command)) uses.push({ where, kind: 'script', name: 'test', words: [], flags: [] });
    const npx = /\bnpx\s+(?:--no-install\s+)?([\w@./-]+)/.exec(command);
    if (npx) uses.push({ where, kind: 'bin', name: npx[1] as string, words: [], flags: [] });
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

/** How a CLI command is registered: its options, and its subcommands' (`smoke prepare`), if it has any. */
interface Registration {
  readonly options: Set<string>;
  /** Each subcommand's options, by name; empty for a command without subcommands. */
  readonly subcommands: Map<string, Set<string>>;
}

/** The options one `.command(...)` block declares. */
function declaredOptions(block: string): Set<string> {
  return new Set([...block.matchAll(/(?:new Option|\.option|\.requiredOption)\(\s*['"`](?:-\w,\s*)?(--[a-z][\w-]*)/g)].map((match) => match[1] as string));
}

/**
 * How a top-level CLI command is registered, or undefined when no file under cli/ registers it.
 * Each `.command(...)` call's block runs to the next one; a command's subcommands are the
 * `.command(...)` calls on the variable it is assigned to (`const smoke = program.command('smoke')`,
 * then `smoke.command('prepare')`).
 */
function registration(command: string): Registration | undefined {
  for (const file of cliSources()) {
    const source = readFileSync(file, 'utf8');
    const calls = [...source.matchAll(/(\w+)\s*\.command\(\s*['"`]([\w-]+)['"`]/g)];
    const blocks = calls.map((call, index) => ({ receiver: call[1] as string, name: call[2] as string, text: source.slice(call.index, calls[index + 1]?.index) }));
    const variableOf = new Map([...source.matchAll(/(?:const|let)\s+(\w+)\s*=\s*\w+\s*\.command\(\s*['"`]([\w-]+)['"`]/g)].map((match) => [match[2] as string, match[1] as string]));
    const commandVariables = new Set(variableOf.values());
    const own = blocks.find((block) => block.name === command && !commandVariables.has(block.receiver));
    if (own === undefined) continue;
    const variable = variableOf.get(command);
    const subcommands = new Map(blocks.filter((block) => variable !== undefined && block.receiver === variable).map((block) => [block.name, declaredOptions(block.text)]));
    return { options: declaredOptions(own.text), subcommands };
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
  const registered = registration(command);
  if (registered === undefined) return PENDING_COMMANDS.has(command) ? undefined : `${use.where}: CLI command "${command}" is not registered under cli/ (nor in PENDING_COMMANDS)`;
  let name = command;
  let options = registered.options;
  if (registered.subcommands.size > 0) {
    const subcommand = use.words[0];
    const known = [...registered.subcommands.keys()].join(', ');
    const subcommandOptions = subcommand === undefined ? undefined : registered.subcommands.get(subcommand);
    if (subcommandOptions === undefined) return `${use.where}: ${command} has no subcommand ${subcommand === undefined ? '(none given)' : `"${subcommand}"`} (it has ${known})`;
    name = `${command} ${subcommand}`;
    // Commander parses the parent command's options on the subcommand's line too.
    options = new Set([...registered.options, ...subcommandOptions]);
  }
  const unknown = use.flags.filter((flag) => !options.has(flag));
  return unknown.length > 0 ? `${use.where}: ${name} does not declare ${unknown.join(', ')} (it declares ${[...options].join(', ') || 'no options'})` : undefined;
}

// ---------------------------------------------------------------------------------------------

const temporary: string[] = [];
afterAll(() => {
  for (const directory of temporary) rmSync(directory, { recursive: true, force: true });
});

describe('the workflow files', () => {
  it('are exactly check-updates, ci, deploy, renovate-render, rollback and smoke', () => {
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
      ['dangling-needs.yml', 'deploy.yml', text('deploy.yml').replace('needs: [plan, smoke, railway-staging]', 'needs: [plan, smoke, railway-staging-typo]')],
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
    for (const expected of ['test', 'synth', 'plan', 'deploy', 'health', 'check:renovate-config', 'check-updates']) expect(names, expected).toContain(expected);
    expect(uses.find((use) => use.name === 'check-updates' && use.flags.includes('--sync-issue'))).toBeDefined();
    expect(uses.find((use) => use.name === 'deploy' && use.flags.includes('--rollback'))).toBeDefined();
    expect(uses.find((use) => use.name === 'plan' && use.flags.includes('--format'))).toBeDefined();
    // Every smoke subcommand smoke.yml runs, each read as a subcommand.
    const smokeSteps = uses.filter((use) => use.name === 'smoke').map((use) => use.words[0]);
    expect(new Set(smokeSteps)).toEqual(new Set(['prepare', 'up', 'check', 'logs', 'down']));
    // And a made-up script, command or flag is reported.
    const made = commandUses('fixture', 'npm run --silent no-such-script -- --x\nnpx no-such-bin\nnpm run synth -- --no-such-flag');
    expect(made.map(problemWith).filter((problem) => problem !== undefined)).toHaveLength(3);
    expect(problemWith({ where: 'fixture', kind: 'script', name: 'validate', words: [], flags: ['--dir'] })).toBeUndefined();
    expect(problemWith({ where: 'fixture', kind: 'script', name: 'validate', words: [], flags: ['--nope'] })).toMatch(/does not declare --nope/);
    // A subcommand's flags are checked against its own block, not a sibling's or another file's
    // `check` (secrets check declares --env, smoke check does not).
    const [prepare, madeSubcommand, noSubcommand, madeFlag, siblingFlag] = commandUses(
      'fixture',
      [
        'npm run --silent smoke -- prepare --env development --out "$SMOKE_DIR"',
        'npm run --silent smoke -- no-such-subcommand --dir "$SMOKE_DIR"',
        'npm run --silent smoke -- --dir "$SMOKE_DIR"',
        'npm run --silent smoke -- check --dir "$SMOKE_DIR" --no-such-flag',
        'npm run --silent smoke -- check --dir "$SMOKE_DIR" --env development',
      ].join('\n'),
    ).map(problemWith);
    expect(prepare).toBeUndefined();
    expect(madeSubcommand).toMatch(/smoke has no subcommand "no-such-subcommand" \(it has prepare, up, check, logs, down\)/);
    expect(noSubcommand).toMatch(/smoke has no subcommand \(none given\)/);
    expect(madeFlag).toMatch(/smoke check does not declare --no-such-flag/);
    expect(siblingFlag).toMatch(/smoke check does not declare --env/);
  });

  it('PENDING_COMMANDS lists only commands not yet registered or whose flags are checked once they are', () => {
    // A pending command that is registered is checked like any other: the workflows' subcommands and flags must exist.
    for (const command of PENDING_COMMANDS) {
      if (registration(command) === undefined) continue;
      const problems = uses.filter((use) => cliCommandOf(use.name) === command).map(problemWith);
      expect(problems.filter((problem) => problem !== undefined), `${command} is registered`).toEqual([]);
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

  it('plans, builds the changed images and smoke-tests them on pull requests only', () => {
    expect(Object.keys(ci).sort()).toEqual(['images', 'plan', 'rendered-output', 'smoke', 'test']);
    // plan alone says pull_request; images and smoke run only after it succeeded.
    const plan = ci['plan']!;
    expect(plan['if']).toBe("github.event_name == 'pull_request'");
    for (const job of ['test', 'rendered-output']) expect(ci[job]?.['if'], job).toBeUndefined();
    expect(ci['images']?.['needs']).toBe('plan');
    expect(ci['images']?.['if']).toBe("needs.plan.outputs.images != '[]'");
    const smoke = ci['smoke']!;
    expect(smoke['needs']).toEqual(['plan', 'images']);
    const condition = String(smoke['if']);
    expect(condition).toContain("needs.plan.result == 'success'");
    expect(condition).toContain("needs.images.result != 'failure'");
    expect(condition).not.toMatch(/always\(\)/);
    expect(smoke['uses']).toBe('./.github/workflows/smoke.yml');
    expect(smoke['secrets']).toBeUndefined();

    // The plan from the PR's base, passed through env, its images the matrix.
    const checkout = actionStep('ci.yml', 'plan', 'actions/checkout');
    expect(object(checkout?.['with'], 'checkout with')['fetch-depth']).toBe(0);
    const planStep = steps('ci.yml').find(({ job, step }) => job === 'plan' && step['id'] === 'plan')?.step;
    expect(object(planStep?.['env'], 'plan env')['BASE_SHA']).toBe('${{ github.event.pull_request.base.sha }}');
    const script = String(planStep?.['run']);
    expect(script).toContain('npm run --silent plan -- "$BASE_SHA" --format json > plan.json');
    expect(script).toContain(`echo "images=$(jq -c '.images // []' plan.json)" >> "$GITHUB_OUTPUT"`);
    expect(script).toMatch(/--format markdown[\s\S]*>> "\$GITHUB_STEP_SUMMARY"/);
    expect(object(plan['outputs'], 'plan outputs')['images']).toBe('${{ steps.plan.outputs.images }}');
    const images = ci['images']!;
    expect(object(images['strategy'], 'strategy')).toEqual({ 'fail-fast': false, matrix: { include: '${{ fromJSON(needs.plan.outputs.images) }}' } });
    expect(images['name']).toBe('image ${{ matrix.service }}');
    expect(images['continue-on-error']).toBeUndefined();

    // Built, never pushed, into the cache scope deploy.yml writes and smoke.yml reads.
    const build = object(actionStep('ci.yml', 'images', 'docker/build-push-action')?.['with'], 'build with');
    expect(build).toMatchObject({
      context: '${{ matrix.context }}',
      file: '${{ matrix.context }}/${{ matrix.dockerfile }}',
      platforms: '${{ matrix.platforms }}',
      push: false,
      tags: '${{ matrix.image }}',
      'cache-from': 'type=gha,scope=${{ matrix.service }}',
      'cache-to': 'type=gha,mode=max,scope=${{ matrix.service }}',
    });
    expect(build['load']).toBeUndefined();
    expect(actionStep('ci.yml', 'images', 'docker/login-action')).toBeUndefined();
    const deployBuild = object(actionStep('deploy.yml', 'images', 'docker/build-push-action')?.['with'], 'deploy build with');
    for (const key of ['context', 'file', 'platforms', 'tags', 'cache-from', 'cache-to']) expect(build[key], key).toBe(deployBuild[key]);
  });
});

describe('smoke.yml', () => {
  const list = steps('smoke.yml').map(({ step }) => step);
  const at = (find: (step: JsonObject) => boolean, what: string) => {
    const index = list.findIndex(find);
    expect(index, `${what} in ${list.map((step) => String(step['name'] ?? step['uses'])).join(', ')}`).toBeGreaterThan(-1);
    return index;
  };
  const runs = (subcommand: string) => (step: JsonObject) => String(step['run'] ?? '').includes(`npm run --silent smoke -- ${subcommand} `);

  it('is a reusable workflow of one job that reads the repository and nothing else', () => {
    const document = workflow('smoke.yml');
    expect(object(document['on'], 'on')).toEqual({ workflow_call: null });
    expect(document['permissions']).toEqual({ contents: 'read' });
    const all = jobs('smoke.yml');
    expect(Object.keys(all)).toEqual(['smoke']);
    expect(all['smoke']?.['runs-on']).toBe('ubuntu-24.04');
    expect(Number(all['smoke']?.['timeout-minutes'])).toBeLessThanOrEqual(30);
    expect(object(actionStep('smoke.yml', 'smoke', 'actions/checkout')?.['with'], 'checkout with')['persist-credentials']).toBe(false);
    // No secrets at all: a fork's pull request runs it the same, and nothing real is at stake.
    expect(strings(document).filter(({ value }) => /\bsecrets\./.test(value))).toEqual([]);
    expect(text('smoke.yml')).not.toMatch(/\$\{\{\s*secrets\b|^\s*secrets:/m);
  });

  it('prepares, builds from the cache, starts and checks in that order; logs only on failure, tears down always and last', () => {
    const prepare = at(runs('prepare'), 'smoke prepare');
    const bake = at((step) => String(step['uses']).startsWith('docker/bake-action@'), 'docker/bake-action');
    const buildx = at((step) => String(step['uses']).startsWith('docker/setup-buildx-action@'), 'docker/setup-buildx-action');
    const up = at(runs('up'), 'smoke up');
    const check = at(runs('check'), 'smoke check');
    const logs = at(runs('logs'), 'smoke logs');
    const down = at(runs('down'), 'smoke down');
    expect(buildx < bake && prepare < bake && bake < up && up < check, `prepare ${prepare}, bake ${bake}, up ${up}, check ${check}`).toBe(true);
    // The smoke directory is $RUNNER_TEMP/smoke, for this step and (through GITHUB_ENV) the later ones.
    const prepareScript = String(list[prepare]?.['run']);
    expect(prepareScript).toMatch(/smoke_dir="\$RUNNER_TEMP\/smoke"\n\s*echo "SMOKE_DIR=\$smoke_dir" >> "\$GITHUB_ENV"/);
    expect(prepareScript).toContain('npm run --silent smoke -- prepare --env development --out "$smoke_dir"');
    const bakeWith = object(list[bake]?.['with'], 'bake with');
    expect(bakeWith).toMatchObject({ source: '.', files: '${{ runner.temp }}/smoke/bake.json', load: true });
    expect(bakeWith['push']).toBeUndefined();
    for (const index of [prepare, bake, up, check]) expect(list[index]?.['if'], String(list[index]?.['name'] ?? list[index]?.['uses'])).toBeUndefined();
    expect(String(list[up]?.['run'])).toBe('npm run --silent smoke -- up --dir "$SMOKE_DIR" --timeout 300');
    expect(String(list[check]?.['run'])).toBe('npm run --silent smoke -- check --dir "$SMOKE_DIR"');
    expect(list[logs]?.['if']).toBe("failure() && steps.prepare.outcome == 'success'");
    expect(list[down]?.['if']).toBe("always() && steps.prepare.outcome == 'success'");
    expect(list[prepare]?.['id']).toBe('prepare');
    expect(down).toBe(list.length - 1);
  });
});

describe('check-updates.yml', () => {
  const document = workflow('check-updates.yml');
  const all = jobs('check-updates.yml');
  const list = steps('check-updates.yml').map(({ step }) => step);

  it('runs weekly on a schedule and by hand, one run at a time', () => {
    const on = object(document['on'], 'on');
    expect(Object.keys(on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    const schedule = on['schedule'];
    expect(Array.isArray(schedule) && schedule.length).toBe(1);
    const cron = String(object((schedule as Json[])[0], 'schedule[0]')['cron']);
    // Minute, hour, any day of the month, any month, one day of the week: weekly.
    expect(cron).toMatch(/^\d{1,2} \d{1,2} \* \* [0-6]$/);
    // Two runs at once could both open an issue.
    expect(document['concurrency']).toEqual({ group: 'check-updates', 'cancel-in-progress': false });
  });

  it('reads the repository and writes issues, nothing else', () => {
    expect(document['permissions']).toEqual({});
    expect(Object.keys(all)).toEqual(['check-updates']);
    expect(all['check-updates']?.['permissions']).toEqual({ contents: 'read', issues: 'write' });
    expect(object(actionStep('check-updates.yml', 'check-updates', 'actions/checkout')?.['with'], 'checkout with')['persist-credentials']).toBe(false);
  });

  it('sets up Node 22 with the npm cache, installs with npm ci, then syncs the issue with GITHUB_TOKEN', () => {
    expect(object(actionStep('check-updates.yml', 'check-updates', 'actions/setup-node')?.['with'], 'setup-node with')).toMatchObject({ 'node-version': '22', cache: 'npm' });
    const scripts = list.map((step) => String(step['run'] ?? ''));
    const install = scripts.findIndex((script) => /^npm ci\b/.test(script));
    const sync = scripts.findIndex((script) => script === 'npm run --silent check-updates -- --sync-issue');
    expect(install).toBeGreaterThan(-1);
    expect(sync).toBeGreaterThan(install);
    expect(object(list[sync]?.['env'], 'sync env')).toEqual({ GITHUB_TOKEN: '${{ secrets.GITHUB_TOKEN }}' });
    // Not --exit-code: the issue is the notification, the run stays green.
    expect(scripts[sync]).not.toContain('--exit-code');
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
  });

  it('smoke-test the pushed images before either Railway environment deploys', () => {
    const smoke = deploy['smoke']!;
    expect(smoke['needs']).toEqual(['plan', 'images']);
    expect(smoke['uses']).toBe('./.github/workflows/smoke.yml');
    expect(smoke['secrets']).toBeUndefined();
    expect(String(smoke['if'])).toContain("needs.images.result != 'failure'");
    // Called workflows get at most what the calling job has; deploy.yml's top level grants nothing.
    expect(smoke['permissions']).toEqual({ contents: 'read' });
    const staging = deploy['railway-staging']!;
    expect(staging['needs']).toEqual(['plan', 'smoke']);
    const stagingCondition = String(staging['if']);
    expect(stagingCondition).toContain("needs.smoke.result == 'success'");
    expect(stagingCondition).toContain("needs.plan.outputs.railway-staging == 'true'");
    expect(stagingCondition).not.toMatch(/always\(\)/);
    // A failed smoke test skips staging, which production would otherwise take for "nothing to deploy".
    const production = deploy['railway-production']!;
    expect(production['needs']).toContain('smoke');
    expect(String(production['if'])).toContain("needs.smoke.result == 'success'");
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
    expect(object(build?.step['with'], 'build with')['platforms']).toBe('${{ matrix.platforms }}');
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

describe('the images the workflows build', () => {
  it("read only fields the plan's images have", () => {
    for (const [name, job] of [['ci.yml', 'images'], ['deploy.yml', 'images']] as const) {
      const fields = [...JSON.stringify(jobs(name)[job]).matchAll(/matrix\.([\w-]+)/g)].map((match) => match[1] as string);
      expect(fields.length, `${name} ${job}`).toBeGreaterThan(3);
      expect(fields.filter((field) => !(field in IMAGE_BUILD_FIELDS)), `${name} ${job}`).toEqual([]);
    }
  });

  it('are built for linux/amd64 unless QEMU is set up first, and from Dockerfiles that exist', async () => {
    expect(DEFAULT_IMAGE_PLATFORM).toBe(RUNNER_PLATFORM);
    const built = (await buildEnvironments()).flatMap((environment) =>
      servicesOf(environment)
        .filter((service) => service.data.build !== undefined)
        .map((service) => ({ where: `${environment.name} ${service.name}`, build: service.data.build!, platforms: imagePlatforms(service), declared: service.data.platform })),
    );
    expect(new Set(built.map(({ where }) => where.split(' ')[1]))).toEqual(new Set(['mcp-server', 'frontend', 'ten-agent', 'jitsi-agent-bridge']));
    // The TEN agent declares its platform (the others take the default): declarations are read.
    expect(built.filter(({ declared }) => declared !== undefined).map(({ where }) => where.split(' ')[1])).toContain('ten-agent');
    const withoutQemu = IMAGE_BUILDS.filter(({ workflow: name, job, action }) => {
      const list = steps(name).filter((step) => step.job === job).map(({ step }) => String(step['uses'] ?? ''));
      const qemu = list.findIndex((uses) => uses.startsWith('docker/setup-qemu-action@'));
      return qemu === -1 || qemu > list.findIndex((uses) => uses.startsWith(`${action}@`));
    }).map(({ workflow: name, job }) => `${name} ${job}`);
    const problems: string[] = [];
    for (const { where, build, platforms } of built) {
      for (const platform of platforms.split(',')) {
        if (platform !== RUNNER_PLATFORM && withoutQemu.length > 0) {
          problems.push(`${where} declares ${platform}: GitHub's ubuntu runners build only ${RUNNER_PLATFORM} natively; add docker/setup-qemu-action before the build in ${withoutQemu.join(', ')}`);
        }
      }
      // What the image jobs pass as file: the Dockerfile relative to the context.
      if (!existsSync(join(REPO_ROOT, build.context, build.dockerfile))) problems.push(`${where}: no Dockerfile at ${join(build.context, build.dockerfile)}`);
    }
    expect(problems).toEqual([]);
  });
});
