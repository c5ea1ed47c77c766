import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { VOICE_PROFILE, voiceOnlySecrets } from '../charts/compose-file/compose-file.ts';
import { pickEnvironment } from './environment-by-name.ts';
import { environmentSecrets, secretNamesOf, type EnvironmentSecrets, type SecretConsumer } from '../charts/doppler/index.ts';
import { toJson } from '../charts/serialize.ts';
import { secretValueProblem, servicesOf, SpecError, validateEnvironment, type StackEnvironment } from '../constructs/index.ts';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { ENVIRONMENT_FILES } from '../environments/index.ts';
import { CliError } from './cli-error.ts';
import { dopplerCredentialsFromEnv, downloadDopplerSecrets } from './doppler/doppler-api.ts';
import { loadEnvironments } from './load-environments.ts';
import { railwayApiFromEnv } from './railway/railway-api.ts';

/**
 * `secrets check --env <name>`: does the environment's Doppler config hold every secret its
 * services need? The list of needed names is rendered from the environment files by the same
 * code synth writes dist/secrets/<env>.json with, so it cannot be stale. Only names are ever
 * printed: values stay inside this process and are reduced to set / empty at once.
 *
 * `secrets sync --env <name>` reuses the same list and Doppler download to copy the names
 * Railway's services read into the Railway environment's shared variables, for environments that
 * do not use Doppler's own Railway integration (`railway.secretSync: 'cli'`).
 */

/** An environment and the secrets it needs, validated. */
export interface EnvironmentSecretNeeds {
  readonly environment: StackEnvironment;
  readonly secrets: EnvironmentSecrets;
}

/**
 * Builds the environment called `name` from the environment files and lists the Doppler secrets
 * it needs. Unknown names and invalid environments are CliErrors naming what to fix.
 */
export async function loadEnvironmentSecretNeeds(name: string, envFiles: string[] = ENVIRONMENT_FILES.map((file) => join(REPO_ROOT, file))): Promise<EnvironmentSecretNeeds> {
  const environments = await loadEnvironments(envFiles);
  const environment = pickEnvironment(environments, name);
  try {
    validateEnvironment(environment);
    return { environment, secrets: environmentSecrets(environment) };
  } catch (error) {
    if (SpecError.isSpecError(error)) throw new CliError(`${error.message} (npm run synth reports the same)`);
    throw error;
  }
}

/** What a source holds for one secret, reduced at once so the value goes no further. */
export type SecretState = 'set' | 'empty' | { readonly invalid: string };

/** The state of `value` as the secret `name`: empty, breaking its catalog rule, or set. */
export function secretState(name: string, value: string): SecretState {
  if (value === '') return 'empty';
  const problem = secretValueProblem(name, value);
  return problem === undefined ? 'set' : { invalid: problem };
}

/** One service's secrets, by state. */
export interface ServiceSecretsCheck {
  readonly service: string;
  /** Secret name → where it is read. */
  readonly needed: Record<string, SecretConsumer[]>;
  readonly set: string[];
  readonly empty: string[];
  readonly missing: string[];
  /** Set, but breaking the secret's rule (constructs/secret-catalog.ts). */
  readonly invalid: string[];
}

/** What `secrets check` found. Names and rules only, never values. */
export interface SecretsCheckReport {
  readonly environment: string;
  readonly doppler: { readonly project: string; readonly config: string };
  /** Where the values were read: `voice-agent/stg` (Doppler) or a dotenv file's path. */
  readonly source: string;
  /** Services that need secrets, sorted by name. */
  readonly services: ServiceSecretsCheck[];
  /** Distinct names over all services, sorted. */
  readonly needed: string[];
  readonly missing: string[];
  readonly empty: string[];
  readonly invalid: string[];
  /** Secret name → how it breaks its rule, for the invalid ones. */
  readonly problems: Record<string, string>;
  /** Needed only by the Compose voice profile, which the dotenv file does not turn on: not checked. */
  readonly skipped: string[];
  readonly ok: boolean;
}

/**
 * Compares what an environment needs with what a source holds. `present` maps each secret name
 * the source has to its state; values themselves never get here. Names in `skipped` are left
 * out of the needs (the voice profile's, when it is off).
 */
