import { App, Yaml } from 'cdk8s';
import { servicesOf, type StackEnvironment } from '../../constructs/index.ts';
import { emptyOutput, type RenderedOutput } from '../rendered-output.ts';
import { fieldWarnings } from '../target-fields.ts';
import { KUBERNETES_FIELDS } from './kubernetes-fields.ts';
import { runsInCluster } from './kubernetes-values.ts';
import { NamespaceChart } from './namespace-chart.ts';
import { ObservabilityChart } from './observability-chart.ts';
import { ServiceChart } from './service-chart.ts';

export * from './kubernetes-values.ts';

/** Folder of an environment's manifests, relative to the output root. */
export function kubernetesDirectory(environmentName: string): string {
  return `dist/kubernetes/${environmentName}`;
}

/**
 * Renders `dist/kubernetes/<env>/`: `_namespace.yaml`, one file per service and, where the
 * environment turns monitoring on, `_observability.yaml`. Argo CD syncs the
 * folder as is (rendered-manifests pattern).
 */
export function renderKubernetes(environment: StackEnvironment): RenderedOutput {
  const output = emptyOutput();
  const app = new App({ outdir: kubernetesDirectory(environment.name) });
  const charts = [new NamespaceChart(app, environment)];
  // An external database has no objects of its own: its consumers read its Doppler secrets.
  const inCluster = servicesOf(environment).filter(runsInCluster);
  for (const service of inCluster) charts.push(new ServiceChart(app, service));
  if (environment.settings.kubernetes.monitoring !== undefined) charts.push(new ObservabilityChart(app, environment, inCluster));
  const problems = app.node.findAll().flatMap((construct) => construct.node.validate().map((problem) => `${construct.node.path}: ${problem}`));
  if (problems.length > 0) throw new Error(`kubernetes validation failed:\n${problems.join('\n')}`);
  for (const chart of charts) {
    output.files.set(`${kubernetesDirectory(environment.name)}/${chart.node.id}.yaml`, Yaml.stringify(...chart.toJson()));
  }
  output.warnings.push(...fieldWarnings('kubernetes', KUBERNETES_FIELDS, inCluster).map((message) => ({ environment: environment.name, message })));
  return output;
}
