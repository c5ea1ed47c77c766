/**
 * services/ten-agent/telemetry/otelcol.yaml, read offline (the collector cannot run here): it must
 * receive what our graph tells TEN's workers to push, serve it on the port the model scrapes, and
 * use only components of the collector's core distribution, the image the Dockerfile copies it
 * from. Each rule is checked against the real file and, to prove it can fail, a broken copy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { servicesOf, TenAgent, type StackEnvironment } from '../../constructs/index.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { TENAPP_PROPERTY_PATH } from '../../constructs/ten/tenapp.ts';
import { TEN_METRICS_PORT_VARIABLE, TEN_OTLP_ENDPOINT } from '../../constructs/ten/ten-telemetry.ts';
import { render } from '../helpers/synth.ts';

const CONFIG_PATH = 'services/ten-agent/telemetry/otelcol.yaml';
const SOURCE = readFileSync(join(REPO_ROOT, CONFIG_PATH), 'utf8');
/** Variables the image's ENV sets (services/ten-agent/Dockerfile), so the collector never reads an empty one. */
const IMAGE_ENV = new Set([TEN_METRICS_PORT_VARIABLE]);

/**
 * The components of the core distribution (otel/opentelemetry-collector), by kind, from its
 * manifest (open-telemetry/opentelemetry-collector-releases, distributions/otelcol/manifest.yaml,
 * v0.139.0), and for the ones we configure, the settings they take (their config schemas).
 */
const CORE: Record<string, Record<string, readonly string[] | undefined>> = {
  receivers: { otlp: ['protocols'], nop: undefined, hostmetrics: undefined, jaeger: undefined, kafka: undefined, prometheus: undefined, zipkin: undefined },
  processors: {
    memory_limiter: ['check_interval', 'limit_mib', 'spike_limit_mib', 'limit_percentage', 'spike_limit_percentage'],
    batch: undefined, attributes: undefined, resource: undefined, span: undefined, probabilistic_sampler: undefined, filter: undefined,
  },
  exporters: {
    prometheus: ['endpoint', 'const_labels', 'namespace', 'metric_expiration', 'resource_to_telemetry_conversion', 'send_timestamps', 'enable_open_metrics', 'without_scope_info', 'translation_strategy'],
    debug: undefined, nop: undefined, otlp: undefined, otlphttp: undefined, file: undefined, kafka: undefined, prometheusremotewrite: undefined, zipkin: undefined,
  },
  extensions: { zpages: undefined, health_check: undefined, pprof: undefined },
  connectors: { forward: undefined },
};

type Config = Record<string, any>;

/** What is wrong with a collector configuration, given what TEN pushes to and the metrics port variable. */
function problemsOf(source: string): string[] {
  const config = parse(source) as Config;
  const problems: string[] = [];
  for (const [kind, components] of Object.entries(config)) {
    if (kind === 'service') continue;
    const known = CORE[kind];
    if (known === undefined) {
      problems.push(`${kind}: not a section of a collector configuration`);
      continue;
    }
    for (const [id, settings] of Object.entries(components as Config)) {
      const type = id.split('/')[0]!;
      if (!(type in known)) {
        problems.push(`${kind}.${id}: ${type} is not in the core distribution`);
        continue;
      }
      const allowed = known[type];
      for (const key of Object.keys((settings as Config | null) ?? {})) {
        if (allowed !== undefined && !allowed.includes(key)) problems.push(`${kind}.${id}.${key}: not a setting of ${type}`);
      }
    }
  }

  const pipelines = (config['service']?.pipelines ?? {}) as Config;
  if (pipelines['metrics'] === undefined) problems.push('service.pipelines.metrics is missing');
  const used = new Set<string>();
  for (const [name, pipeline] of Object.entries(pipelines)) {
    for (const kind of ['receivers', 'processors', 'exporters']) {
      for (const id of (pipeline as Config)[kind] ?? []) {
        used.add(`${kind}.${id}`);
        if (config[kind]?.[id] === undefined) problems.push(`service.pipelines.${name}.${kind}: ${id} is not defined under ${kind}`);
      }
    }
  }
  for (const kind of ['receivers', 'processors', 'exporters']) {
    for (const id of Object.keys(config[kind] ?? {})) if (!used.has(`${kind}.${id}`)) problems.push(`${kind}.${id} is defined but in no pipeline`);
  }

  // What TEN's workers push to (our property.json): OTLP/gRPC on loopback.
  const pushTo = new URL(TEN_OTLP_ENDPOINT);
  const grpc = config['receivers']?.otlp?.protocols?.grpc?.endpoint;
  if (grpc !== `${pushTo.hostname}:${pushTo.port}`) problems.push(`receivers.otlp.protocols.grpc.endpoint is ${grpc}, but TEN pushes to ${TEN_OTLP_ENDPOINT}`);
  if (config['receivers']?.otlp?.protocols?.http !== undefined) problems.push('receivers.otlp.protocols.http opens a port nothing pushes to');

  const served = config['exporters']?.prometheus?.endpoint;
  if (served !== `:\${env:${TEN_METRICS_PORT_VARIABLE}}`) problems.push(`exporters.prometheus.endpoint is ${served}, not every address on \${env:${TEN_METRICS_PORT_VARIABLE}}`);
  for (const match of source.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)[^}]*\}/g)) {
    if (!IMAGE_ENV.has(match[1]!)) problems.push(`\${env:${match[1]}} is not set by the image`);
  }
  // The collector's own metrics would be one more listener in the container.
  if (config['service']?.telemetry?.metrics?.level !== 'none') problems.push('service.telemetry.metrics.level is not none');
  return problems;
}

