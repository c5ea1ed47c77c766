import { parseAllDocuments, parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { RootConstruct } from 'constructs';
import { validateKubernetesObjects } from '../../charts/kubernetes/kubernetes-schemas.ts';
import { secret, StackEnvironment, StackService, TenAgent, validateEnvironment } from '../../constructs/index.ts';
import { fixture, render } from '../helpers/synth.ts';

type K8sObject = { kind: string; metadata: { name: string }; spec?: any };

let files: Map<string, string>;
let objects: K8sObject[];

function find(kind: string, name: string): K8sObject {
  const match = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (match === undefined) throw new Error(`no ${kind}/${name}`);
  return match;
}

beforeAll(async () => {
  ({ output: { files } } = await render([fixture('worker-ports')]));
  objects = [...files]
    .filter(([path]) => path.startsWith('dist/kubernetes/workers/'))
    .flatMap(([, text]) => parseAllDocuments(text).map((document) => document.toJS() as K8sObject));
});

describe('a port range on Kubernetes', () => {
  it('lists every port of the range on the container and resolves it through a headless Service', () => {
    const deployment = find('Deployment', 'sessions');
    const ports = deployment.spec.template.spec.containers[0].ports.map((port: any) => `${port.containerPort}/${port.protocol}`);
    expect(ports).toEqual(['8080/TCP', '8800/TCP', '8801/TCP']);
    const headless = find('Service', 'sessions-workers');
    expect(headless.spec).toEqual({ clusterIP: 'None', publishNotReadyAddresses: false, selector: { 'app.kubernetes.io/name': 'sessions' } });
    // The API Service does not carry the range.
    expect(find('Service', 'sessions').spec.ports.map((port: any) => port.port)).toEqual([8080]);
    const bridgeEnv = find('ConfigMap', 'bridge-env' as string) as any;
    expect(bridgeEnv.data.SESSION_HOST).toBe('sessions-workers.voice-agent-workers.svc.cluster.local');
  });

  it('admits only the admitted client to the range, with endPort, on both sides', () => {
    const agent = find('NetworkPolicy', 'sessions');
    expect(agent.spec.ingress).toContainEqual({
      from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'bridge' } } }],
      ports: [{ protocol: 'TCP', port: 8800, endPort: 8801 }],
    });
    const rangeRules = agent.spec.ingress.filter((rule: any) => rule.ports.some((port: any) => port.endPort !== undefined));
    expect(rangeRules).toHaveLength(1);
    // The API port admits both clients.
    const apiFrom = agent.spec.ingress.find((rule: any) => rule.ports.some((port: any) => port.port === 8080)).from.map((peer: any) => peer.podSelector.matchLabels['app.kubernetes.io/name']);
    expect(apiFrom).toEqual(['bridge', 'bystander']);
    const bridge = find('NetworkPolicy', 'bridge');
    expect(bridge.spec.egress).toContainEqual({
      to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'sessions' } } }],
      ports: [{ protocol: 'TCP', port: 8080 }, { protocol: 'TCP', port: 8800, endPort: 8801 }],
    });
    const bystander = find('NetworkPolicy', 'bystander');
    expect(JSON.stringify(bystander.spec.egress)).not.toContain('endPort');
  });

  it('renders objects the Kubernetes schema accepts', async () => {
    expect(await validateKubernetesObjects(objects.map((object) => ({ file: 'workers.yaml', object: object as any })))).toEqual([]);
  });
});

describe('a port range elsewhere', () => {
  it('Compose exposes it on the project network and publishes nothing', () => {
    const compose = parse(files.get('dist/compose/workers/compose.yaml') ?? '') as any;
    expect(compose.services.sessions.expose).toEqual(['8800-8801']);
    expect(compose.services.sessions.ports).toBeUndefined();
    expect(compose.services.bridge.environment.SESSION_HOST).toBe('sessions');
  });
});

describe('access to a port range', () => {
  const environment = () =>
    new StackEnvironment(new RootConstruct(), 'test', { targets: ['compose'], domain: 'localhost', doppler: { project: 'voice-agent', config: 'dev' } });

  it('refuses a reference to a range port from a service that was not admitted, naming it', () => {
    const env = environment();
    const agent = new TenAgent(env, 'ten-agent', { workersMax: 2, env: { MCP_SERVER_URL: secret('MCP_SERVER_URL') } });
    new StackService(env, 'sneaky', { build: { context: 'test/fixtures/build-context/api' }, env: { WORKER: agent.replicaUrl(0, 8801, { scheme: 'ws' }) } });
    expect(() => validateEnvironment(env)).toThrow(
      'environment "test", service "sneaky", field "env.WORKER": refers to port 8801 in the "workers" range of "ten-agent", which does not admit this service (admitToPortRange)',
    );
  });

  it('refuses an unknown range, overlapping ranges and a range over a declared port', () => {
    const env = environment();
    const plain = new StackService(env, 'plain', { image: 'nginx:1.27.3-alpine', ports: [{ port: 80 }] });
    expect(() => plain.admitToPortRange('workers', plain)).toThrow('environment "test", service "plain", field "portRanges": has no port range named "workers" (ranges: none)');
    expect(() => new StackService(environment(), 'a', { image: 'nginx:1.27.3-alpine', ports: [{ port: 8800 }], portRanges: [{ name: 'w', start: 8800, end: 8801 }] })).toThrow(
      'field "portRanges[0]": range 8800-8801 holds port 8800, which is declared as a port',
    );
    expect(() =>
      new StackService(environment(), 'b', { image: 'nginx:1.27.3-alpine', portRanges: [{ name: 'w', start: 8800, end: 8810 }, { name: 'x', start: 8810, end: 8820 }] }),
    ).toThrow('field "portRanges[1]": range 8810-8820 overlaps range "w" (8800-8810)');
    expect(() => new StackService(environment(), 'c', { image: 'nginx:1.27.3-alpine', portRanges: [{ name: 'w', start: 8810, end: 8800 }] })).toThrow(/field "portRanges\[0\]": start must not be greater than end/);
  });
});
