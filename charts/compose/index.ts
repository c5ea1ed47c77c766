import { posix } from 'node:path';
import { instancesOf, servicesOf, type StackEnvironment, type StackService } from '../../constructs/index.ts';
import { emptyOutput, type RenderedOutput } from '../rendered-output.ts';
import { provenance } from '../provenance.ts';
import { toJson, toYaml } from '../serialize.ts';
import { composeDocument, VOICE_PROFILE, voiceOnlySecrets } from '../compose-file/compose-file.ts';
import { MIN_COMPOSE_VERSION } from '../compose-file/compose-version.ts';
import { composeSecretNames, type ComposePlacement } from '../compose-file/compose-values.ts';
import { addSecrets } from '../targets/deploy-target.ts';
import { envExamplePath, renderEnvExample } from './env-example.ts';
import { OBSERVABILITY_PROFILE, observabilityProfile } from './observability.ts';

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
    secretHint: 'copy .env.example beside this file to .env and fill it in, or run docker compose through doppler run --',
  };
  const filePath = composeFilePath(environment.name);
  const { document, warnings } = composeDocument({
    target: 'compose',
    projectName: `voice-agent-${environment.name}`,
    services,
    placement,
    filePath,
    voiceProfile: true,
    provenance: {
      ...provenance(environment),
      'needs-compose': `Docker Compose ${MIN_COMPOSE_VERSION} or newer`,
      run:
        `docker compose -f ${filePath} up --watch (secrets from .env beside this file, see .env.example; or through doppler run --project ${environment.settings.doppler.project} --config ${environment.settings.doppler.config} --); add --profile ${VOICE_PROFILE} for the voice agent` +
        (environment.settings.compose.observability !== undefined ? `, --profile ${OBSERVABILITY_PROFILE} for Prometheus and Grafana` : ''),
    },
  });
  const observability = observabilityProfile(environment, services);
  if (observability !== undefined) {
    document['services'] = { ...(document['services'] as Record<string, unknown>), ...observability.services };
    document['volumes'] = { ...(document['volumes'] as Record<string, unknown> | undefined), ...observability.volumes };
    for (const [path, content] of observability.files) {
      output.files.set(`${posix.dirname(filePath)}/${path}`, path.endsWith('.json') ? toJson(content) : toYaml(content));
    }
  }
  output.files.set(filePath, toYaml(document));
  output.files.set(envExamplePath(environment.name), renderEnvExample({ environment, serviceSecrets: composeServiceSecrets(services), voiceOnly: voiceOnlySecrets(services) }));
  output.warnings.push(...warnings.map((message) => ({ environment: environment.name, message })));
  return output;
}

/**
 * The secrets each Compose service reads (a replica addressed on its own is a service of its own),
 * as the renderer interpolates them: the target's secret list and `.env.example` both come from it.
 */
export function composeServiceSecrets(services: readonly StackService[]): Map<string, Set<string>> {
  const names = new Map<string, Set<string>>();
  for (const service of services) for (const instance of instancesOf(service)) addSecrets(names, instance.name, composeSecretNames(service));
  return names;
}
