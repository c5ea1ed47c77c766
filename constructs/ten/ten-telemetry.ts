import type { TenPropertyFile } from './ten-schemas.ts';

// TEN's runtime metrics (the service hub's `telemetry`), and how they reach Prometheus.
//
// TEN can serve them itself (exporter `prometheus`, one HTTP port), but the agent server runs every
// session as a worker process of its own with the same `ten` section, so a second session would
// find the port taken and TEN exits when its service hub cannot start. So every worker pushes OTLP
// instead, to an OpenTelemetry Collector in the same container (services/ten-agent/telemetry), and
// the collector serves what all of them pushed on one port, the ten-agent's metrics port.
//
// TEN reads `ten.services` as written (no `${env:…}` there: placeholders are resolved in node
// properties only), so the endpoint is a fixed loopback address: the same on every target.

/** Where each worker pushes: the collector's OTLP/gRPC receiver, on loopback inside the container. */
export const TEN_OTLP_ENDPOINT = 'http://127.0.0.1:4317';

/** The collector's Prometheus endpoint (its `prometheus` exporter): the ten-agent's metrics port. */
export const TEN_METRICS_PORT = 9464;

/** The variable the collector's configuration reads its Prometheus port from. */
export const TEN_METRICS_PORT_VARIABLE = 'TEN_METRICS_PORT';

/** `ten.services` of our tenapp: telemetry on, metrics pushed over OTLP/gRPC. */
export function tenTelemetryServices(): NonNullable<TenPropertyFile['ten']['services']> {
  return {
    telemetry: {
      enabled: true,
      metrics: { enabled: true, exporter: { type: 'otlp', config: { endpoint: TEN_OTLP_ENDPOINT, protocol: 'grpc' } } },
    },
  };
}
