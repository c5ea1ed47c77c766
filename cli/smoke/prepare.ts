import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { writeDevCatalog } from '../../dev/dev-catalog.ts';
import { fromImage } from '../../dev/image-paths.ts';
import { FAKE_PIPEDREAM_PROJECT } from '../../services/mcp-server/test/fakes/fake-pipedream.ts';
import { CliError } from '../cli-error.ts';
import { readComposeRendering, secretReferences, type RenderedService } from './compose-rendering.ts';
import { bakeFile, coreServices, notStartedReason, smokeImages, type SmokePlan } from './smoke-plan.ts';

export interface PrepareOptions {
  readonly env: string;
  readonly out: string;
  readonly fakePipedreamPort: number;
  /** The host name containers reach the stand-in Pipedream at (host.docker.internal; 127.0.0.1 for services started natively). */
  readonly fakePipedreamHost: string;
}

/** The stand-in Pipedream's own OAuth client and project: it refuses any other. */
const STAND_IN_SECRETS: Readonly<Record<string, string>> = {
  PIPEDREAM_CLIENT_ID: FAKE_PIPEDREAM_PROJECT.clientId,
  PIPEDREAM_CLIENT_SECRET: FAKE_PIPEDREAM_PROJECT.clientSecret,
  PIPEDREAM_PROJECT_ID: FAKE_PIPEDREAM_PROJECT.projectId,
};

/** The variable that names the MCP server's catalog: the service that has it is the one wired to the stand-in. */
const CATALOG_VARIABLE = 'TOOL_CATALOG';
/** Where the override mounts tools.json in the MCP server's container. */
const CATALOG_IN_CONTAINER = '/smoke/tools.json';

/**
 * A throw-away value for every secret the started services read: 64 hex characters (letters and
 * digits only, so URL-safe, and longer than every rule in the secret catalog), made fresh each
 * run; the stand-in Pipedream's client and project where it checks them. Never a real secret.
 */
export function throwAwaySecrets(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, STAND_IN_SECRETS[name] ?? randomBytes(32).toString('hex')]));
}

/** The rendered compose.yaml of an environment, or a CliError naming the ones there are. */
export function composeFileOf(env: string, root = REPO_ROOT): string {
  const file = join(root, 'dist', 'compose', env, 'compose.yaml');
  if (existsSync(file)) return file;
  const directory = join(root, 'dist', 'compose');
  const rendered = existsSync(directory) ? readdirSync(directory).filter((name) => existsSync(join(directory, name, 'compose.yaml'))) : [];
  throw new CliError(`environment "${env}" has no Compose rendering (${relative(root, file)}); environments rendered for Compose: ${rendered.join(', ') || 'none (run npm run synth)'}`);
}

