import { parse as parseYaml } from 'yaml';
import { instancesOf, type StackEnvironment } from '../../constructs/index.ts';
import { COMPOSE_FIELDS } from '../compose-file/compose-fields.ts';
import { composeUnits } from '../compose-file/compose-units.ts';
import { validateComposeFiles } from '../compose-file/compose-validation.ts';
import { composeSecretNames } from '../compose-file/compose-values.ts';
import { isOffRailway, offRailwayHost } from '../railway-placement.ts';
import { emptyOutput, mergeOutput } from '../rendered-output.ts';
import { addSecrets, type DeployTarget, type RenderedFiles, type RenderedUnit } from '../targets/deploy-target.ts';
import { instancesNote } from '../targets/public-services.ts';
import { offRailwayServices, renderOffRailway } from './off-railway-compose.ts';

/**
 * The separate host an environment that renders Railway runs what Railway cannot (public UDP:
 * the video bridge) on, from a Compose file under `doppler run`. It is part of the environment's
 * Railway deployment, so health and plan report it under `railway`.
 */
export const offRailwayTarget: DeployTarget = {
  name: 'off-railway',
  setting: 'railway',
  fields: COMPOSE_FIELDS,
  filesOutsideDist: [],
  renders: (environment) => offRailwayServices(environment).length > 0,
  render(environments) {
    const output = emptyOutput();
    for (const environment of environments) mergeOutput(output, renderOffRailway(environment));
    return output;
  },
  secretNames(environment) {
    // The host's literal overrides replace those variables; whatever secret they held is not read there.
    const overrides = environment.settings.railway?.offRailwayEnv ?? {};
    const names = new Map<string, Set<string>>();
    for (const service of offRailwayServices(environment)) {
      for (const instance of instancesOf(service)) addSecrets(names, instance.name, composeSecretNames(service, Object.keys(overrides[service.name] ?? {})));
    }
    return names;
  },
  publicEndpoints(environment) {
    const unchecked = offRailwayServices(environment)
      .filter((service) => service.publicHttpPort !== undefined)
      .map((service) => ({ service, reason: 'runs off Railway, on the separate host' }));
    return { endpoints: [], unchecked };
  },
  placement(service) {
    const environment = service.environment;
    if (!isOffRailway(environment, service.name)) return undefined;
    return {
      place: `${offRailwayHost(environment)} (off Railway, Docker Compose)`,
      note: `railway: off Railway on ${offRailwayHost(environment)}${instancesNote(service)}`,
      runs: true,
      // renderOffRailway resolves every endpoint on Railway to the TCP proxy Railway gives it.
      reachesOtherPlacesThrough: 'through a Railway TCP proxy, over the internet',
    };
  },
  summary(environment: StackEnvironment) {
    const names = offRailwayServices(environment).map((service) => service.name);
    return names.length > 0 ? `${names.join(', ')} off Railway` : undefined;
  },
  units(files, environment) {
    return offRailwayComposeFiles(files, environment).flatMap((file): RenderedUnit[] => composeUnits(file, files.get(file)!, environment, 'railway'));
  },
  validate: async (files) => [await validateComposeFiles('off-railway', files, OFF_RAILWAY_COMPOSE_FILE)],
};

/** `dist/railway/<env>-<host>/compose.yaml`. */
const OFF_RAILWAY_COMPOSE_FILE = /^dist\/railway\/[^/]+\/compose\.yaml$/;

/**
 * The off-Railway Compose files of an environment. The host's name is the environment's choice,
 * and environment names may contain dashes (`staging` and `staging-eu`), so a file belongs to the
 * environment its provenance (`x-voice-agent.environment`) names, not to a path prefix.
 */
function offRailwayComposeFiles(files: RenderedFiles, environment: string): string[] {
  const found: string[] = [];
  for (const [file, text] of files) {
    if (!OFF_RAILWAY_COMPOSE_FILE.test(file) || !file.startsWith(`dist/railway/${environment}-`)) continue;
    const parsed = parseYaml(text) as { 'x-voice-agent'?: { environment?: string } } | null;
    if (parsed?.['x-voice-agent']?.environment === environment) found.push(file);
  }
  return found.sort();
}
