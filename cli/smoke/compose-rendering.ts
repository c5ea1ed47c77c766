import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CliError } from '../cli-error.ts';

/** A port a Compose service publishes on the host. */
export interface PublishedPort {
  readonly host: number;
  readonly container: number;
  readonly protocol: 'tcp' | 'udp';
}

/** One service of a rendered compose.yaml, as much of it as the smoke test reads. */
export interface RenderedService {
  readonly name: string;
  readonly profiles: readonly string[];
  readonly image: string | undefined;
  /** Paths as the file gives them: relative to the compose file's directory. */
  readonly build: { readonly context: string; readonly dockerfile: string } | undefined;
  readonly platform: string | undefined;
  /** Values as written, `${NAME:?…}` references to the .env file included. */
  readonly environment: Readonly<Record<string, string>>;
  /** The healthcheck's `test`, e.g. `['CMD', 'pg_isready', …]`; undefined without one. */
  readonly healthcheck: readonly string[] | undefined;
  readonly ports: readonly PublishedPort[];
}

interface ComposeService {
  profiles?: string[];
  image?: string;
  build?: { context?: string; dockerfile?: string };
  platform?: string;
  environment?: Record<string, string | number | boolean | null>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  ports?: Array<string | number>;
}

/** Reads the services of a compose file synth rendered (map-form environments, short-form ports). */
export function readComposeRendering(file: string): RenderedService[] {
  let document: { services?: Record<string, ComposeService> };
  try {
    document = parse(readFileSync(file, 'utf8')) as typeof document;
  } catch (error) {
    throw new CliError(`cannot read the Compose rendering ${file}: ${(error as Error).message} (run npm run synth)`);
  }
  const services = document?.services;
  if (services === undefined || services === null || typeof services !== 'object') throw new CliError(`${file} has no services`);
  return Object.entries(services).map(([name, service]) => ({
    name,
    profiles: service.profiles ?? [],
    image: service.image,
    build: service.build === undefined ? undefined : { context: service.build.context ?? '.', dockerfile: service.build.dockerfile ?? 'Dockerfile' },
    platform: service.platform,
    environment: Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, value === null ? '' : String(value)])),
    healthcheck: healthTest(service.healthcheck),
    ports: (service.ports ?? []).map((port) => publishedPort(String(port), `${file}: services.${name}.ports`)),
  }));
}

function healthTest(healthcheck: ComposeService['healthcheck']): readonly string[] | undefined {
  if (healthcheck === undefined || healthcheck.disable === true || healthcheck.test === undefined) return undefined;
  const test = typeof healthcheck.test === 'string' ? ['CMD-SHELL', healthcheck.test] : healthcheck.test;
  return test[0] === 'NONE' ? undefined : test;
}

/** `[ip:]host:container[/protocol]`, the short syntax synth renders. */
function publishedPort(text: string, where: string): PublishedPort {
  const match = /^(?:[\d.]+:|\[[\da-f:]+\]:)?(\d+):(\d+)(?:\/(tcp|udp))?$/i.exec(text);
  if (match === null) throw new CliError(`${where}: "${text}" is not host:container[/protocol]`);
  return { host: Number(match[1]), container: Number(match[2]), protocol: (match[3]?.toLowerCase() ?? 'tcp') as 'tcp' | 'udp' };
}

/** The names of the secrets a service's environment takes from the .env file: `${NAME:?…}` and `${NAME:-…}`. */
export function secretReferences(service: RenderedService): string[] {
  const names = new Set<string>();
  for (const value of Object.values(service.environment)) {
    for (const match of value.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(?::?[?-][^}]*)?\}/g)) names.add(match[1] as string);
  }
  return [...names].sort();
}
