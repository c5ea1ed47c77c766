import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RailwayGraph } from 'railway/iac';
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { RAILWAY_SOURCE_PATH, railwayGraphPath } from '../../charts/railway/index.ts';
import { validateComposeDocument } from '../../charts/compose-file/compose-schema.ts';
import { validateKubernetesObjects } from '../../charts/kubernetes/kubernetes-schemas.ts';
import { evaluateRailwayEnvironment, loadRailwayProgram } from '../../charts/railway/railway-evaluation.ts';
import { fixture, render, temporaryDirectory } from '../helpers/synth.ts';

/**
 * A service whose replicas are addressed one by one (`sessions`, two replicas that drain through
 * a pre-stop command) and a client of every replica (`router`, two replicas that forward to each
 * other and are ready only while they take work), as each target renders them.
 */

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };

let files: Map<string, string>;
let warnings: string[];
let kubernetes: K8sObject[];
let compose: any;
let railway: RailwayGraph;

function object(kind: string, name: string): K8sObject {
  const found = kubernetes.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind}/${name}`);
  return found;
}

function railwayService(name: string): any {
  const found = railway.resources.find((resource) => resource.name === name);
  if (found === undefined) throw new Error(`no Railway resource ${name}`);
  return found;
}

beforeAll(async () => {
  const { output } = await render([fixture('per-replica')]);
  files = output.files;
  warnings = output.warnings.map((warning) => warning.message);
  kubernetes = [...files]
    .filter(([path]) => path.startsWith('dist/kubernetes/replicas/'))
    .flatMap(([, text]) => parseAllDocuments(text).map((document) => document.toJS() as K8sObject));
  compose = parse(files.get('dist/compose/replicas/compose.yaml') ?? '');
  railway = JSON.parse(files.get(railwayGraphPath('replicas')) ?? '{}') as RailwayGraph;
});

describe('replicas addressed one by one, on Kubernetes', () => {
  it('run as a StatefulSet under a headless Service that publishes pods that are not ready, so a draining replica keeps its name', () => {
    const statefulSet = object('StatefulSet', 'sessions');
    expect(statefulSet.spec).toMatchObject({
      replicas: 2,
      serviceName: 'sessions',
      // One pod at a time, the next only once the one before is Ready.
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    });
    // A StatefulSet even without a volume: no claims.
    expect(statefulSet.spec.volumeClaimTemplates).toBeUndefined();
    expect(object('Service', 'sessions').spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true, selector: { 'app.kubernetes.io/name': 'sessions' } });
    // Its session ports are reached by the pod's own name: no range Service that would resolve to any pod.
    expect(kubernetes.some((candidate) => candidate.metadata.name === 'sessions-workers')).toBe(false);
  });

  it("gives each replica its own name from the pod, runs the pre-stop command, and waits for drain and margin before a kill", () => {
    const pod = object('StatefulSet', 'sessions').spec.template.spec;
    expect(pod.containers[0].env).toEqual([{ name: 'REPLICA_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]);
    expect(pod.containers[0].lifecycle).toEqual({ preStop: { exec: { command: ['drain', '--wait'] } } });
    expect(pod.terminationGracePeriodSeconds).toBe(630);
  });

  it("resolves a client's list to every replica's own DNS name", () => {
    expect(object('ConfigMap', 'router-env').data?.['SESSIONS_URLS']).toBe(
      'http://sessions-0.sessions.voice-agent-replicas.svc.cluster.local:8080,http://sessions-1.sessions.voice-agent-replicas.svc.cluster.local:8080',
    );
  });

  it('keeps all but one pod of each through node drains, StatefulSet and Deployment alike', () => {
    for (const [kind, name] of [['StatefulSet', 'sessions'], ['Deployment', 'router']] as const) {
      const budget = object('PodDisruptionBudget', name).spec;
      expect(budget.maxUnavailable).toBe(1);
      expect(object(kind, name).spec.template.metadata.labels).toMatchObject(budget.selector.matchLabels);
    }
  });

  it('rolls the client one new pod at a time, ready at its readiness path, alive at its health path', () => {
    const deployment = object('Deployment', 'router');
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const container = deployment.spec.template.spec.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    expect(container.startupProbe.httpGet.path).toBe('/health');
    expect(container.lifecycle).toBeUndefined();
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(125);
  });

  it("lets the client's replicas reach each other on their peer port, and nobody else's pods onto it", () => {
    const self = { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'router' } } };
    const policy = object('NetworkPolicy', 'router').spec;
    expect(policy.ingress).toEqual([{ from: [self], ports: [{ port: 9000, protocol: 'TCP' }] }]);
    expect(policy.egress).toContainEqual({ to: [self], ports: [{ port: 9000, protocol: 'TCP' }] });
    // The service without peer ports gets no rule for its own pods: only the client gets in.
    const sessions = object('NetworkPolicy', 'sessions').spec;
    expect(sessions.ingress.flatMap((rule: any) => rule.from.map((peer: any) => peer.podSelector.matchLabels['app.kubernetes.io/name']))).toEqual(['router', 'router']);
    expect(sessions.egress).toEqual([]);
  });

  it('passes the Kubernetes schema', async () => {
    expect(await validateKubernetesObjects(kubernetes.map((candidate) => ({ file: 'replicas.yaml', object: candidate as any })))).toEqual([]);
  });
});

describe('replicas addressed one by one, on Compose', () => {
  it('run as one service per replica, each its own hostname and REPLICA_NAME, one container, the drain as stop_grace_period', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['router', 'sessions-0', 'sessions-1']);
    for (const name of ['sessions-0', 'sessions-1']) {
      expect(compose.services[name], name).toMatchObject({
        image: 'nginx:1.27.3-alpine',
        hostname: name,
        environment: { REPLICA_NAME: name },
        stop_grace_period: '630s',
        deploy: { replicas: 1 },
        volumes: [{ type: 'tmpfs', target: '/tmp', tmpfs: { mode: 0o1777 } }],
        expose: ['8800-8801'],
      });
    }
  });

  it("gives the client every replica's URL, waits for every replica, and keeps its own replicas", () => {
    const router = compose.services.router;
    expect(router.environment.SESSIONS_URLS).toBe('http://sessions-0:8080,http://sessions-1:8080');
    expect(router.depends_on).toEqual({ 'sessions-0': { condition: 'service_healthy' }, 'sessions-1': { condition: 'service_healthy' } });
    expect(router.deploy.replicas).toBe(2);
    expect(router).not.toHaveProperty('hostname');
    expect(router.stop_grace_period).toBe('125s');
  });

  it('passes the Compose Specification', () => {
    expect(validateComposeDocument('compose.yaml', compose)).toEqual([]);
  });

  it('says it has no pre-stop hook', () => {
    expect(warnings).toContain('compose: field "drain" of "sessions" (["drain","--wait"]): Compose has no pre-stop hook, so the container drains on SIGTERM alone, within stop_grace_period');
  });
});

describe('replicas addressed one by one, on Railway', () => {
  it('run as one Railway service per replica, 1 replica each, REPLICA_NAME written in, the drain as drainingSeconds', () => {
    const names = railway.resources.map((resource) => resource.name).sort();
    expect(names).toEqual(['router', 'sessions-0', 'sessions-1']);
    for (const name of ['sessions-0', 'sessions-1']) {
      const node = railwayService(name);
      expect(node.deploy, name).toMatchObject({ numReplicas: 1, drainingSeconds: 630, healthcheckPath: '/health' });
      expect(node.variables.REPLICA_NAME, name).toEqual({ type: 'literal', value: name });
    }
  });

  it("gives the client each replica's own private domain, keeps its Railway replicas and gates it on readiness", () => {
    const router = railwayService('router');
    expect(router.variables.SESSIONS_URLS).toEqual({
      type: 'literal',
      value: 'http://${{sessions-0.RAILWAY_PRIVATE_DOMAIN}}:8080,http://${{sessions-1.RAILWAY_PRIVATE_DOMAIN}}:8080',
    });
    expect(router.deploy).toMatchObject({ numReplicas: 2, drainingSeconds: 125, healthcheckPath: '/ready' });
    // Each reference is an edge to the replica's own service.
    const edges = railway.edges.filter((edge) => edge.from === router.address).map((edge) => edge.to);
    expect(edges).toEqual(expect.arrayContaining([railwayService('sessions-0').address, railwayService('sessions-1').address]));
  });

  it('writes the same graph into .railway/railway.ts as the SDK builds', async () => {
    const file = join(temporaryDirectory(), 'railway.ts');
    writeFileSync(file, files.get(RAILWAY_SOURCE_PATH) ?? '');
    expect(await evaluateRailwayEnvironment(await loadRailwayProgram(file), 'replicas')).toEqual(railway);
  });

  it('says what Railway cannot do: no per-replica DNS name, no surge or ordered rollout, no pre-stop hook', () => {
    expect(warnings).toContain(
      'railway: field "addressing" of "sessions" ("replica", 2 replica(s)): Railway has no per-replica DNS name (<service>.railway.internal resolves to all its replicas), ' +
        'so each replica is a Railway service of its own, <service>-0 … <service>-<n-1>, with 1 replica, its own private domain and its REPLICA_NAME written in; each deploys on its own. ' +
        "Unverified: whether that private domain still reaches the old deployment while it drains; if Railway moves it to the new one at once, the old one's sessions lose their /ping and are cut, so an update of it may drop calls on Railway",
    );
    const rollout =
      'Railway has no surge or ordered rollout control: a new deployment overlaps the old one for overlapSeconds, then the old one gets SIGTERM and drainingSeconds before SIGKILL, whatever the other replicas are doing';
    expect(warnings).toContain(`railway: field "drain" of "router" (120 s + 5 s margin = drainingSeconds 125): ${rollout}`);
    expect(warnings).toContain(`railway: field "drain" of "sessions" (600 s + 30 s margin = drainingSeconds 630): ${rollout}; and it has no pre-stop hook, so the container drains on SIGTERM alone`);
  });
});

describe('replicas addressed one by one, everywhere else', () => {
  it('lists each replica under its Compose and Railway name in the review page, and Kubernetes under the service', () => {
    const page = files.get('dist/replicas.md') ?? '';
    expect(page).toContain('| sessions | `nginx:1.27.3-alpine` | 8080/tcp, 8800-8801/tcp (workers) | 2 | kubernetes; railway as sessions-0, sessions-1; compose as sessions-0, sessions-1 |');
    expect(page).toContain('| router | `nginx:1.27.3-alpine` | 9000/tcp | 2 | kubernetes; railway; compose |');
  });

  it('says nothing of one replica when each service runs two', () => {
    expect(warnings.filter((warning) => warning.startsWith('every target:'))).toEqual([]);
  });
});

describe('the voice tier as the environments render it', () => {
  let real: Map<string, string>;
  const documents = (path: string) => parseAllDocuments(real.get(path) ?? '').map((document) => document.toJS() as K8sObject);

  beforeAll(async () => {
    real = (await render()).output.files;
  });

  it('production, Kubernetes: two TEN replicas that drain through the image\'s drain step and mark themselves in Redis', () => {
    const objects = documents('dist/kubernetes/production/ten-agent.yaml');
    const statefulSet = objects.find((candidate) => candidate.kind === 'StatefulSet') as K8sObject;
    expect(statefulSet.spec).toMatchObject({ replicas: 2, serviceName: 'ten-agent', podManagementPolicy: 'OrderedReady' });
    const pod = statefulSet.spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBe(1830);
    const container = pod.containers[0];
    expect(container.lifecycle).toEqual({ preStop: { exec: { command: ['python3', '/app/drain/ten_drain.py', 'drain'] } } });
    const env = Object.fromEntries(container.env.map((variable: any) => [variable.name, variable.valueFrom ?? variable.value]));
    expect(env['REPLICA_NAME']).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    // Production's Redis is external: its URL is a Doppler secret.
    expect(env['REDIS_URL']).toEqual({ secretKeyRef: { key: 'REDIS_URL', name: 'ten-agent-secrets' } });
    expect(objects.find((candidate) => candidate.kind === 'ConfigMap')?.data?.['DRAIN_TIMEOUT_SECONDS']).toBe('1800');
    expect(objects.find((candidate) => candidate.kind === 'Service')?.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(objects.find((candidate) => candidate.kind === 'PodDisruptionBudget')?.spec.maxUnavailable).toBe(1);
    const policy = objects.find((candidate) => candidate.kind === 'NetworkPolicy') as K8sObject;
    expect(policy.spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }], ports: [{ port: 6379, protocol: 'TCP' }] });
  });

  it('production, Railway: ten-agent-0 and ten-agent-1, each its own name, draining for the drain and its margin', () => {
    const graph = JSON.parse(real.get('dist/railway/production.json') ?? '{}') as RailwayGraph;
    const names = graph.resources.map((resource) => resource.name);
    expect(names).toEqual(expect.arrayContaining(['ten-agent-0', 'ten-agent-1', 'jitsi-agent-bridge']));
    expect(names).not.toContain('ten-agent');
    for (const name of ['ten-agent-0', 'ten-agent-1']) {
      const node = graph.resources.find((resource) => resource.name === name) as any;
      expect(node.deploy, name).toMatchObject({ numReplicas: 1, drainingSeconds: 1830 });
      expect(node.variables.REPLICA_NAME, name).toEqual({ type: 'literal', value: name });
      expect(node.variables.REDIS_URL, name).toEqual({ type: 'reference', resource: 'database.redis', output: 'REDIS_URL' });
    }
  });

  it('development, Compose: one TEN replica as ten-agent-0 with a short drain, so docker compose down does not wait half an hour', () => {
    const services = (parse(real.get('dist/compose/development/compose.yaml') ?? '') as any).services;
    expect(services['ten-agent-0']).toMatchObject({ hostname: 'ten-agent-0', stop_grace_period: '60s', environment: { REPLICA_NAME: 'ten-agent-0', DRAIN_TIMEOUT_SECONDS: '30' } });
    expect(services['jitsi-agent-bridge'].stop_grace_period).toBe('40s');
    expect(services['mcp-server'].stop_grace_period).toBe('55s');
    expect(services['mcp-server'].environment.SSE_DRAIN_TIMEOUT_SECONDS).toBe('30');
  });
});
