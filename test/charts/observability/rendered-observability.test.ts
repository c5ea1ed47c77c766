import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { StackService, type StackEnvironment } from '../../../constructs/index.ts';
import { renderCompose } from '../../../charts/compose/index.ts';
import { renderKubernetes } from '../../../charts/kubernetes/index.ts';
import { COMPONENT_VERSION_METRIC } from '../../../charts/observability/index.ts';
import type { RenderedOutput } from '../../../charts/rendered-output.ts';
import { GRAFANA_VERSION, JITSI_VERSION, PROMETHEUS_VERSION } from '../../../environments/versions.ts';
import { specErrorOf, testEnvironment } from '../../helpers/model.ts';
import { render, temporaryDirectory } from '../../helpers/synth.ts';
import { promtool, toYaml, writeFiles } from './promtool.ts';

/**
 * The rules and dashboard as each target writes them: Kubernetes' `_observability.yaml`
 * (a PrometheusRule and a dashboard ConfigMap) and Compose's observability profile, checked with
 * the real promtool.
 */

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };

let output: RenderedOutput;

function observability(environment: string): K8sObject[] {
  const text = output.files.get(`dist/kubernetes/${environment}/_observability.yaml`);
  if (text === undefined) throw new Error(`no _observability.yaml for ${environment}`);
  return parseAllDocuments(text).map((document) => document.toJS() as K8sObject);
}

function kind(objects: K8sObject[], wanted: string): K8sObject {
  const found = objects.find((object) => object.kind === wanted);
  if (found === undefined) throw new Error(`no ${wanted}`);
  return found;
}

const REPO = join(import.meta.dirname, '../../..');

beforeAll(async () => {
  ({ output } = await render());
});

