import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseEnv } from 'node:util';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { startFakePipedream } from '../services/mcp-server/test/fakes/fake-pipedream.ts';
import { CliError } from './cli-error.ts';
import { formatTable } from './report-table.ts';
import { docker, downArguments, logsArguments, psArguments, upArguments } from './smoke/docker-compose.ts';
import { prepareSmoke } from './smoke/prepare.ts';
import { runChecks, type CheckOutcome } from './smoke/smoke-checks.ts';
import type { SmokePlan } from './smoke/smoke-plan.ts';

/**
 * `smoke prepare|up|check|logs|down`: the smoke test of .github/workflows/smoke.yml, one step a
 * command, all working from the smoke.json `prepare` writes (see cli/commands/smoke.ts).
 */

export async function smokePrepareCommand(options: { env: string; out: string; fakePipedreamPort: string; fakePipedreamHost: string }): Promise<void> {
  const plan = await prepareSmoke({ env: options.env, out: options.out, fakePipedreamPort: Number(options.fakePipedreamPort), fakePipedreamHost: options.fakePipedreamHost });
  const lines = [
    `smoke test of ${relative(REPO_ROOT, plan.composeFile)}: the core, no profile`,
    `  starts: ${plan.services.join(', ')}`,
    ...plan.notStarted.map((left) => `  not started: ${left.service}, ${left.reason}`),
    `  builds: ${plan.images.map((image) => `${image.service} (${image.image}, ${image.platforms})`).join(', ') || 'nothing'}`,
    `  throw-away secrets: ${Object.keys(readSecrets(plan)).length}, in ${plan.envFile}`,
    `  written: ${['.env', 'compose.smoke.yaml', 'tools.json', 'bake.json', 'smoke.json'].map((file) => join(options.out, file)).join(', ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function smokeUpCommand(options: { dir: string; timeout: string }): Promise<void> {
  const plan = readPlan(options.dir);
  const timeout = seconds(options.timeout, '--timeout');
  for (const image of plan.images) {
    const inspected = await docker(['image', 'inspect', '--format', '{{.Id}}', image.image]);
    if (inspected.status !== 0) throw new CliError(`${image.image} (${image.service}) is not in Docker: build the images of ${join(options.dir, 'bake.json')} first (docker buildx bake --load)`);
  }
  process.stderr.write(`smoke: starting ${plan.services.length} services, waiting up to ${timeout} s for each to be healthy…\n`);
  const result = await docker(upArguments(plan, timeout), { echo: true });
  if (result.status !== 0) throw new CliError(`docker compose up --wait failed (exit ${result.status}): a service did not start or become healthy; npm run smoke -- logs --dir ${options.dir} prints their logs`);
}

export async function smokeCheckCommand(options: { dir: string; native?: boolean; only?: string[]; mapPort?: string[]; timeout: string }): Promise<void> {
  const plan = readPlan(options.dir);
  const unknown = (options.only ?? []).filter((service) => !plan.services.includes(service));
  if (unknown.length > 0) throw new CliError(`--only ${unknown.join(', ')}: not started by the smoke test (it starts ${plan.services.join(', ')})`);
  const services = options.only !== undefined && options.only.length > 0 ? options.only : plan.services;
  const { outcomes, skipped } = await checkSmoke(plan, {
    services,
    native: options.native === true,
    ports: portMap(options.mapPort ?? []),
    timeoutMs: seconds(options.timeout, '--timeout') * 1000,
  });
  process.stdout.write(formatTable(['check', 'result', 'detail', 'latency'], outcomes.map((outcome) => [outcome.name, outcome.ok ? 'ok' : 'FAILED', outcome.detail, `${outcome.latencyMs} ms`])));
  for (const line of skipped) process.stdout.write(`not checked: ${line}\n`);
  writeStepSummary(plan, outcomes, skipped);
  const failed = outcomes.filter((outcome) => !outcome.ok);
  if (failed.length > 0) throw new CliError(`${failed.length} of ${outcomes.length} smoke checks failed: ${failed.map((outcome) => outcome.name).join('; ')}`);
  process.stdout.write(`all ${outcomes.length} smoke checks passed\n`);
}

export interface CheckSmokeOptions {
  readonly services: readonly string[];
  readonly native: boolean;
  readonly ports: ReadonlyMap<number, number>;
  readonly timeoutMs: number;
}

/** Runs the checks with the stand-in Pipedream up where the plan says, and stops it after. */
export async function checkSmoke(plan: SmokePlan, options: CheckSmokeOptions): Promise<{ outcomes: CheckOutcome[]; skipped: string[] }> {
  const pipedream = await startFakePipedream({ port: plan.fakePipedream.port, host: plan.fakePipedream.listen }).catch((error: Error) => {
    throw new CliError(`cannot start the stand-in Pipedream on ${plan.fakePipedream.listen}:${plan.fakePipedream.port}: ${error.message}`);
  });
  try {
    return await runChecks({ plan, secrets: readSecrets(plan), native: options.native, ports: options.ports, timeoutMs: options.timeoutMs, pipedream }, options.services);
  } finally {
    await pipedream.close();
  }
}

export async function smokeLogsCommand(options: { dir: string }): Promise<void> {
  const plan = readPlan(options.dir);
  await docker(psArguments(plan), { echo: true });
  await docker(logsArguments(plan), { echo: true });
}

export async function smokeDownCommand(options: { dir: string }): Promise<void> {
  const plan = readPlan(options.dir);
  const result = await docker(downArguments(plan), { echo: true });
  if (result.status !== 0) throw new CliError(`docker compose down failed (exit ${result.status})`);
}

/** On GitHub Actions, the checks as a table in the job's summary page. */
function writeStepSummary(plan: SmokePlan, outcomes: readonly CheckOutcome[], skipped: readonly string[]): void {
  const file = process.env['GITHUB_STEP_SUMMARY'];
  if (file === undefined || file === '') return;
  const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
  const lines = [
    `### Smoke test: ${outcomes.every((outcome) => outcome.ok) ? 'passed' : 'FAILED'}`,
    '',
    `Started ${plan.services.map((service) => `\`${service}\``).join(', ')} from \`${relative(REPO_ROOT, plan.composeFile)}\`${plan.notStarted.length > 0 ? `; not started: ${plan.notStarted.map((left) => `\`${left.service}\``).join(', ')} (voice profile)` : ''}.`,
    '',
    '| check | result | detail | latency |',
    '| --- | --- | --- | --- |',
    ...outcomes.map((outcome) => `| ${cell(outcome.name)} | ${outcome.ok ? 'ok' : '**failed**'} | ${cell(outcome.detail)} | ${outcome.latencyMs} ms |`),
    ...skipped.map((line) => `\nNot checked: ${line}`),
    '',
  ];
  appendFileSync(file, `${lines.join('\n')}\n`);
}

