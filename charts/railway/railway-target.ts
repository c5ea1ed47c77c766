import { findInstance, instancesOf, isManagedDatabase, servicesOf, type StackService } from '../../constructs/index.ts';
import { isOffRailway } from '../railway-placement.ts';
import { sortKeys } from '../serialize.ts';
import { addSecrets, type DeployTarget, type PublicEndpoint, type RenderedUnit } from '../targets/deploy-target.ts';
import { instancesNote } from '../targets/public-services.ts';
import { planRailwayEnvironment, RAILWAY_SOURCE_PATH, railwayGraphPath, renderRailway } from './index.ts';
import { RAILWAY_FIELDS } from './railway-fields.ts';
import { validateRailwayFiles } from './railway-validation.ts';

/** Railway: one `.railway/railway.ts` for every Railway environment, and the graph each one resolves to. */
export const railwayTarget: DeployTarget = {
  name: 'railway',
  setting: 'railway',
  fields: RAILWAY_FIELDS,
  filesOutsideDist: [RAILWAY_SOURCE_PATH],
  renders: (environment) => environment.renders('railway'),
  render: (environments) => renderRailway(environments),
  secretNames(environment) {
    // Every secret a service's values name is a shared variable of Railway's (railwayValue);
    // Railway's own databases need none. A replica addressed on its own is a service of its own,
    // as the plan names it; no need to plan again for the names.
    const names = new Map<string, Set<string>>();
    for (const service of servicesOf(environment)) {
      if (isOffRailway(environment, service.name) || isManagedDatabase(service)) continue;
      for (const instance of instancesOf(service)) addSecrets(names, instance.name, service.secretNames);
    }
    return names;
  },
  publicEndpoints(environment) {
    // The custom domain of each public service, as planned.
    const endpoints: PublicEndpoint[] = [];
    for (const resource of planRailwayEnvironment(environment).resources) {
      if (resource.kind !== 'service') continue;
      const service = findInstance(environment, resource.name)?.service;
      if (service === undefined) continue;
      for (const domain of resource.domains) endpoints.push({ service, origin: `https://${domain.domain}`, port: domain.port });
    }
    return { endpoints, unchecked: [] };
  },
  placement(service: StackService) {
    const environment = service.environment;
    if (isOffRailway(environment, service.name)) return undefined;
    return {
      place: `Railway project ${environment.settings.railway?.project}, environment ${environment.name}`,
      note: isManagedDatabase(service) ? `railway: ${service.engine}()` : `railway${instancesNote(service)}`,
      runs: true,
    };
  },
  summary: () => undefined,
  units(files, environment) {
    // Each service or database resource of `dist/railway/<env>.json`.
    const file = railwayGraphPath(environment);
    const text = files.get(file);
    if (text === undefined) return [];
    const graph = JSON.parse(text) as { resources?: Array<{ name: string; type: string }> };
    return (graph.resources ?? [])
      .filter((resource) => resource.type === 'service' || resource.type === 'database')
      .map((resource): RenderedUnit => ({ environment, service: resource.name, target: 'railway', format: 'railway', file, content: sortKeys(resource) }));
  },
  validate: async (files, root) => [await validateRailwayFiles(files, root, RAILWAY_SOURCE_PATH)],
};
