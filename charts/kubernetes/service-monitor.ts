import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { StackService } from '../../constructs/index.ts';
import { selectorLabels, serviceLabels } from './labels.ts';

/** How often Prometheus scrapes a service: often enough for the 5-minute alert windows to hold ten samples. */
export const SCRAPE_INTERVAL = '30s';

/** The name a model port has on the Kubernetes Service, which a ServiceMonitor endpoint refers to. */
export function servicePortName(port: { readonly name?: string | undefined; readonly protocol: string; readonly port: number }): string {
  return port.name ?? `${port.protocol}-${port.port}`;
}

/**
 * A Prometheus Operator ServiceMonitor for a service with metrics, where the environment turns
 * monitoring on: Prometheus finds every pod behind the service's Service (each replica is scraped
 * on its own) and labels its series with `namespace`, `service`, `pod` and `job` (the Service name).
 */
export function serviceMonitorOf(scope: Construct, service: StackService): void {
  const monitoring = service.environment.settings.kubernetes.monitoring;
  const metrics = service.data.metrics;
  if (monitoring === undefined || metrics === undefined) return;
  const port = service.metricsPort;
  if (port === undefined) return; // the model refuses this (StackService.checkMetricsPort)
  new ApiObject(scope, 'service-monitor', {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: service.name, labels: { ...serviceLabels(service), ...monitoring.selectorLabels } },
    spec: {
      selector: { matchLabels: selectorLabels(service.name) },
      namespaceSelector: { matchNames: [service.environment.namespace] },
      endpoints: [{ port: servicePortName(port), path: metrics.path, interval: SCRAPE_INTERVAL, scheme: 'http' }],
    },
  });
}
