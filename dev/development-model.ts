import { join } from 'node:path';
import { loadEnvironments } from '../cli/load-environments.ts';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { servicesOf, validateEnvironment, type StackService } from '../constructs/index.ts';

/** The environment `npm run dev` runs natively: what `docker compose` would run, on this machine. */
export const DEVELOPMENT_FILE = 'environments/development.ts';

/** The development environment's services by name, built and validated as synth does. */
export async function developmentServices(): Promise<ReadonlyMap<string, StackService>> {
  const [environment] = await loadEnvironments([join(REPO_ROOT, DEVELOPMENT_FILE)]);
  if (environment === undefined) throw new Error(`${DEVELOPMENT_FILE} built no environment`);
  validateEnvironment(environment);
  return new Map(servicesOf(environment).map((service) => [service.name, service]));
}

/** One service of the model, or an error saying the model no longer has it. */
export function serviceNamed(services: ReadonlyMap<string, StackService>, name: string): StackService {
  const service = services.get(name);
  if (service === undefined) throw new Error(`${DEVELOPMENT_FILE} has no service "${name}", which npm run dev runs (dev/stack-plan.ts)`);
  return service;
}
