import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateKubernetesObjects } from '../../charts/kubernetes/kubernetes-schemas.ts';
import { fixture, render } from '../helpers/synth.ts';

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
};

let files: Map<string, string>;
let objects: Array<{ file: string; object: K8sObject }>;

function objectsIn(prefix: string) {
  return objects.filter((entry) => entry.file.startsWith(prefix));
}
function find(prefix: string, kind: string, name: string): K8sObject {
  const match = objectsIn(prefix).find(({ object }) => object.kind === kind && object.metadata.name === name);
  if (!match) throw new Error(`no ${kind}/${name} under ${prefix}`);
  return match.object;
}
function container(prefix: string, name: string) {
  const workload = objectsIn(prefix).find(({ object }) => ['Deployment', 'StatefulSet'].includes(object.kind) && object.metadata.name === name);
  if (!workload) throw new Error(`no workload ${name}`);
  return { workload: workload.object, container: workload.object.spec.template.spec.containers[0], pod: workload.object.spec.template.spec };
}

beforeAll(async () => {
  const { output } = await render([
    'environments/staging.ts',
    'environments/production.ts',
    fixture('database-consumer'),
    fixture('database-consumer-external'),
  ]);
  files = new Map([...output.files].filter(([path]) => path.startsWith('dist/kubernetes/')));
  objects = [...files].flatMap(([file, text]) =>
    parseAllDocuments(text).map((document) => ({ file, object: document.toJS() as K8sObject })),
  );
});