export function compareSecrets(
  secrets: EnvironmentSecrets,
  present: ReadonlyMap<string, SecretState>,
  source = `${secrets.doppler.project}/${secrets.doppler.config}`,
  skipped: readonly string[] = [],
): SecretsCheckReport {
  const services = Object.keys(secrets.services)
    .sort()
    .map((service) => {
      const needed = Object.fromEntries(Object.entries(secrets.services[service] ?? {}).filter(([name]) => !skipped.includes(name)));
      const names = Object.keys(needed).sort();
      return {
        service,
        needed,
        set: names.filter((name) => present.get(name) === 'set'),
        empty: names.filter((name) => present.get(name) === 'empty'),
        missing: names.filter((name) => !present.has(name)),
        invalid: names.filter((name) => typeof present.get(name) === 'object'),
      };
    })
    .filter((service) => Object.keys(service.needed).length > 0);
  const distinct = (pick: (service: ServiceSecretsCheck) => string[]) => [...new Set(services.flatMap(pick))].sort();
  const missing = distinct((service) => service.missing);
  const empty = distinct((service) => service.empty);
  const invalid = distinct((service) => service.invalid);
  return {
    environment: secrets.environment,
    doppler: secrets.doppler,
    source,
    services,
    needed: distinct((service) => Object.keys(service.needed)),
    missing,
    empty,
    invalid,
    problems: Object.fromEntries(invalid.map((name) => [name, (present.get(name) as { readonly invalid: string }).invalid])),
    skipped: [...skipped].sort(),
    ok: missing.length === 0 && empty.length === 0 && invalid.length === 0,
  };
}

export interface SecretsCheckOptions {
  /** The environment to check. */
  readonly env: string;
  /** Environment files to find it in. @default - environments/*.ts of this repository */
  readonly envFiles?: string[];
  /** Where DOPPLER_TOKEN and DOPPLER_API_URL are read. @default - process.env */
  readonly variables?: NodeJS.ProcessEnv;
  /**
   * Check a dotenv file (the `.env` Compose reads beside its file) instead of Doppler; `true`
   * means the environment's own, `dist/compose/<env>/.env`.
   */
  readonly dotenv?: string | true;
}

/** Lists what the environment needs, reads its Doppler config (or a dotenv file) and compares. */
export async function checkSecrets(options: SecretsCheckOptions): Promise<SecretsCheckReport> {
  const { environment, secrets } = await loadEnvironmentSecretNeeds(options.env, options.envFiles);
  if (options.dotenv !== undefined) return checkDotenv(environment, secrets, options.dotenv === true ? defaultDotenv(environment) : options.dotenv);
  const credentials = dopplerCredentialsFromEnv(options.variables ?? process.env, secrets.doppler);
  const values = await downloadDopplerSecrets(credentials, secrets.doppler);
  // Keep only each value's state; the values go no further.
  const present = new Map([...values].map(([name, value]) => [name, secretState(name, value)]));
  values.clear();
  return compareSecrets(secrets, present);
}

function defaultDotenv(environment: StackEnvironment): string {
  if (!environment.renders('compose')) {
    throw new CliError(`environment "${environment.name}" does not render Compose, so it has no .env beside a Compose file; give --dotenv <file>, or check its Doppler config without --dotenv`);
  }
  return join('dist', 'compose', environment.name, '.env');
}

/**
 * Checks a dotenv file as Compose would read it. Secrets only the voice profile reads are
 * checked only when the file turns that profile on (COMPOSE_PROFILES), as Compose needs them then.
 */
async function checkDotenv(environment: StackEnvironment, secrets: EnvironmentSecrets, file: string): Promise<SecretsCheckReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const example = environment.renders('compose') ? `; copy ${join('dist', 'compose', environment.name, '.env.example')} to it and fill it in` : '';
    throw new CliError(`${file} does not exist${example}`);
  }
  const values = new Map(Object.entries(parseEnv(text)).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const profiles = (values.get('COMPOSE_PROFILES') ?? '').split(',').map((profile) => profile.trim());
  const voiceOnly = environment.renders('compose') && !profiles.includes(VOICE_PROFILE) ? [...voiceOnlySecrets(servicesOf(environment))] : [];
  const present = new Map([...values].map(([name, value]) => [name, secretState(name, value)]));
  values.clear();
  return compareSecrets(secrets, present, file, voiceOnly);
}

