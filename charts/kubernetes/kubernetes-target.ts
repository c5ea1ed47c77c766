import { parseAllDocuments } from 'yaml';
import { servicesOf } from '../../constructs/index.ts';
import { emptyOutput, mergeOutput } from '../rendered-output.ts';
import { sortKeys } from '../serialize.ts';
import { addSecrets, type DeployTarget, type RenderedUnit } from '../targets/deploy-target.ts';
import { publicServices } from '../targets/public-services.ts';
import { renderArgocd } from './argocd-application.ts';
import { kubernetesDirectory, renderKubernetes } from './index.ts';
import { KUBERNETES_FIELDS } from './kubernetes-fields.ts';
import { validateKubernetesFiles } from './kubernetes-validation.ts';
import { kubernetesEnvironment, runsInCluster } from './kubernetes-values.ts';

/** Kubernetes: manifests per environment under `dist/kubernetes/<env>/`, synced by an Argo CD Application. */
export const kubernetesTarget: DeployTarget = {
  name: 'kubernetes',
  setting: 'kubernetes',
  fields: KUBERNETES_FIELDS,
  filesOutsideDist: [],
  renders: (environment) => environment.renders('kubernetes'),
  render(environments) {
    const output = emptyOutput();
    for (const environment of environments) {
      mergeOutput(output, renderKubernetes(environment));
      mergeOutput(output, renderArgocd(environment));
    }
    return output;
  },
  secretNames(environment) {
    // The container environment, as rendered: secrets from the Doppler operator, an external database's included.
    const names = new Map<string, Set<string>>();
    for (const service of servicesOf(environment)) if (runsInCluster(service)) addSecrets(names, service.name, kubernetesEnvironment(service).secretNames);
    return names;
  },
  publicEndpoints(environment) {
    // The Ingress hostname, HTTPS through cert-manager.
    const endpoints = publicServices(environment).map((service) => ({ service, origin: `https://${environment.publicHostname(service.name)}`, port: service.publicHttpPort!.port }));
    return { endpoints, unchecked: [] };
  },
  placement: (service) =>
    runsInCluster(service)
      ? { place: `Kubernetes cluster, namespace ${service.environment.namespace}`, note: 'kubernetes', runs: true }
      : { place: 'external databases, connection secrets in Doppler', note: 'kubernetes: external (Doppler)', runs: false },
  summary(environment) {
    const external = servicesOf(environment).filter((service) => !runsInCluster(service));
    return external.length > 0 ? `${external.map((service) => service.name).join(', ')} external on kubernetes` : undefined;
  },
  units(files, environment) {
    // `dist/kubernetes/<env>/<service>.yaml`: every object of the file; `_namespace.yaml` is no service.
    const prefix = `${kubernetesDirectory(environment)}/`;
    const units: RenderedUnit[] = [];
    for (const [file, text] of files) {
      if (!file.startsWith(prefix) || !file.endsWith('.yaml') || file.slice(prefix.length).startsWith('_') || file.slice(prefix.length).includes('/')) continue;
      const service = file.slice(prefix.length, -'.yaml'.length);
      const objects = parseAllDocuments(text).map((document) => document.toJS() as { kind?: string; metadata?: { name?: string } } | null);
      const content = Object.fromEntries(objects.filter((object) => object !== null).map((object) => [`${object.kind}/${object.metadata?.name}`, object]));
      units.push({ environment, service, target: 'kubernetes', format: 'kubernetes', file, content: sortKeys(content) });
    }
    return units;
  },
  validate: (files) => validateKubernetesFiles(files),
};
