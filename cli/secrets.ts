import { join } from 'node:path';
import { pickEnvironment } from './environment-by-name.ts';
import { environmentSecrets, secretNamesOf, type EnvironmentSecrets, type SecretConsumer } from '../charts/doppler/index.ts';
import { toJson } from '../charts/serialize.ts';
import { SpecError, validateEnvironment, type StackEnvironment } from '../constructs/index.ts';
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

/** One service's secrets, by state. */
export interface ServiceSecretsCheck {
  readonly service: string;
  /** Secret name → where it is read. */
  readonly needed: Record<string, SecretConsumer[]>;
  readonly set: string[];
  readonly empty: string[];
  readonly missing: string[];
}

/** What `secrets check` found. Names only. */
export interface SecretsCheckReport {
  readonly environment: string;
  readonly doppler: { readonly project: string; readonly config: string };
  /** Services that need secrets, sorted by name. */
  readonly services: ServiceSecretsCheck[];
  /** Distinct names over all services, sorted. */
  readonly needed: string[];
  readonly missing: string[];
  readonly empty: string[];
  readonly ok: boolean;
}

/**
 * Compares what an environment needs with what its Doppler config holds. `present` maps each
 * secret name Doppler has to whether its value is empty; values themselves never get here.
 */
export function compareSecrets(secrets: EnvironmentSecrets, present: ReadonlyMap<string, 'set' | 'empty'>): SecretsCheckReport {
  const services = Object.keys(secrets.services)
    .sort()
    .map((service) => {
      const needed = secrets.services[service] ?? {};
      const names = Object.keys(needed).sort();
      return {
        service,
        needed,
        set: names.filter((name) => present.get(name) === 'set'),
        empty: names.filter((name) => present.get(name) === 'empty'),
        missing: names.filter((name) => !present.has(name)),
      };
    });
  const distinct = (pick: (service: ServiceSecretsCheck) => string[]) => [...new Set(services.flatMap(pick))].sort();
  const missing = distinct((service) => service.missing);
  const empty = distinct((service) => service.empty);
  return {
    environment: secrets.environment,
    doppler: secrets.doppler,
    services,
    needed: distinct((service) => Object.keys(service.needed)),
    missing,
    empty,
    ok: missing.length === 0 && empty.length === 0,
  };
}

export interface SecretsCheckOptions {
  /** The environment to check. */
  readonly env: string;
  /** Environment files to find it in. @default - environments/*.ts of this repository */
  readonly envFiles?: string[];
  /** Where DOPPLER_TOKEN and DOPPLER_API_URL are read. @default - process.env */
  readonly variables?: NodeJS.ProcessEnv;
}

/** Lists what the environment needs, downloads its Doppler config and compares. */
export async function checkSecrets(options: SecretsCheckOptions): Promise<SecretsCheckReport> {
  const { secrets } = await loadEnvironmentSecretNeeds(options.env, options.envFiles);
  const credentials = dopplerCredentialsFromEnv(options.variables ?? process.env, secrets.doppler);
  const values = await downloadDopplerSecrets(credentials, secrets.doppler);
  // Keep only whether each value is empty; the values go no further.
  const present = new Map<string, 'set' | 'empty'>([...values].map(([name, value]) => [name, value === '' ? 'empty' : 'set']));
  values.clear();
  return compareSecrets(secrets, present);
}

/** The report as text: one line per service, then one per missing or empty secret under it. */
export function formatSecretsReport(report: SecretsCheckReport): string[] {
  const width = Math.max(0, ...report.services.map((service) => service.service.length));
  const nameWidth = Math.max(0, ...report.services.flatMap((service) => [...service.missing, ...service.empty].map((name) => name.length)));
  const lines = [`secrets check: environment "${report.environment}", Doppler project "${report.doppler.project}", config "${report.doppler.config}"`];
  for (const service of report.services) {
    const total = Object.keys(service.needed).length;
    const bad = service.missing.length + service.empty.length;
    lines.push(`  ${bad === 0 ? '✓' : '✗'} ${service.service.padEnd(width)}  ${service.set.length} of ${total} set`);
    for (const [state, names] of [['missing', service.missing], ['empty', service.empty]] as const) {
      for (const name of names) lines.push(`      ${state.padEnd(7)}  ${name.padEnd(nameWidth)}  (${(service.needed[name] ?? []).join(', ')})`);
    }
  }
  if (report.ok) {
    lines.push(`all ${report.needed.length} secrets are set in ${report.doppler.project}/${report.doppler.config}.`);
  } else {
    const parts = [
      ...(report.missing.length > 0 ? [`missing: ${report.missing.join(', ')}`] : []),
      ...(report.empty.length > 0 ? [`empty: ${report.empty.join(', ')}`] : []),
    ];
    lines.push(`${report.missing.length + report.empty.length} of ${report.needed.length} secrets are not set in ${report.doppler.project}/${report.doppler.config} (${parts.join('; ')}).`);
  }
  return lines;
}

/** The report as JSON: names by state, per service; never values. */
export function secretsReportJson(report: SecretsCheckReport): string {
  return toJson({
    environment: report.environment,
    doppler: report.doppler,
    ok: report.ok,
    needed: report.needed,
    missing: report.missing,
    empty: report.empty,
    services: Object.fromEntries(
      report.services.map((service) => [service.service, { needed: service.needed, set: service.set, missing: service.missing, empty: service.empty }]),
    ),
  });
}

/** `secrets check`: prints the report and returns the exit code, 1 when a secret is missing or empty. */
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
