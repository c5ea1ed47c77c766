import type { StackEnvironment } from '../../constructs/index.ts';
import { targetsOf, type TargetName } from '../targets/index.ts';

/**
 * Where a secret is read: a target, `off-railway` being the services an environment that renders
 * Railway runs on its separate (UDP-capable) host, from `doppler run` like Compose.
 */
export type SecretConsumer = TargetName;

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
 * Every Doppler secret each service of a validated environment needs, and which targets read it:
 * each target's list comes from that target (the same resolution its renderer uses).
 */
export function environmentSecrets(environment: StackEnvironment): EnvironmentSecrets {
  const services: Record<string, Record<string, SecretConsumer[]>> = {};
  for (const target of targetsOf(environment)) {
    for (const [service, names] of target.secretNames(environment)) {
      const byName = (services[service] ??= {});
      for (const name of names) (byName[name] ??= []).push(target.name);
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
    services: Object.fromEntries(Object.entries(services).sort(([a], [b]) => a.localeCompare(b))),
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
