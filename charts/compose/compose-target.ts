import { servicesOf } from '../../constructs/index.ts';
import { COMPOSE_FIELDS } from '../compose-file/compose-fields.ts';
import { VOICE_PROFILE } from '../compose-file/compose-file.ts';
import { composeUnits } from '../compose-file/compose-units.ts';
import { validateComposeFiles } from '../compose-file/compose-validation.ts';
import { emptyOutput, mergeOutput } from '../rendered-output.ts';
import type { DeployTarget } from '../targets/deploy-target.ts';
import { instancesNote, publicServices } from '../targets/public-services.ts';
import { composeFilePath, composeServiceSecrets, renderCompose } from './index.ts';

/** Docker Compose: the whole stack on one Docker host, `dist/compose/<env>/compose.yaml`. */
export const composeTarget: DeployTarget = {
  name: 'compose',
  setting: 'compose',
  fields: COMPOSE_FIELDS,
  filesOutsideDist: [],
  renders: (environment) => environment.renders('compose'),
  render(environments) {
    const output = emptyOutput();
    for (const environment of environments) mergeOutput(output, renderCompose(environment));
    return output;
  },
  secretNames: (environment) => composeServiceSecrets(servicesOf(environment)),
  publicEndpoints(environment) {
    // The published port on the environment's domain, plain HTTP: there is no TLS edge locally.
    const endpoints = publicServices(environment).map((service) => {
      const port = service.publicHttpPort!;
      return { service, origin: `http://${environment.settings.domain}:${port.hostPort ?? port.port}`, port: port.port };
    });
    return { endpoints, unchecked: [] };
  },
  placement: (service) => ({
    place: 'Docker host (Compose)',
    note: `compose${instancesNote(service)}${service.data.tier === 'voice' ? `, profile ${VOICE_PROFILE}` : ''}`,
    runs: true,
  }),
  summary: () => undefined,
  units(files, environment) {
    const file = composeFilePath(environment);
    const text = files.get(file);
    return text === undefined ? [] : composeUnits(file, text, environment, 'compose');
  },
  validate: async (files) => [await validateComposeFiles('compose', files, /^dist\/compose\/[^/]+\/compose\.yaml$/)],
};