/** The report as text: one line per service, then one per missing, empty or invalid secret under it. */
export function formatSecretsReport(report: SecretsCheckReport): string[] {
  const width = Math.max(0, ...report.services.map((service) => service.service.length));
  const nameWidth = Math.max(0, ...report.services.flatMap((service) => [...service.missing, ...service.empty, ...service.invalid].map((name) => name.length)));
  const fromDoppler = report.source === `${report.doppler.project}/${report.doppler.config}`;
  const from = fromDoppler ? `Doppler project "${report.doppler.project}", config "${report.doppler.config}"` : `file ${report.source}`;
  const lines = [`secrets check: environment "${report.environment}", ${from}`];
  for (const service of report.services) {
    const total = Object.keys(service.needed).length;
    const bad = service.missing.length + service.empty.length + service.invalid.length;
    lines.push(`  ${bad === 0 ? '✓' : '✗'} ${service.service.padEnd(width)}  ${service.set.length} of ${total} set`);
    for (const [state, names] of [['missing', service.missing], ['empty', service.empty], ['invalid', service.invalid]] as const) {
      for (const name of names) {
        const problem = state === 'invalid' ? `: ${report.problems[name]}` : '';
        lines.push(`      ${state.padEnd(7)}  ${name.padEnd(nameWidth)}  (${(service.needed[name] ?? []).join(', ')})${problem}`);
      }
    }
  }
  if (report.ok) {
    lines.push(`all ${report.needed.length} secrets are set in ${report.source}.`);
  } else {
    const parts = [
      ...(report.missing.length > 0 ? [`missing: ${report.missing.join(', ')}`] : []),
      ...(report.empty.length > 0 ? [`empty: ${report.empty.join(', ')}`] : []),
      ...(report.invalid.length > 0 ? [`invalid: ${report.invalid.join(', ')}`] : []),
    ];
    const bad = report.missing.length + report.empty.length + report.invalid.length;
    lines.push(`${bad} of ${report.needed.length} secrets are not set in ${report.source} (${parts.join('; ')}).`);
    if (!fromDoppler) {
      lines.push(`what each one is and how to make one: the comments in dist/compose/${report.environment}/.env.example, from constructs/secret-catalog.ts`);
    }
  }
  if (report.skipped.length > 0) {
    lines.push(`not checked, the voice profile is off (COMPOSE_PROFILES=${VOICE_PROFILE} turns it on): ${report.skipped.join(', ')}`);
  }
  return lines;
}

/** The report as JSON: names by state, per service; never values. */
export function secretsReportJson(report: SecretsCheckReport): string {
  return toJson({
    environment: report.environment,
    doppler: report.doppler,
    source: report.source,
    ok: report.ok,
    needed: report.needed,
    missing: report.missing,
    empty: report.empty,
    invalid: report.invalid,
    problems: report.problems,
    skipped: report.skipped,
    services: Object.fromEntries(
      report.services.map((service) => [service.service, { needed: service.needed, set: service.set, missing: service.missing, empty: service.empty, invalid: service.invalid }]),
    ),
  });
}

/** `secrets check`: prints the report and returns the exit code, 1 when a secret is missing, empty or invalid. */
export async function secretsCheckCommand(
  options: SecretsCheckOptions & { readonly json?: boolean },
  write: (text: string) => void = (text) => process.stdout.write(text),
): Promise<number> {
  const report = await checkSecrets(options);
  write(options.json === true ? secretsReportJson(report) : `${formatSecretsReport(report).join('\n')}\n`);
  return report.ok ? 0 : 1;
}

export interface SecretsSyncOptions extends SecretsCheckOptions {
  /** Where RAILWAY_API_TOKEN, RAILWAY_TOKEN_KIND, RAILWAY_API_URL and RAILWAY_PROJECT_ID are read. @default - `variables` */
  readonly railwayVariables?: NodeJS.ProcessEnv;
}