describe("Kubernetes' _observability.yaml", () => {
  it.each(['staging', 'production'])('%s: holds the alert rules as a PrometheusRule that promtool accepts, labelled for the rule selector', (environment) => {
    const rule = kind(observability(environment), 'PrometheusRule');
    expect(rule.metadata).toMatchObject({ name: 'voice-agent', labels: { release: 'kube-prometheus-stack' } });
    const names = rule.spec.groups.flatMap((group: { rules: Array<{ alert?: string; record?: string }> }) => group.rules.map((entry) => entry.alert ?? entry.record));
    expect(names).toEqual(expect.arrayContaining(['AgentCannotStart', 'AgentAddedLatencyHigh', 'McpToolErrorRatioHigh', 'McpAuditBacklogOld', 'VideobridgeStressHigh', 'DeployRolledBack', COMPONENT_VERSION_METRIC]));
    const directory = writeFiles({ 'rules.yml': toYaml({ groups: rule.spec.groups }) });
    const check = promtool(['check', 'rules', 'rules.yml'], directory);
    expect(check.output).toContain(`SUCCESS: ${names.length} rules found`);
    expect(check.status).toBe(0);
  });

  it('holds the dashboard in a ConfigMap for the Grafana sidecar', () => {
    const configMap = kind(observability('staging'), 'ConfigMap');
    expect(configMap.metadata).toMatchObject({ name: 'voice-agent-dashboard', labels: { grafana_dashboard: '1' } });
    const dashboard = JSON.parse(configMap.data?.['voice-path.json'] ?? '{}');
    expect(dashboard).toMatchObject({ uid: 'voice-agent-voice-path', title: 'Voice agent: voice path' });
    // Every observed service of the environment has its panels: the video bridge's among them.
    expect(JSON.stringify(dashboard)).toContain('jitsi_jvb_stress');
  });

  it('records the versions of TEN (the Dockerfile ARG), Jitsi and the MCP SDK (its package.json), which promtool evaluates', () => {
    const rule = kind(observability('staging'), 'PrometheusRule');
    const recorded = rule.spec.groups.flatMap((group: { rules: Array<{ record?: string; labels?: Record<string, string> }> }) => group.rules.filter((entry) => entry.record === COMPONENT_VERSION_METRIC));
    const tenVersion = /^ARG TEN_VERSION=(\S+)$/m.exec(readFileSync(join(REPO, 'services/ten-agent/Dockerfile'), 'utf8'))?.[1];
    const sdkVersion = (JSON.parse(readFileSync(join(REPO, 'services/mcp-server/package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies['@modelcontextprotocol/server'];
    expect(recorded.map((entry: { labels: Record<string, string> }) => entry.labels)).toEqual([
      { component: 'jitsi', version: JITSI_VERSION },
      { component: 'mcp-sdk', version: sdkVersion },
      { component: 'ten', version: tenVersion },
    ]);
    // The recorded series as Prometheus computes it, one per component.
    const directory = writeFiles({
      'rules.yml': toYaml({ groups: rule.spec.groups.filter((group: { name: string }) => group.name === 'voice-agent.versions') }),
      'test.yml': toYaml({
        rule_files: ['rules.yml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [],
            promql_expr_test: [
              {
                expr: `${COMPONENT_VERSION_METRIC}{component="ten"}`,
                eval_time: '1m',
                exp_samples: [{ labels: `${COMPONENT_VERSION_METRIC}{component="ten",version="${tenVersion}"}`, value: 1 }],
              },
            ],
          },
        ],
      }),
    });
    const run = promtool(['test', 'rules', 'test.yml'], directory);
    expect(run.output).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });

  it('is not rendered, nor any ServiceMonitor, where the environment turns no monitoring on', () => {
    const environment = testEnvironment({ targets: ['kubernetes'] });
    plainService(environment);
    const files = renderKubernetes(environment).files;
    expect([...files.keys()].sort()).toEqual(['dist/kubernetes/test/_namespace.yaml', 'dist/kubernetes/test/web.yaml']);
    expect(files.get('dist/kubernetes/test/web.yaml')).not.toContain('ServiceMonitor');
    expect(files.get('dist/kubernetes/test/web.yaml')).not.toContain('monitoring');
  });
});

describe("Compose's observability profile", () => {
  it('gives Prometheus a configuration and rules that promtool accepts as Prometheus reads them, scraping every service with metrics', () => {
    const directory = temporaryDirectory('observability-');
    for (const [path, text] of output.files) {
      if (!path.startsWith('dist/compose/development/observability/')) continue;
      const target = join(directory, path.slice('dist/compose/development/'.length));
      mkdirSync(join(target, '..'), { recursive: true });
      writeFileSync(target, text);
    }
    const check = promtool(['check', 'config', 'observability/prometheus.yml'], directory);
    expect(check.output).toContain('is valid prometheus config file syntax');
    expect(check.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(check.status).toBe(0);
    const config = parse(readFileSync(join(directory, 'observability/prometheus.yml'), 'utf8'));
    expect(config.scrape_configs.map((job: { job_name: string }) => job.job_name).sort()).toEqual(['frontend', 'jitsi-agent-bridge', 'jitsi-jicofo', 'jitsi-jvb', 'jitsi-prosody', 'mcp-server', 'ten-agent']);
    const bridge = config.scrape_configs.find((job: { job_name: string }) => job.job_name === 'jitsi-agent-bridge');
    expect(bridge).toMatchObject({ metrics_path: '/metrics', dns_sd_configs: [{ names: ['jitsi-agent-bridge'], type: 'A', port: 8090 }], relabel_configs: [{ target_label: 'service', replacement: 'jitsi-agent-bridge' }] });
  });

  it('runs pinned Prometheus and Grafana on loopback, only in that profile, with the same dashboard as Kubernetes', () => {
    const compose = parse(output.files.get('dist/compose/development/compose.yaml') ?? '');
    expect(compose.services.prometheus).toMatchObject({ image: `prom/prometheus:${PROMETHEUS_VERSION}`, profiles: ['observability'], ports: ['127.0.0.1:9090:9090'], read_only: true });
    expect(compose.services.grafana).toMatchObject({ image: `grafana/grafana:${GRAFANA_VERSION}`, profiles: ['observability'], ports: ['127.0.0.1:3001:3000'] });
    expect(compose.services.grafana.environment).toMatchObject({ GF_AUTH_ANONYMOUS_ENABLED: 'true', GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer', GF_AUTH_DISABLE_LOGIN_FORM: 'true' });
    const sources = compose.services.grafana.volumes.filter((volume: { type: string }) => volume.type === 'bind').map((volume: { source: string }) => volume.source);
    for (const source of sources) expect(output.files.has(`dist/compose/development/${source.replace(/^\.\//, '')}`), source).toBe(true);
    const dashboard = output.files.get('dist/compose/development/observability/dashboards/voice-path.json');
    const configMap = kind(observability('staging'), 'ConfigMap');
    expect(dashboard).toBe(configMap.data?.['voice-path.json']);
  });

  it('is left out where the environment asks for none, and refuses a floating image or a service already called prometheus', () => {
    const plain = testEnvironment();
    plainService(plain);
    expect(renderCompose(plain).files.has('dist/compose/test/observability/prometheus.yml')).toBe(false);

    const floating = specErrorOf(() => testEnvironment({ compose: { observability: { prometheusImage: 'prom/prometheus:latest', grafanaImage: 'grafana/grafana:12.1.0' } } }));
    expect(floating.message).toContain('compose.observability.prometheusImage');
    expect(floating.message).toContain('floating tag "latest"');

    const clash = testEnvironment({ compose: { observability: { prometheusImage: 'prom/prometheus:v3.5.0', grafanaImage: 'grafana/grafana:12.1.0' } } });
    new StackService(clash, 'prometheus', { image: 'prom/prometheus:v3.5.0' });
    const error = specErrorOf(() => renderCompose(clash));
    expect(error.message).toContain('compose.observability');
    expect(error.message).toContain('the stack has a service called "prometheus"');
  });
});

/** One pinned service with metrics, enough for a rendering. */
function plainService(environment: StackEnvironment): StackService {
  return new StackService(environment, 'web', { image: 'nginx:1.27.3-alpine', ports: [{ port: 9100 }], metrics: { port: 9100 } });
}
