import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateKubernetesObjects } from '../../charts/kubernetes/kubernetes-schemas.ts';
import type { RenderedOutput } from '../../charts/rendered-output.ts';
import { render } from '../helpers/synth.ts';

/**
 * The services with metrics as Prometheus finds them on Kubernetes: a ServiceMonitor each where the
 * environment turns monitoring on (staging and production), and a NetworkPolicy hole for the
 * monitoring namespace on exactly the metrics port.
 */

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any };

let output: RenderedOutput;

/** Each service with metrics, and the port Prometheus scrapes it on. */
const SCRAPED = [
  ['frontend', 9464],
  ['mcp-server', 8080],
  ['jitsi-agent-bridge', 8090],
  ['jitsi-jicofo', 8888],
  ['jitsi-jvb', 8080],
] as const;

function objects(environment: string): K8sObject[] {
  return [...output.files]
    .filter(([path]) => path.startsWith(`dist/kubernetes/${environment}/`))
    .flatMap(([, text]) => parseAllDocuments(text).map((document) => document.toJS() as K8sObject))
    .filter((object) => object !== null);
}

function find(environment: string, kind: string, name: string): K8sObject {
  const found = objects(environment).find((object) => object.kind === kind && object.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind}/${name} in ${environment}`);
  return found;
}

beforeAll(async () => {
  ({ output } = await render());
});

describe('ServiceMonitors', () => {
  it.each(['staging', 'production'])('%s: one per service with metrics, labelled for the Prometheus selector', (environment) => {
    const monitors = objects(environment).filter((object) => object.kind === 'ServiceMonitor');
    expect(monitors.map((monitor) => monitor.metadata.name).sort()).toEqual(['frontend', 'jitsi-agent-bridge', 'jitsi-jicofo', 'jitsi-jvb', 'jitsi-prosody', 'mcp-server', 'ten-agent']);
    for (const monitor of monitors) {
      expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(monitor.metadata.namespace).toBe(`voice-agent-${environment}`);
      expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack', 'app.kubernetes.io/name': monitor.metadata.name });
    }
  });

  it('scrape the named port of the Service they select, at the metrics path, every 30 s', () => {
    for (const [name, port] of SCRAPED) {
      const monitor = find('staging', 'ServiceMonitor', name);
      const service = find('staging', 'Service', name);
      // The Service the monitor selects carries the selector's labels, and the port it names.
      expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
      const endpoint = monitor.spec.endpoints[0];
      expect(service.spec.ports.find((candidate: { name: string }) => candidate.name === endpoint.port)?.port).toBe(port);
      expect(endpoint).toMatchObject({ path: '/metrics', interval: '30s', scheme: 'http' });
      expect(monitor.spec.namespaceSelector).toEqual({ matchNames: ['voice-agent-staging'] });
    }
  });

  it('let the monitoring namespace reach the metrics port and nothing else', () => {
    for (const [name, port] of SCRAPED) {
      const policy = find('staging', 'NetworkPolicy', name);
      const fromMonitoring = policy.spec.ingress.filter((rule: any) =>
        rule.from.some((peer: any) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring'),
      );
      expect(fromMonitoring).toEqual([{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port, protocol: 'TCP' }] }]);
    }
    // A service without metrics lets no monitoring in.
    expect(JSON.stringify(find('staging', 'NetworkPolicy', 'jitsi-web').spec.ingress)).not.toContain('monitoring');
  });

  it("validate against the Prometheus Operator's CRD schema, which refuses a broken one", async () => {
    const monitor = find('staging', 'ServiceMonitor', 'mcp-server');
    expect(await validateKubernetesObjects([{ file: 'mcp-server.yaml', object: monitor }])).toEqual([]);
    const broken = { ...monitor, spec: { ...monitor.spec, endpoints: [{ ...monitor.spec.endpoints[0], interval: 30 }] } };
    const problems = await validateKubernetesObjects([{ file: 'mcp-server.yaml', object: broken }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('mcp-server.yaml: ServiceMonitor/mcp-server');
    expect(problems[0]).toContain('interval');
  });

  it('say on Railway that nothing scrapes them there', () => {
    const notes = output.warnings.filter((warning) => warning.message.startsWith('railway: field "metrics"'));
    expect(notes.map((warning) => warning.environment).sort()).toEqual(['production', 'staging']);
    expect(notes[0]?.message).toContain('Railway scrapes no Prometheus metrics');
  });
});

describe('build versions', () => {
  it('give every built service its image tag as BUILD_VERSION where the image is tagged by content, and none on Compose', () => {
    for (const name of ['frontend', 'mcp-server', 'jitsi-agent-bridge', 'ten-agent']) {
      const kind = name === 'ten-agent' ? 'StatefulSet' : 'Deployment';
      const workload = find('staging', kind, name);
      const container = workload.spec.template.spec.containers[0];
      const tag = String(container.image).split(':').pop();
      expect(tag).toMatch(/^sha-[0-9a-f]{12}$/);
      expect((find('staging', 'ConfigMap', `${name}-env`) as any).data).toMatchObject({ BUILD_VERSION: tag });
    }
    // A pinned image is no build of ours.
    expect((find('staging', 'ConfigMap', 'jitsi-web-env') as any).data['BUILD_VERSION']).toBeUndefined();
    expect(output.files.get('dist/compose/development/compose.yaml')).not.toContain('BUILD_VERSION');
    const railway = JSON.parse(output.files.get('dist/railway/staging.json') ?? '{}') as { resources: Array<{ name: string; variables?: Record<string, { value?: string }> }> };
    const mcp = railway.resources.find((resource) => resource.name === 'mcp-server');
    expect(mcp?.variables?.['BUILD_VERSION']?.value).toBe(String(find('staging', 'Deployment', 'mcp-server').spec.template.spec.containers[0].image).split(':').pop());
  });
});
