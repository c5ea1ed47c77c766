import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changeReasons } from '../../cli/plan/change-reasons.ts';
import { renderedUnits, type RenderedUnit } from '../../cli/plan/rendered-units.ts';
import { restartsWorkload } from '../../cli/plan/restarts.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import type { Target } from '../../constructs/index.ts';
import { readTree } from '../helpers/synth.ts';

/**
 * What `plan` says of one field changed in the committed rendering: the reasons, worded by name,
 * peer or value, and whether applying it restarts the workload. Each case starts from the real
 * rendered unit (dist/), changes one thing the way a renderer change would, and compares.
 */
const files = new Map([...readTree(join(REPO_ROOT, 'dist'))].map(([path, text]) => [`dist/${path}`, text]));

function unit(environment: string, service: string, target: Target, file?: string): RenderedUnit {
  const found = renderedUnits(files, environment).find((candidate) => candidate.service === service && candidate.target === target && (file === undefined || candidate.file === file));
  if (found === undefined) throw new Error(`no ${target} unit ${service} in ${environment}`);
  return found;
}

/** Parsed YAML or JSON, which the edits reach into by path. */
type Content = any;

function change(of: RenderedUnit, edit: (content: Content) => void): { reasons: string[]; restarts: boolean } {
  const after = structuredClone(of.content) as Content;
  edit(after);
  const layout = of.format;
  return { reasons: changeReasons(layout, of.content, after), restarts: restartsWorkload(layout, of.content, after) };
}

const serviceLabel = (service: string) => ({ matchLabels: { 'app.kubernetes.io/name': service } });

describe('plan reasons and restarts on Kubernetes', () => {
  const mcp = unit('production', 'mcp-server', 'kubernetes');
  const container = (content: Content) => content['Deployment/mcp-server'].spec.template.spec.containers[0];

  it('words a NetworkPolicy rule by the peer and port it allows, and applies it without a restart', () => {
    expect(change(mcp, (content) => content['NetworkPolicy/mcp-server'].spec.ingress[0].from.push({ podSelector: serviceLabel('jitsi-agent-bridge') }))).toEqual({
      reasons: ['NetworkPolicy mcp-server: ingress from pods of jitsi-agent-bridge on 8080/TCP added'],
      restarts: false,
    });
    const monitoring = { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: serviceLabel('prometheus') }], ports: [{ port: 9090, protocol: 'TCP' }] };
    expect(change(mcp, (content) => content['NetworkPolicy/mcp-server'].spec.egress.push(monitoring))).toEqual({
      reasons: ['NetworkPolicy mcp-server: egress to pods of prometheus in namespace monitoring on 9090/TCP added'],
      restarts: false,
    });
    expect(change(mcp, (content) => (content['NetworkPolicy/mcp-server'].spec.egress[0].ports[0].port = 5433))).toEqual({
      reasons: [
        'NetworkPolicy mcp-server: egress to 0.0.0.0/0 on 5432/TCP removed',
        'NetworkPolicy mcp-server: egress to ::/0 on 5432/TCP removed',
        'NetworkPolicy mcp-server: egress to 0.0.0.0/0 on 5433/TCP added',
        'NetworkPolicy mcp-server: egress to ::/0 on 5433/TCP added',
      ],
      restarts: false,
    });
  });

  it('restarts for a ConfigMap variable through the hash the pod template carries, and not without it', () => {
    const logLevel = (content: Content) => (content['ConfigMap/mcp-server-env'].data.LOG_LEVEL = 'debug');
    const rehash = (content: Content) => (content['Deployment/mcp-server'].spec.template.metadata.annotations['voice-agent/config-hash'] = '0123456789abcdef');
    expect(change(mcp, (content) => (logLevel(content), rehash(content)))).toEqual({ reasons: ['env LOG_LEVEL changed'], restarts: true });
    expect(change(mcp, logLevel)).toEqual({ reasons: ['env LOG_LEVEL changed'], restarts: false });
  });

  it('restarts for an env var, a container port or a volume of the pod template, named by name', () => {
    expect(change(mcp, (content) => (container(content).env.find((variable: Content) => variable.name === 'REDIS_URL').valueFrom.secretKeyRef.key = 'CACHE_URL'))).toEqual({
      reasons: ['env REDIS_URL changed'],
      restarts: true,
    });
    expect(change(mcp, (content) => (container(content).ports[0].containerPort = 8081))).toEqual({ reasons: ['spec.template.spec.containers[mcp-server].ports[http].containerPort changed'], restarts: true });
    expect(change(mcp, (content) => content['Deployment/mcp-server'].spec.template.spec.volumes.push({ name: 'cache', emptyDir: {} }))).toEqual({ reasons: ['spec.template.spec.volumes[cache] added'], restarts: true });
  });

  it('changes a Service port, the replica count or the disruption budget without a restart', () => {
    expect(change(mcp, (content) => (content['Service/mcp-server'].spec.ports[0].port = 8081))).toEqual({ reasons: ['Service mcp-server: spec.ports[http].port changed'], restarts: false });
    expect(change(mcp, (content) => (content['Deployment/mcp-server'].spec.replicas = 3))).toEqual({ reasons: ['spec.replicas changed'], restarts: false });
    expect(change(mcp, (content) => (content['PodDisruptionBudget/mcp-server'].spec.maxUnavailable = 2))).toEqual({ reasons: ['PodDisruptionBudget mcp-server: spec.maxUnavailable changed'], restarts: false });
  });

  it('changes an Ingress rule without a restart, naming the rule by its host', () => {
    const frontend = unit('production', 'frontend', 'kubernetes');
    expect(change(frontend, (content) => (content['Ingress/frontend'].spec.rules[0].http.paths[0].path = '/console'))).toEqual({
      reasons: ['Ingress frontend: spec.rules[host=console.voice.example.com].http.paths[path=/] removed', 'Ingress frontend: spec.rules[host=console.voice.example.com].http.paths[path=/console] added'],
      restarts: false,
    });
  });

  it('restarts when the Doppler operator reloads a changed secret list, not for its resync period', () => {
    const doppler = (content: Content) => content['DopplerSecret/voice-agent-production-mcp-server'].spec;
    expect(change(mcp, (content) => doppler(content).secrets.push('SENTRY_DSN'))).toEqual({ reasons: ['DopplerSecret voice-agent-production-mcp-server: spec.secrets SENTRY_DSN added'], restarts: true });
    expect(change(mcp, (content) => (doppler(content).resyncSeconds = 300))).toEqual({ reasons: ['DopplerSecret voice-agent-production-mcp-server: spec.resyncSeconds changed'], restarts: false });
  });
});

