import {
  DatabaseOutputRef,
  Interpolation,
  SecretRef,
  UniqueList,
  instancesOf,
  servicesOf,
  type EnvValue,
  type StackEnvironment,
  type StackService,
} from '../../constructs/index.ts';
import { kubernetesEnvironment, runsInCluster } from '../kubernetes/kubernetes-values.ts';
import { isOffRailway } from '../railway/placement.ts';
import { planRailwayEnvironment, type RailwayValue } from '../railway/railway-plan.ts';

/**
 * Where a secret is read: a target, or `off-railway` for the services an environment that renders
 * Railway runs on its separate (UDP-capable) host, from `doppler run` like Compose.
 */
export type SecretConsumer = 'compose' | 'kubernetes' | 'off-railway' | 'railway';

/** The Doppler secrets one environment needs: names only, never values. */
export interface EnvironmentSecrets {
  readonly environment: string;
  readonly doppler: { readonly project: string; readonly config: string };
  /** For an environment that renders Railway: who copies the secrets into Railway's shared variables. */
  readonly railway?: { readonly secretSync: 'doppler-integration' | 'cli' };
  /**
   * Service name → secret name → where it is read, sorted; a replica addressed on its own appears
   * under its own name (`ten-agent-0`) for the targets that run it as a service of its own.
   * Services that need none are left out.
   */
  readonly services: Record<string, Record<string, SecretConsumer[]>>;
}

/**
 * Every Doppler secret each service of a validated environment needs, and which targets read it.
 * Each target's list comes from the same resolution its renderer uses: the Kubernetes container
 * environment (secrets from the Doppler operator, including an external database's connection
 * secrets), the Railway plan (`${{shared.X}}` variables; Railway's own databases need none), and
 * Compose's interpolation (a self-hosted database's URL carries its password secret).
 */
export function environmentSecrets(environment: StackEnvironment): EnvironmentSecrets {
  const services: Record<string, Record<string, SecretConsumer[]>> = {};
  const add = (service: string, names: Iterable<string>, consumer: SecretConsumer) => {
    for (const name of names) {
      const byName = (services[service] ??= {});
      (byName[name] ??= []).push(consumer);
    }
  };
  const all = servicesOf(environment);
  // Compose and the host off Railway list each replica addressed on its own as the service it runs as.
  const composeNames = (service: StackService) => instancesOf(service).map((instance) => instance.name);
  if (environment.renders('compose')) {
    for (const service of all) for (const name of composeNames(service)) add(name, composeSecretNames(service), 'compose');
  }
  if (environment.renders('kubernetes')) {
    for (const service of all) if (runsInCluster(service)) add(service.name, kubernetesEnvironment(service).secretNames, 'kubernetes');
  }
  if (environment.renders('railway')) {
    const plan = planRailwayEnvironment(environment);
    for (const resource of plan.resources) {
      if (resource.kind === 'service') add(resource.name, railwaySharedNames(Object.values(resource.env)), 'railway');
    }
    const overrides = environment.settings.railway?.offRailwayEnv ?? {};
    for (const service of all) {
      // The host's literal overrides replace those variables; whatever secret they held is not read there.
      if (!isOffRailway(environment, service.name)) continue;
      for (const name of composeNames(service)) add(name, composeSecretNames(service, Object.keys(overrides[service.name] ?? {})), 'off-railway');
    }
  }
  for (const byName of Object.values(services)) {
    for (const [name, consumers] of Object.entries(byName)) byName[name] = [...new Set(consumers)].sort();
  }
  const railway = environment.renders('railway') ? environment.settings.railway : undefined;
  return {
    environment: environment.name,
    doppler: { ...environment.settings.doppler },
    ...(railway !== undefined ? { railway: { secretSync: railway.secretSync } } : {}),
    services,
  };
}

/** Every secret name an environment needs, sorted; only those one target reads when `consumer` is given. */
export function secretNamesOf(secrets: EnvironmentSecrets, consumer?: SecretConsumer): string[] {
  const names = new Set<string>();
  for (const byName of Object.values(secrets.services)) {
    for (const [name, consumers] of Object.entries(byName)) if (consumer === undefined || consumers.includes(consumer)) names.add(name);
  }
  return [...names].sort();
}

/** Secrets Compose interpolates for a service, as resolveComposeValue resolves its variables. */
function composeSecretNames(service: StackService, replaced: string[] = []): Set<string> {
  const names = new Set<string>();
  const walk = (value: EnvValue | undefined): void => {
    if (value === undefined || typeof value === 'string') return;
    if (value instanceof SecretRef) names.add(value.name);
    else if (value instanceof Interpolation) value.parts.forEach(walk);
    else if (value instanceof UniqueList) value.items.forEach(walk);
    // A database Compose runs itself: its outputs are built from its host, port and secrets.
    else if (value instanceof DatabaseOutputRef) walk(value.database.selfHostedOutput(value.output));
  };
  for (const [name, value] of Object.entries(service.env)) if (!replaced.includes(name)) walk(value);
  return names;
}

const SHARED_REFERENCE = /\$\{\{\s*shared\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Shared variables a Railway service's planned variables read, directly or inside a literal. */
function railwaySharedNames(values: readonly RailwayValue[]): Set<string> {
  const names = new Set<string>();
  for (const value of values) {
    if (value.type === 'shared') names.add(value.name);
    if (value.type === 'literal') for (const match of value.value.matchAll(SHARED_REFERENCE)) names.add(match[1] as string);
  }
  return names;
}
