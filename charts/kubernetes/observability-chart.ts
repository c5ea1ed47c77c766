import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { StackEnvironment, StackService } from '../../constructs/index.ts';
import { observabilityContent } from '../observability/observability-content.ts';
import { toJson } from '../serialize.ts';

/** The dashboard's key in its ConfigMap: Grafana's sidecar provisions each key as a file of that name. */
export const DASHBOARD_FILE = 'voice-path.json';

/**
 * `_observability.yaml`, where the environment turns monitoring on: the voice path's alert rules
 * as a PrometheusRule (labelled for the Prometheus `ruleSelector`) and its dashboard as a
 * ConfigMap for Grafana's dashboard sidecar. The ServiceMonitors stay in each service's file, so a
 * service's deploy plan shows its own monitor.
 */
export class ObservabilityChart extends Chart {
  constructor(scope: Construct, environment: StackEnvironment, scraped: readonly StackService[]) {
    super(scope, '_observability', { namespace: environment.namespace, disableResourceNameHashes: true });
    const monitoring = environment.settings.kubernetes.monitoring;
    if (monitoring === undefined) throw new Error('ObservabilityChart needs kubernetes.monitoring');
    const { ruleGroups, dashboard } = observabilityContent(environment, scraped);
    const labels = { 'app.kubernetes.io/part-of': 'voice-agent', 'app.kubernetes.io/instance': `voice-agent-${environment.name}`, 'app.kubernetes.io/managed-by': 'cdk8s' };
    new ApiObject(this, 'rules', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'voice-agent', labels: { ...labels, ...monitoring.selectorLabels } },
      spec: { groups: ruleGroups.groups },
    });
    new ApiObject(this, 'dashboard', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'voice-agent-dashboard', labels: { ...labels, ...monitoring.dashboardLabels } },
      data: { [DASHBOARD_FILE]: toJson(dashboard) },
    });
  }
}