describe(`${CONFIG_PATH} (read offline)`, () => {
  it('holds: core components only, each used, receiving what TEN pushes and serving it on the metrics port variable', () => {
    expect(problemsOf(SOURCE)).toEqual([]);
  });

  it.each<[string, (source: string) => string]>([
    ['a receiver on every address', (source) => source.replace('endpoint: 127.0.0.1:4317', 'endpoint: 0.0.0.0:4317')],
    ['another receiver port', (source) => source.replace('endpoint: 127.0.0.1:4317', 'endpoint: 127.0.0.1:4318')],
    ['a contrib-only processor', (source) => source.replace('  memory_limiter:\n', '  k8sattributes:\n')],
    ['a misspelt setting', (source) => source.replace('metric_expiration:', 'metric_expiraton:')],
    ['a fixed metrics port', (source) => source.replace(`":\${env:${TEN_METRICS_PORT_VARIABLE}}"`, '":9464"')],
    ['a variable the image does not set', (source) => source.replace(`\${env:${TEN_METRICS_PORT_VARIABLE}}`, '${env:METRICS_PORT}')],
    ['a processor in no pipeline', (source) => source.replace('processors: [memory_limiter]', 'processors: []')],
    ['a pipeline naming an undefined exporter', (source) => source.replace('exporters: [prometheus]', 'exporters: [prometheus, debug]')],
    ["the collector's own metrics on", (source) => source.replace('level: none', 'level: basic')],
  ])('fails on a copy with %s', (_, mutate) => {
    const broken = mutate(SOURCE);
    expect(broken, 'the mutation changes the file').not.toBe(SOURCE);
    expect(problemsOf(broken).length).toBeGreaterThan(0);
  });
});

describe("TEN's metrics path, end to end in what synth writes", () => {
  let environments: StackEnvironment[];
  beforeAll(async () => {
    ({ environments } = await render());
  });

  it('has every worker push OTLP/gRPC to the collector', () => {
    const property = JSON.parse(readFileSync(join(REPO_ROOT, TENAPP_PROPERTY_PATH), 'utf8'));
    expect(property.ten.services).toEqual({
      telemetry: { enabled: true, metrics: { enabled: true, exporter: { type: 'otlp', config: { endpoint: TEN_OTLP_ENDPOINT, protocol: 'grpc' } } } },
    });
  });

  it('gives the collector the port Prometheus scrapes, in every environment', () => {
    for (const environment of environments) {
      for (const agent of servicesOf(environment).filter((service): service is TenAgent => service instanceof TenAgent)) {
        expect(agent.env[TEN_METRICS_PORT_VARIABLE], `${environment.name}: ${agent.name}`).toBe(String(agent.metricsPort?.port));
        expect(agent.metricsPort?.name).toBe('metrics');
      }
    }
  });
});
