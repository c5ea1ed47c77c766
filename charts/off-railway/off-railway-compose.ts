import { endpointInstanceName, servicesOf, startOrder, type StackEnvironment, type StackService } from '../../constructs/index.ts';
import { composeDocument } from '../compose-file/compose-file.ts';
import { requiredVariable, type ComposePlacement } from '../compose-file/compose-values.ts';
import { provenance } from '../provenance.ts';
import { isOffRailway, offRailwayHost, railwayHostname } from '../railway-placement.ts';
import { emptyOutput, type RenderedOutput } from '../rendered-output.ts';
import { toYaml } from '../serialize.ts';

/** Path of the Compose file for the services an environment runs off Railway. */
export function offRailwayComposePath(environment: StackEnvironment): string {
  return `dist/railway/${environment.name}-${offRailwayHost(environment)}/compose.yaml`;
}

/**
 * Renders the services Railway cannot run (public UDP: the Jitsi video bridge) as a Compose file
 * for a separate host. They reach Railway services through Railway TCP proxies, whose domain and
 * port Railway assigns; the file reads them from the host's environment.
 */
export function renderOffRailway(environment: StackEnvironment): RenderedOutput {
  const output = emptyOutput();
  const services = offRailwayServices(environment);
  if (services.length === 0) return output;
  const filePath = offRailwayComposePath(environment);
  const placement: ComposePlacement = {
    local: new Set(services.map((service) => service.name)),
    remote: (ref) => {
      // A replica addressed on its own is a Railway service of its own, with its own TCP proxy.
      const target = endpointInstanceName(ref);
      const prefix = `${target.toUpperCase().replaceAll('-', '_')}_TCP_${ref.port}`;
      const hint = `read RAILWAY_TCP_PROXY_DOMAIN and RAILWAY_TCP_PROXY_PORT with railway variables --service ${target} --environment ${environment.name} --kv`;
      const host = requiredVariable(`${prefix}_DOMAIN`, hint);
      const port = requiredVariable(`${prefix}_PORT`, hint);
      if (ref.form === 'host') return host;
      if (ref.form === 'port') return port;
      return `${ref.scheme}://${host}:${port}${ref.path}`;
    },
    publicUrl: (service) => `https://${railwayHostname(environment, service.name)}`,
  };
  const { document, warnings } = composeDocument({
    target: `compose on ${offRailwayHost(environment)}`,
    projectName: `voice-agent-${environment.name}-${offRailwayHost(environment)}`,
    envOverrides: (service) => environment.settings.railway?.offRailwayEnv[service.name] ?? {},
    services,
    placement,
    filePath,
    provenance: {
      ...provenance(environment),
      why: 'Railway has no public UDP; these services run on a separate host and reach Railway through TCP proxies',
      run: `doppler run --project ${environment.settings.doppler.project} --config ${environment.settings.doppler.config} -- docker compose -f compose.yaml up -d`,
    },
  });
  output.files.set(filePath, toYaml(document));
  output.warnings.push(...warnings.map((message) => ({ environment: environment.name, message })));
  return output;
}

/** The services an environment that renders Railway runs off it, in start order. */
export function offRailwayServices(environment: StackEnvironment): StackService[] {
  if (!environment.renders('railway')) return [];
  return startOrder(servicesOf(environment)).filter((service) => isOffRailway(environment, service.name));
}