/** What `secrets sync` wrote. Names only. */
export interface SecretsSyncReport {
  readonly environment: string;
  readonly doppler: { readonly project: string; readonly config: string };
  readonly railway: { readonly project: string; readonly environment: string };
  /** Shared variables written, sorted. */
  readonly synced: string[];
}

/**
 * Copies the secrets the environment's Railway services read (`${{shared.X}}`) from its Doppler
 * config into the Railway environment's shared variables, in one `variableCollectionUpsert` with
 * `skipDeploys: true`: the change stays staged until the next deploy. Writes nothing when a name
 * is missing or empty in Doppler, and leaves other shared variables alone (no `replace`).
 */
export async function syncSecrets(options: SecretsSyncOptions): Promise<SecretsSyncReport> {
  const { environment, secrets } = await loadEnvironmentSecretNeeds(options.env, options.envFiles);
  const railway = environment.renders('railway') ? environment.settings.railway : undefined;
  if (railway === undefined) throw new CliError(`environment "${environment.name}" does not render Railway, so it has no Railway variables to sync`);
  if (railway.secretSync !== 'cli') {
    throw new CliError(
      `environment "${environment.name}" gets its Railway shared variables from Doppler's Railway integration (railway.secretSync: '${railway.secretSync}'); ` +
        "set railway.secretSync: 'cli' in its environment file to sync them with this command instead (one writer only)",
    );
  }
  const names = secretNamesOf(secrets, 'railway');
  const variables = options.variables ?? process.env;
  const credentials = dopplerCredentialsFromEnv(variables, secrets.doppler);
  const railwayVariables = options.railwayVariables ?? variables;
  // Fail on Railway settings before reading any secret value.
  const api = railwayApiFromEnv(railwayVariables);
  const values = await downloadDopplerSecrets(credentials, secrets.doppler);
  const missing = names.filter((name) => !values.has(name));
  const empty = names.filter((name) => values.get(name) === '');
  if (missing.length > 0 || empty.length > 0) {
    values.clear();
    const parts = [...(missing.length > 0 ? [`missing: ${missing.join(', ')}`] : []), ...(empty.length > 0 ? [`empty: ${empty.join(', ')}`] : [])];
    throw new CliError(
      `Doppler project "${secrets.doppler.project}", config "${secrets.doppler.config}" lacks secrets Railway needs (${parts.join('; ')}); nothing was synced. ` +
        `secrets check --env ${environment.name} lists them by service`,
    );
  }
  const payload = Object.fromEntries(names.map((name) => [name, values.get(name) as string]));
  values.clear();
  const project = await api.resolveProject(railwayVariables['RAILWAY_PROJECT_ID']?.trim() || undefined, environment.name);
  if (project.projectName !== railway.project) {
    throw new CliError(`the Railway project of RAILWAY_API_TOKEN / RAILWAY_PROJECT_ID is "${project.projectName}", but environment "${environment.name}" renders railway.project "${railway.project}"; nothing was synced`);
  }
  await api.upsertVariables({ projectId: project.projectId, environmentId: project.environmentId, variables: payload, skipDeploys: true });
  return {
    environment: environment.name,
    doppler: secrets.doppler,
    railway: { project: project.projectName, environment: project.environmentName },
    synced: names,
  };
}

/** `secrets sync`: prints what was written (names only) and returns the exit code. */
export async function secretsSyncCommand(
  options: SecretsSyncOptions & { readonly json?: boolean },
  write: (text: string) => void = (text) => process.stdout.write(text),
): Promise<number> {
  const report = await syncSecrets(options);
  if (options.json === true) {
    write(toJson({ ...report, skipDeploys: true }));
  } else {
    write(
      `secrets sync: ${report.synced.length} shared variables from Doppler project "${report.doppler.project}", config "${report.doppler.config}" ` +
        `to Railway project "${report.railway.project}", environment "${report.railway.environment}" (staged; deploy to apply):\n` +
        report.synced.map((name) => `  ${name}\n`).join(''),
    );
  }
  return 0;
}