/** What `smoke prepare` decides and writes; returns the plan. */
export async function prepareSmoke(options: PrepareOptions): Promise<SmokePlan> {
  if (!Number.isInteger(options.fakePipedreamPort) || options.fakePipedreamPort < 1 || options.fakePipedreamPort > 65_535) {
    throw new CliError(`--fake-pipedream-port must be a TCP port from 1 to 65535, got "${options.fakePipedreamPort}"`);
  }
  const out = resolve(options.out);
  if (!relative(REPO_ROOT, out).startsWith('..')) throw new CliError(`--out ${options.out} is inside the repository: give a directory outside it (its .env holds secrets), e.g. $RUNNER_TEMP/smoke`);
  const composeFile = composeFileOf(options.env);
  const composeDirectory = resolve(composeFile, '..');
  const rendered = readComposeRendering(composeFile);
  const started = coreServices(rendered);
  const mcp = started.find((service) => service.environment[CATALOG_VARIABLE] !== undefined);
  if (mcp === undefined) throw new CliError(`no started service of ${relative(REPO_ROOT, composeFile)} has ${CATALOG_VARIABLE}: the smoke test cannot wire the MCP server to the stand-in Pipedream`);

  const secrets = throwAwaySecrets([...new Set(started.flatMap(secretReferences))].sort());
  const fakePipedreamUrl = `http://${options.fakePipedreamHost}:${options.fakePipedreamPort}`;
  // A host name (host.docker.internal) is the containers' way to the runner; an address is one
  // this machine has (services started natively), which the stand-in then listens on alone.
  const reachedByName = isIP(options.fakePipedreamHost) === 0;
  const catalogSource = catalogOnDisk(mcp);
  // Where writeDevCatalog puts it.
  const catalog = join(out, 'tools.json');
  const mcpPort = Number(mcp.environment['PORT']);
  if (!Number.isInteger(mcpPort) || mcpPort < 1) throw new CliError(`${mcp.name} in ${relative(REPO_ROOT, composeFile)} has no PORT: the smoke test cannot publish it for the workflow check`);
  const override = {
    services: {
      [mcp.name]: {
        environment: { PIPEDREAM_BASE_URL: fakePipedreamUrl, [CATALOG_VARIABLE]: CATALOG_IN_CONTAINER },
        // The stand-in runs on the runner, beside Docker: the host's bridge address, under the name.
        ...(reachedByName ? { extra_hosts: [`${options.fakePipedreamHost}:host-gateway`] } : {}),
        // Published on loopback only, for the workflow check, which calls it from the runner.
        ports: [`127.0.0.1:${mcpPort}:${mcpPort}`],
        volumes: [{ type: 'bind', source: catalog, target: CATALOG_IN_CONTAINER, read_only: true }],
      },
    },
  };
  const plan: SmokePlan = {
    environment: options.env,
    composeFile,
    overrideFile: join(out, 'compose.smoke.yaml'),
    envFile: join(out, '.env'),
    projectName: `voice-agent-smoke-${options.env}`,
    profiles: [],
    services: started.map((service) => service.name),
    notStarted: rendered.filter((service) => !started.includes(service)).map((service) => ({ service: service.name, reason: notStartedReason(service) })),
    images: smokeImages(started, composeDirectory),
    healthCommands: Object.fromEntries(started.flatMap((service) => (service.healthcheck === undefined ? [] : [[service.name, service.healthcheck]]))),
    hostPorts: Object.fromEntries(started.flatMap((service) => hostPortOf(service, service === mcp ? mcpPort : undefined))),
    fakePipedream: { port: options.fakePipedreamPort, listen: reachedByName ? '0.0.0.0' : options.fakePipedreamHost, containerHost: options.fakePipedreamHost },
    catalog,
  };
  // Everything is decided before anything is written: a refusal leaves --out as it was.
  await mkdir(out, { recursive: true });
  writeDevCatalog(catalogSource, fakePipedreamUrl, out);
  const dotenv = Object.entries(secrets).map(([name, value]) => `${name}=${value}`);
  await writeFile(plan.envFile, `# Throw-away secrets of one smoke test run (npm run smoke -- prepare); never real ones.\n${dotenv.join('\n')}\n`, { mode: 0o600 });
  await writeFile(plan.overrideFile, `# The smoke test's changes to ${relative(REPO_ROOT, composeFile)}: the MCP server on the stand-in Pipedream.\n${stringify(override)}`);
  await writeFile(join(out, 'bake.json'), `${JSON.stringify(bakeFile(plan.images), null, 2)}\n`);
  await writeFile(join(out, 'smoke.json'), `${JSON.stringify(plan, null, 2)}\n`);
  return plan;
}

/** The catalog file the image carries (/app/… in the image is the repository's path). */
function catalogOnDisk(mcp: RenderedService): string {
  const inImage = mcp.environment[CATALOG_VARIABLE] ?? '';
  const path = fromImage(inImage);
  if (!existsSync(path)) throw new CliError(`${mcp.name}'s ${CATALOG_VARIABLE} ${inImage} is not a file of this repository (looked for ${relative(REPO_ROOT, path)})`);
  return path;
}

function hostPortOf(service: RenderedService, added: number | undefined): Array<[string, number]> {
  const port = service.ports.find((candidate) => candidate.protocol === 'tcp')?.host ?? added;
  return port === undefined ? [] : [[service.name, port]];
}