/** The smoke.json `prepare` wrote into `directory`. */
export function readPlan(directory: string): SmokePlan {
  const file = join(directory, 'smoke.json');
  if (!existsSync(file)) throw new CliError(`${file} does not exist: run npm run smoke -- prepare --env <name> --out ${directory} first`);
  return JSON.parse(readFileSync(file, 'utf8')) as SmokePlan;
}

function readSecrets(plan: SmokePlan): Record<string, string> {
  return parseEnv(readFileSync(plan.envFile, 'utf8')) as Record<string, string>;
}

function seconds(text: string, flag: string): number {
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0)) throw new CliError(`${flag} must be a positive number of seconds, got "${text}"`);
  return value;
}

/** `--map-port 3000=43117`: the rendering's port 3000 is 43117 here. */
export function portMap(pairs: readonly string[]): Map<number, number> {
  const ports = new Map<number, number>();
  for (const pair of pairs) {
    const match = /^(\d{1,5})=(\d{1,5})$/.exec(pair);
    const [from, to] = [Number(match?.[1]), Number(match?.[2])];
    if (match === null || from < 1 || from > 65_535 || to < 1 || to > 65_535) throw new CliError(`--map-port ${pair}: give <port>=<port>, e.g. 3000=43117`);
    ports.set(from, to);
  }
  return ports;
}