describe('kubernetes target', () => {
  it('writes a namespace file and one file per service for each Kubernetes environment', () => {
    const staging = [...files.keys()].filter((path) => path.startsWith('dist/kubernetes/staging/')).sort();
    expect(staging).toEqual([
      '_namespace.yaml',
      // Staging turns monitoring on: its PrometheusRule and dashboard.
      '_observability.yaml',
      'frontend.yaml',
      'jitsi-agent-bridge.yaml',
      'jitsi-jicofo.yaml',
      'jitsi-jvb.yaml',
      'jitsi-prosody.yaml',
      'jitsi-web.yaml',
      'mcp-server.yaml',
      'postgres.yaml',
      'redis.yaml',
      'ten-agent.yaml',
    ].map((name) => `dist/kubernetes/staging/${name}`));
    // Development renders only Compose.
    expect([...files.keys()].some((path) => path.includes('/development/'))).toBe(false);
  });

  it('produces only objects that pass the Kubernetes schema', async () => {
    expect(objects.length).toBeGreaterThan(60);
    expect(await validateKubernetesObjects(objects)).toEqual([]);
  });

  it('has a schema check that catches broken objects', async () => {
    const deployment = structuredClone(find('dist/kubernetes/staging/', 'Deployment', 'jitsi-web'));
    deployment.spec.replicas = 'two';
    const doppler = structuredClone(find('dist/kubernetes/staging/', 'DopplerSecret', 'voice-agent-staging-jitsi-prosody'));
    delete doppler.spec.managedSecret;
    const problems = await validateKubernetesObjects([
      { file: 'broken.yaml', object: deployment },
      { file: 'broken.yaml', object: doppler },
      { file: 'broken.yaml', object: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } } },
    ]);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('Deployment/jitsi-web');
    expect(problems[1]).toContain('managedSecret');
    expect(problems[2]).toContain('no Kubernetes schema');
  });

  it('names workloads and services exactly as the services, without hash suffixes', () => {
    for (const name of ['jitsi-web', 'jitsi-prosody', 'jitsi-jicofo', 'jitsi-jvb', 'jitsi-agent-bridge', 'frontend']) {
      expect(find('dist/kubernetes/staging/', 'Deployment', name).metadata.name).toBe(name);
      expect(find('dist/kubernetes/staging/', 'Service', name).metadata.name).toBe(name);
    }
    // Its replicas are addressed one by one: a StatefulSet, whose pods are ten-agent-0, ten-agent-1.
    expect(find('dist/kubernetes/staging/', 'StatefulSet', 'ten-agent').spec.serviceName).toBe('ten-agent');
    expect(find('dist/kubernetes/staging/', 'Service', 'ten-agent').metadata.name).toBe('ten-agent');
    for (const { object } of objects) expect(object.metadata.name).not.toMatch(/-c8[0-9a-f]{6}$/);
  });

  it('runs stateful services as StatefulSets with volume claims', () => {
    const postgres = find('dist/kubernetes/staging/', 'StatefulSet', 'postgres');
    expect(postgres.spec.serviceName).toBe('postgres');
    expect(postgres.spec.volumeClaimTemplates).toEqual([
      { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } },
    ]);
    const { container: pg } = container('dist/kubernetes/staging/', 'postgres');
    expect(pg.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/postgresql' });
    expect(find('dist/kubernetes/staging/', 'Service', 'postgres').spec.clusterIP).toBe('None');
    expect(find('dist/kubernetes/consumer/', 'StatefulSet', 'uploads').spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('5Gi');
    // Redis has no scratch volumes, so its only mount is the claim.
    expect(container('dist/kubernetes/staging/', 'redis').container.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
  });

  it('sets explicit resources instead of the cdk8s-plus defaults (1 CPU / 512Mi)', () => {
    const jvb = container('dist/kubernetes/staging/', 'jitsi-jvb').container;
    expect(jvb.resources).toEqual({ requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: '2000m', memory: '1024Mi' } });
    const web = container('dist/kubernetes/staging/', 'jitsi-web').container;
    expect(web.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    expect(container('dist/kubernetes/production/', 'ten-agent').container.resources.requests).toEqual({ cpu: '4000m', memory: '8192Mi' });
  });

  it('runs every pod non-root, without privilege escalation, with seccomp and no capabilities', () => {
    const workloads = objects.filter(({ object }) => ['Deployment', 'StatefulSet'].includes(object.kind));
    expect(workloads.length).toBeGreaterThan(10);
    for (const { object } of workloads) {
      const pod = object.spec.template.spec;
      const security = pod.containers[0].securityContext;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(security).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } });
      expect(security.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
    }
  });

  it('makes Jitsi read-only with writable emptyDirs, as uid 1000, with the s6 world-writable /run switch', () => {
    const { container: prosody, pod } = container('dist/kubernetes/staging/', 'jitsi-prosody');
    expect(prosody.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsUser: 1000, runAsGroup: 1000 });
    expect(pod.volumes.map((volume: any) => [volume.name, volume.emptyDir])).toEqual([
      ['config', {}],
      ['run', {}],
      ['tmp', {}],
      ['data', {}],
    ]);
    expect(find('dist/kubernetes/staging/', 'ConfigMap', 'jitsi-prosody-env').data).toMatchObject({
      S6_YES_I_WANT_A_WORLD_WRITABLE_RUN_BECAUSE_KUBERNETES: '1',
      XMPP_DOMAIN: 'meet.jitsi',
      PUBLIC_URL: 'https://meet.staging.voice.example.com',
    });
  });

  it('derives readiness, liveness and startup probes from the health check', () => {
    const web = container('dist/kubernetes/staging/', 'jitsi-web').container;
    expect(web.readinessProbe).toMatchObject({ httpGet: { path: '/', port: 8000 }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 });
    expect(web.livenessProbe.httpGet).toEqual(web.readinessProbe.httpGet);
    // start period 30 s / 10 s interval + 6 retries.
    expect(web.startupProbe.failureThreshold).toBe(9);
    const postgres = container('dist/kubernetes/staging/', 'postgres').container;
    expect(postgres.readinessProbe.exec.command[0]).toBe('pg_isready');
  });

  it('stops single-process services before starting their replacement, and rolls the rest one new pod at a time', () => {
    for (const name of ['jitsi-prosody', 'jitsi-jicofo']) {
      expect(find('dist/kubernetes/staging/', 'Deployment', name).spec.strategy, name).toEqual({ type: 'Recreate' });
    }
    // A new pod is Ready before an old one starts draining, whatever the replica count.
    for (const prefix of ['dist/kubernetes/staging/', 'dist/kubernetes/production/']) {
      for (const { object } of objectsIn(prefix).filter(({ object }) => object.kind === 'Deployment' && object.spec.strategy.type !== 'Recreate')) {
        expect(object.spec.strategy, `${prefix}${object.metadata.name}`).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
      }
    }
    expect(find('dist/kubernetes/staging/', 'Deployment', 'jitsi-web').spec.strategy.type).toBe('RollingUpdate');
    expect(find('dist/kubernetes/staging/', 'Deployment', 'jitsi-agent-bridge').spec.strategy.type).toBe('RollingUpdate');
  });

  it('probes jicofo on an endpoint that does not need a connected bridge', () => {
    const jicofo = container('dist/kubernetes/staging/', 'jitsi-jicofo').container;
    expect(jicofo.livenessProbe.httpGet).toEqual({ path: '/about/version', port: 8888, scheme: 'HTTP' });
  });

  it('pins the amd64-only TEN image to amd64 nodes', () => {
    const { pod } = container('dist/kubernetes/staging/', 'ten-agent');
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([
      { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
    ]);
  });

  it('reads secrets from a Secret kept by the Doppler operator, one per service, never from literals', () => {
    const doppler = find('dist/kubernetes/staging/', 'DopplerSecret', 'voice-agent-staging-jitsi-prosody');
    expect(doppler.metadata.namespace).toBe('doppler-operator-system');
    expect(doppler.spec).toEqual({
      // A service token reads one config, so each environment has its own token secret.
      tokenSecret: { name: 'doppler-token-stg' },
      project: 'voice-agent',
      config: 'stg',
      secrets: ['JICOFO_AUTH_PASSWORD', 'JVB_AUTH_PASSWORD', 'JWT_APP_SECRET'],
      managedSecret: { name: 'jitsi-prosody-secrets', namespace: 'voice-agent-staging', type: 'Opaque' },
      resyncSeconds: 60,
    });
    const { workload, container: prosody } = container('dist/kubernetes/staging/', 'jitsi-prosody');
    expect(workload.metadata.annotations?.['secrets.doppler.com/reload']).toBe('true');
    const refs = prosody.env.filter((variable: any) => variable.valueFrom).map((variable: any) => variable.valueFrom.secretKeyRef);
    expect(refs).toEqual(doppler.spec.secrets.map((key: string) => ({ key, name: 'jitsi-prosody-secrets' })));
    // Every secretKeyRef in every environment names a key its service's DopplerSecret syncs.
    for (const { file, object } of objects.filter((entry) => ['Deployment', 'StatefulSet'].includes(entry.object.kind))) {
      const prefix = file.slice(0, file.lastIndexOf('/') + 1);
      // The pod's own fields (a replica's name) come from the downward API, not from a Secret.
      const keys = (object.spec.template.spec.containers[0].env ?? []).flatMap((variable: any) => (variable.valueFrom?.secretKeyRef ? [variable.valueFrom.secretKeyRef.key] : []));
      if (keys.length === 0) continue;
      const namespace = object.metadata.namespace;
      const synced = find(prefix, 'DopplerSecret', `${namespace}-${object.metadata.name}`).spec.secrets;
      for (const key of keys) expect(synced, `${object.metadata.name} reads ${key}`).toContain(key);
    }
  });

  it('assembles connection strings from secrets with $(VAR) and keeps plain config in a ConfigMap', () => {
    const api = container('dist/kubernetes/consumer/', 'api').container;
    const env = Object.fromEntries(api.env.map((variable: any) => [variable.name, variable.value ?? variable.valueFrom.secretKeyRef.key]));
    expect(api.env[0].name).toBe('__SECRET_POSTGRES_PASSWORD');
    expect(env['DATABASE_URL']).toBe('postgresql://voice_agent:$(__SECRET_POSTGRES_PASSWORD)@postgres.voice-agent-consumer.svc.cluster.local:5432/voice_agent');
    expect(env['REDIS_URL']).toBe('redis://default:$(__SECRET_REDIS_PASSWORD)@redis.voice-agent-consumer.svc.cluster.local:6379');
    expect(api.envFrom).toEqual([{ configMapRef: { name: 'api-env' } }]);
    expect(find('dist/kubernetes/consumer/', 'ConfigMap', 'api-env').data).toMatchObject({
      PGHOST: 'postgres.voice-agent-consumer.svc.cluster.local',
      PRICE_NOTE: 'costs $5 and $(not a variable)',
    });
    expect(api.image).toMatch(/^ghcr\.io\/acme\/voice-agent\/api:sha-[0-9a-f]{12}$/);
  });

  it('reads external database connections from Doppler and renders no database workloads', () => {
    expect(objectsIn('dist/kubernetes/consumer-external/').some(({ object }) => object.metadata.name === 'postgres')).toBe(false);
    const api = container('dist/kubernetes/consumer-external/', 'api').container;
    const secretKeys = api.env.filter((variable: any) => variable.valueFrom).map((variable: any) => [variable.name, variable.valueFrom.secretKeyRef.key]);
    expect(secretKeys).toContainEqual(['DATABASE_URL', 'DATABASE_URL']);
    expect(secretKeys).toContainEqual(['PGHOST', 'PGHOST']);
    expect(secretKeys).toContainEqual(['REDIS_URL', 'REDIS_URL']);
    const policy = find('dist/kubernetes/consumer-external/', 'NetworkPolicy', 'api');
    expect(policy.spec.egress.some((rule: any) => rule.ports?.[0]?.port === 5432 && rule.to[0].ipBlock)).toBe(true);
    expect(objectsIn('dist/kubernetes/production/').some(({ object }) => ['postgres', 'redis'].includes(object.metadata.name))).toBe(false);
  });

  it('denies traffic by default and allows only declared dependencies and public ingress', () => {
    const deny = find('dist/kubernetes/staging/', 'NetworkPolicy', 'default-deny');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const prosody = find('dist/kubernetes/staging/', 'NetworkPolicy', 'jitsi-prosody');
    const from = prosody.spec.ingress.flatMap((rule: any) => rule.from.map((peer: any) => peer.podSelector?.matchLabels['app.kubernetes.io/name'] ?? peer.namespaceSelector?.matchLabels['kubernetes.io/metadata.name']));
    // Its dependents, and Prometheus on the HTTP port where its /metrics is.
    expect(from.sort()).toEqual(['jitsi-jicofo', 'jitsi-jvb', 'jitsi-web', 'monitoring']);
    expect(prosody.spec.ingress.at(-1).ports).toEqual([{ port: 5280, protocol: 'TCP' }]);
    expect(prosody.spec.egress).toEqual([]);
    const web = find('dist/kubernetes/staging/', 'NetworkPolicy', 'jitsi-web');
    expect(web.spec.ingress).toEqual([
      // The agent bridge loads lib-jitsi-meet and XMPP from web inside the cluster.
      { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'jitsi-agent-bridge' } } }], ports: [{ port: 8000, protocol: 'TCP' }] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ port: 8000, protocol: 'TCP' }] },
    ]);
    expect(web.spec.egress).toEqual([
      {
        to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'jitsi-prosody' } } }],
        ports: [
          { port: 5222, protocol: 'TCP' },
          { port: 5280, protocol: 'TCP' },
        ],
      },
    ]);
    const jvb = find('dist/kubernetes/staging/', 'NetworkPolicy', 'jitsi-jvb');
    expect(jvb.spec.ingress).toEqual([
      // Staging's Prometheus scrapes jvb's /metrics on its private HTTP port.
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 8080, protocol: 'TCP' }] },
      {
        // Media from anywhere, and from the agent bridge's pods, whose packets to the public address stay in the cluster.
        from: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }, { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'jitsi-agent-bridge' } } }],
        ports: [{ port: 10000, protocol: 'UDP' }],
      },
    ]);
  });

  it('exposes public HTTP through a TLS Ingress and the bridge through a UDP LoadBalancer', () => {
    const ingress = find('dist/kubernetes/staging/', 'Ingress', 'jitsi-web');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.tls).toEqual([{ hosts: ['meet.staging.voice.example.com'], secretName: 'jitsi-web-tls' }]);
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'jitsi-web', port: { number: 8000 } });
    expect(ingress.metadata.annotations?.['cert-manager.io/cluster-issuer']).toBe('letsencrypt');
    const udp = find('dist/kubernetes/staging/', 'Service', 'jitsi-jvb-udp');
    expect(udp.spec).toMatchObject({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { 'app.kubernetes.io/name': 'jitsi-jvb' } });
    expect(udp.spec.ports).toEqual([{ name: 'media', port: 10000, protocol: 'UDP', targetPort: 10000 }]);
    const ingresses = objectsIn('dist/kubernetes/staging/').filter(({ object }) => object.kind === 'Ingress');
    expect(ingresses.map(({ object }) => object.spec.rules[0].host).sort()).toEqual(['console.staging.voice.example.com', 'meet.staging.voice.example.com']);
  });

  it('adds a PodDisruptionBudget only where there is more than one replica', () => {
    const budgets = objectsIn('dist/kubernetes/production/').filter(({ object }) => object.kind === 'PodDisruptionBudget');
    expect(budgets.map(({ object }) => object.metadata.name).sort()).toEqual(['frontend', 'jitsi-agent-bridge', 'jitsi-web', 'mcp-server', 'ten-agent']);
    // The TEN agent's budget covers its StatefulSet's pods: it selects on a label they carry.
    const agentPods = find('dist/kubernetes/production/', 'StatefulSet', 'ten-agent').spec.template.metadata.labels;
    const agentBudget = find('dist/kubernetes/production/', 'PodDisruptionBudget', 'ten-agent').spec;
    expect(agentBudget.maxUnavailable).toBe(1);
    expect(agentPods).toMatchObject(agentBudget.selector.matchLabels);
    expect(find('dist/kubernetes/production/', 'PodDisruptionBudget', 'jitsi-web').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'jitsi-web' } },
    });
    expect(objectsIn('dist/kubernetes/staging/').some(({ object }) => object.kind === 'PodDisruptionBudget')).toBe(false);
  });

  it('enforces the restricted Pod Security Standard on the namespace', () => {
    const namespace = find('dist/kubernetes/production/', 'Namespace', 'voice-agent-production');
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(namespace.metadata.namespace).toBeUndefined();
  });

  it('runs the MCP server from its content-tagged image, with tokens assembled from Doppler secrets', () => {
    const { container: mcp } = container('dist/kubernetes/staging/', 'mcp-server');
    expect(mcp.image).toMatch(/^ghcr\.io\/acme\/voice-agent\/mcp-server:sha-[0-9a-f]{12}$/);
    const env = Object.fromEntries(mcp.env.map((variable: any) => [variable.name, variable.value ?? variable.valueFrom.secretKeyRef.key]));
    expect(env['MCP_AUTH_TOKENS']).toBe('ten-agent:$(__SECRET_MCP_TEN_AGENT_TOKEN),console:$(__SECRET_MCP_CONSOLE_TOKEN)');
    expect(env['DATABASE_URL']).toBe('postgresql://voice_agent:$(__SECRET_POSTGRES_PASSWORD)@postgres.voice-agent-staging.svc.cluster.local:5432/voice_agent');
    expect(find('dist/kubernetes/staging/', 'ConfigMap', 'mcp-server-env').data).toMatchObject({
      MCP_ALLOWED_HOSTS: 'mcp-server.voice-agent-staging.svc.cluster.local,mcp-server,localhost,127.0.0.1,[::1]',
      MCP_ALLOWED_ORIGINS:
        'http://mcp-server.voice-agent-staging.svc.cluster.local:8080,http://mcp-server:8080,http://localhost:8080,http://127.0.0.1:8080,http://[::1]:8080',
      PIPEDREAM_PROJECT_ENVIRONMENT: 'development',
      HOST: '::',
    });
    expect(find('dist/kubernetes/production/', 'Deployment', 'mcp-server').spec.replicas).toBe(2);
  });

  it('gives the TEN agent the MCP server\'s SSE URL with its token, and lets only it and the console in', () => {
    const { container: agent } = container('dist/kubernetes/staging/', 'ten-agent');
    const url = agent.env.find((variable: any) => variable.name === 'MCP_SERVER_URL');
    expect(url.value).toBe('http://mcp-server.voice-agent-staging.svc.cluster.local:8080/sse/$(__SECRET_MCP_TEN_AGENT_TOKEN)');
    const policy = find('dist/kubernetes/staging/', 'NetworkPolicy', 'mcp-server');
    expect(policy.spec.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ten-agent' } } }, { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'frontend' } } }],
        ports: [{ port: 8080, protocol: 'TCP' }],
      },
      // Staging's Prometheus scrapes /metrics from its own namespace.
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 8080, protocol: 'TCP' }] },
    ]);
    const egressTo = policy.spec.egress.flatMap((rule: any) => (rule.to ?? []).map((peer: any) => peer.podSelector?.matchLabels['app.kubernetes.io/name'] ?? 'internet'));
    expect(egressTo).toEqual(['postgres', 'redis', 'internet', 'internet']);
  });

  it('serves the console at its own hostname over TLS, probed at /api/health, with its service URLs resolved in the cluster', () => {
    const ingress = find('dist/kubernetes/staging/', 'Ingress', 'frontend');
    expect(ingress.spec.tls).toEqual([{ hosts: ['console.staging.voice.example.com'], secretName: 'frontend-tls' }]);
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'frontend', port: { number: 3000 } });
    const { container: frontend, pod } = container('dist/kubernetes/staging/', 'frontend');
    expect(frontend.image).toMatch(/^ghcr\.io\/acme\/voice-agent\/frontend:sha-[0-9a-f]{12}$/);
    expect(frontend.ports).toEqual([
      { containerPort: 3000, name: 'http', protocol: 'TCP' },
      { containerPort: 9464, name: 'metrics', protocol: 'TCP' },
    ]);
    for (const probe of [frontend.readinessProbe, frontend.livenessProbe, frontend.startupProbe]) {
      expect(probe.httpGet).toEqual({ path: '/api/health', port: 3000, scheme: 'HTTP' });
    }
    expect(frontend.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsUser: 1000, runAsGroup: 1000 });
    expect(frontend.volumeMounts).toEqual([
      { mountPath: '/tmp', name: 'tmp' },
      { mountPath: '/app/services/frontend/.next/cache', name: 'next-cache' },
    ]);
    expect(pod.volumes).toEqual([{ emptyDir: {}, name: 'tmp' }, { emptyDir: {}, name: 'next-cache' }]);
    expect(frontend.resources).toEqual({ requests: { cpu: '250m', memory: '384Mi' }, limits: { cpu: '500m', memory: '384Mi' } });
    expect(find('dist/kubernetes/staging/', 'ConfigMap', 'frontend-env').data).toMatchObject({
      PUBLIC_URL: 'https://console.staging.voice.example.com',
      JITSI_PUBLIC_URL: 'https://meet.staging.voice.example.com',
      MCP_SERVER_URL: 'http://mcp-server.voice-agent-staging.svc.cluster.local:8080/mcp',
      AGENT_BRIDGE_URL: 'http://jitsi-agent-bridge.voice-agent-staging.svc.cluster.local:8090',
      HOSTNAME: '::',
      PORT: '3000',
      OIDC_ISSUER: 'https://auth.example.com/realms/voice-agent',
      JITSI_JWT_SUBJECT: 'meet.jitsi',
    });
    expect(find('dist/kubernetes/production/', 'ConfigMap', 'frontend-env').data).toMatchObject({
      PUBLIC_URL: 'https://console.voice.example.com',
      JITSI_PUBLIC_URL: 'https://meet.voice.example.com',
      MCP_SERVER_URL: 'http://mcp-server.voice-agent-production.svc.cluster.local:8080/mcp',
    });
  });

  it('gives the console its secrets by secretKeyRef only, from in-cluster or external databases alike', () => {
    const secretRefs = (prefix: string) => {
      const { container: frontend } = container(prefix, 'frontend');
      return Object.fromEntries(
        frontend.env.filter((variable: any) => variable.valueFrom).map((variable: any) => [variable.name, variable.valueFrom.secretKeyRef]),
      );
    };
    const consoleSecrets = {
      AGENT_BRIDGE_TOKEN: { key: 'AGENT_BRIDGE_TOKEN', name: 'frontend-secrets' },
      JWT_APP_SECRET: { key: 'JWT_APP_SECRET', name: 'frontend-secrets' },
      MCP_CONSOLE_TOKEN: { key: 'MCP_CONSOLE_TOKEN', name: 'frontend-secrets' },
      OIDC_CLIENT_SECRET: { key: 'OIDC_CLIENT_SECRET', name: 'frontend-secrets' },
      SESSION_SECRET: { key: 'CONSOLE_SESSION_SECRET', name: 'frontend-secrets' },
    };
    expect(secretRefs('dist/kubernetes/staging/')).toEqual({
      ...consoleSecrets,
      __SECRET_POSTGRES_PASSWORD: { key: 'POSTGRES_PASSWORD', name: 'frontend-secrets' },
      __SECRET_REDIS_PASSWORD: { key: 'REDIS_PASSWORD', name: 'frontend-secrets' },
    });
    expect(secretRefs('dist/kubernetes/production/')).toEqual({
      ...consoleSecrets,
      DATABASE_URL: { key: 'DATABASE_URL', name: 'frontend-secrets' },
      REDIS_URL: { key: 'REDIS_URL', name: 'frontend-secrets' },
    });
    const configMap = find('dist/kubernetes/staging/', 'ConfigMap', 'frontend-env').data ?? {};
    for (const name of Object.keys(consoleSecrets)) expect(configMap, name).not.toHaveProperty(name);
  });

  it('runs two console replicas in production, kept through drains by a PodDisruptionBudget', () => {
    expect(find('dist/kubernetes/production/', 'Deployment', 'frontend').spec.replicas).toBe(2);
    expect(find('dist/kubernetes/staging/', 'Deployment', 'frontend').spec.replicas).toBe(1);
    expect(find('dist/kubernetes/production/', 'PodDisruptionBudget', 'frontend').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'frontend' } },
    });
  });

  it('lets the console reach the MCP server, the agent bridge, the databases and its identity provider, and only the ingress reach it', () => {
    const policy = find('dist/kubernetes/staging/', 'NetworkPolicy', 'frontend');
    const egressTo = policy.spec.egress.flatMap((rule: any) => (rule.to ?? []).map((peer: any) => peer.podSelector?.matchLabels['app.kubernetes.io/name'] ?? 'internet'));
    expect(egressTo).toEqual(['jitsi-agent-bridge', 'mcp-server', 'postgres', 'redis', 'internet', 'internet']);
    // The console reaches TEN only through the bridge.
    expect(egressTo).not.toContain('ten-agent');
    // Browsers, not the console, connect to Jitsi.
    expect(egressTo).not.toContain('jitsi-web');
    expect(policy.spec.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ port: 3000, protocol: 'TCP' }] },
      // Only Prometheus reaches the metrics listener, which the Ingress does not route to.
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 9464, protocol: 'TCP' }] },
    ]);
    const agent = find('dist/kubernetes/staging/', 'NetworkPolicy', 'ten-agent');
    const agentFrom = agent.spec.ingress.flatMap((rule: any) => rule.from.map((peer: any) => peer.podSelector?.matchLabels['app.kubernetes.io/name'] ?? peer.namespaceSelector?.matchLabels['kubernetes.io/metadata.name']));
    // The API and the worker ports, each to the bridge alone; TEN's metrics port to Prometheus alone.
    expect(agentFrom).toEqual(['jitsi-agent-bridge', 'jitsi-agent-bridge', 'monitoring']);
    expect(agent.spec.ingress.map((rule: any) => rule.ports.map((port: any) => port.port))).toEqual([[8080], [8800], [9464]]);
  });

  it('lets the console embed Jitsi: jitsi-web\'s CSP names the console\'s origin', () => {
    expect(find('dist/kubernetes/staging/', 'ConfigMap', 'jitsi-web-env').data?.['CSP_HEADER']).toBe("frame-ancestors 'self' https://console.staging.voice.example.com");
    expect(find('dist/kubernetes/production/', 'ConfigMap', 'jitsi-web-env').data?.['CSP_HEADER']).toBe("frame-ancestors 'self' https://console.voice.example.com");
  });
});
