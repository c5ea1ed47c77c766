import { servicesOf, type StackEnvironment } from '../../constructs/index.ts';
import { emptyOutput, type RenderedOutput } from '../rendered-output.ts';
import { provenance } from '../provenance.ts';
import { toYaml } from '../serialize.ts';
import { composeDocument } from '../compose-file/compose-file.ts';
import type { ComposePlacement } from '../compose-file/compose-values.ts';

/** Path of an environment's Compose file, relative to the output root. */
export function composeFilePath(environmentName: string): string {
  return `dist/compose/${environmentName}/compose.yaml`;
}

/** Renders `dist/compose/<env>/compose.yaml`: the whole stack on one Docker host. */
export function renderCompose(environment: StackEnvironment): RenderedOutput {
  const output = emptyOutput();
  const services = servicesOf(environment);
  const placement: ComposePlacement = {
    local: new Set(services.map((service) => service.name)),
    remote: () => undefined,
    // Compose serves plain HTTP on the published port; there is no TLS edge locally.
    publicUrl: (service) => `http://${environment.settings.domain}:${service.publicHttpPort?.hostPort ?? service.publicHttpPort?.port ?? 80}`,
  };
  const filePath = composeFilePath(environment.name);
  const { document, warnings } = composeDocument({
    target: 'compose',
    projectName: `voice-agent-${environment.name}`,
    services,
    placement,
    filePath,
    provenance: {
      ...provenance(environment),
      run: `doppler run --project ${environment.settings.doppler.project} --config ${environment.settings.doppler.config} -- docker compose -f ${filePath} up`,
    },
  });
  output.files.set(filePath, toYaml(document));
  output.warnings.push(...warnings.map((message) => ({ environment: environment.name, message })));
  return output;
}