describe('plan reasons and restarts on Compose', () => {
  const web = unit('development', 'jitsi-web', 'compose');

  it('recreates the container for any field Compose hashes, and names list entries by value', () => {
    expect(change(web, (content) => (content.environment.TZ = 'Europe/Paris'))).toEqual({ reasons: ['env TZ changed'], restarts: true });
    expect(change(web, (content) => content.ports.push('8443:8443'))).toEqual({ reasons: ['ports 8443:8443 added'], restarts: true });
    expect(change(unit('development', 'ten-agent-0', 'compose'), (content) => content.expose.push('9090'))).toEqual({ reasons: ['expose 9090 added'], restarts: true });
  });

  it('leaves the container running for depends_on and the replica count, which Compose does not hash', () => {
    expect(change(web, (content) => (content.depends_on.redis = { condition: 'service_healthy' }))).toEqual({ reasons: ['depends_on.redis added'], restarts: false });
    expect(change(web, (content) => (content.deploy.replicas = 2))).toEqual({ reasons: ['deploy.replicas changed'], restarts: false });
  });

  it('judges the media host of a Railway environment by the same rule', () => {
    const jvb = unit('production', 'jitsi-jvb', 'railway', 'dist/railway/production-media-host/compose.yaml');
    expect(change(jvb, (content) => (content.ports = ['10001:10001/udp']))).toEqual({ reasons: ['ports 10000:10000/udp removed', 'ports 10001:10001/udp added'], restarts: true });
  });
});

describe('plan reasons and restarts on Railway', () => {
  const frontend = unit('production', 'frontend', 'railway', 'dist/railway/production.json');

  it('redeploys for a variable or a deploy setting', () => {
    expect(change(frontend, (content) => (content.variables.LOG_LEVEL = { type: 'literal', value: 'debug' }))).toEqual({ reasons: ['env LOG_LEVEL changed'], restarts: true });
    expect(change(frontend, (content) => (content.deploy.healthcheckTimeout = 120))).toEqual({ reasons: ['deploy.healthcheckTimeout changed'], restarts: true });
  });

  it('adds a custom domain to the running deployment', () => {
    expect(change(frontend, (content) => (content.networking.customDomains['chat.voice.example.com'] = { port: 3000 }))).toEqual({
      reasons: ['networking.customDomains.chat.voice.example.com added'],
      restarts: false,
    });
  });
});

describe('plan reasons', () => {
  it('never name a list item by its position: each list of every unit with its first item removed', () => {
    const checked: string[] = [];
    for (const environment of ['development', 'staging', 'production']) {
      for (const rendered of renderedUnits(files, environment)) {
        const lists: Array<Array<string | number>> = [];
        const findLists = (value: unknown, path: Array<string | number>) => {
          if (Array.isArray(value)) {
            if (value.length > 0) lists.push(path);
            value.forEach((item, index) => findLists(item, [...path, index]));
          } else if (value !== null && typeof value === 'object') {
            for (const [key, child] of Object.entries(value)) findLists(child, [...path, key]);
          }
        };
        findLists(rendered.content, []);
        for (const path of lists) {
          const { reasons } = change(rendered, (content) => path.reduce((parent, key) => parent[key], content).shift());
          const where = `${environment}/${rendered.service} (${rendered.file}) ${path.join('.')}`;
          expect(reasons.length, where).toBeGreaterThan(0);
          for (const reason of reasons) expect(reason, where).not.toMatch(/\[\d+\]/);
          checked.push(where);
        }
      }
    }
    // Every kind of list the renderers write: containers, env, ports, volumes, rules, peers, Compose and Railway lists.
    expect(checked.length).toBeGreaterThan(300);
  });
});
