import { RootConstruct } from 'constructs';
import type { RailwayGraph } from 'railway/iac';
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateKubernetesObjects } from '../../charts/kubernetes/kubernetes-schemas.ts';
import {
  dependenciesOf,
  dependentsOf,
  SecretRef,
  ServiceEndpointRef,
  StackEnvironment,
  StackService,
  UniqueList,
  validateEnvironment,
  VoiceAgentStack,
  type VoiceAgentStackProps,
} from '../../constructs/index.ts';
import { specErrorOf } from '../helpers/model.ts';
import { render } from '../helpers/synth.ts';
import { JITSI_VERSION, POSTGRES_VERSION, REDIS_VERSION } from '../../environments/versions.ts';

const frontend = { oidcIssuer: 'https://auth.example.com/realms/voice-agent', oidcClientId: 'voice-console' };

function stack(props: Partial<VoiceAgentStackProps> = {}, overrides: Record<string, object> = {}) {
  const environment = new StackEnvironment(new RootConstruct(), 'test', {
    targets: ['compose'],
    domain: 'localhost',
    doppler: { project: 'voice-agent', config: 'dev' },
    overrides,
  });
  const voiceAgent = new VoiceAgentStack(environment, 'voice-agent', { jitsi: { version: JITSI_VERSION, advertiseIps: ['192.0.2.1'] }, postgres: { version: POSTGRES_VERSION }, redis: { version: REDIS_VERSION }, frontend, ...props });
  return { environment, voiceAgent, bridge: voiceAgent.agentBridge };
}

function endpoint(service: StackService, name: string): ServiceEndpointRef {
  const value = service.env[name];
  if (!(value instanceof ServiceEndpointRef)) throw new Error(`${service.name}.${name} is not an endpoint reference`);
  return value;
}

describe('JitsiAgentBridge', () => {
  it('is a private service on 8090, alive at /health, ready at /ready (503 while it drains), checked over HTTP and from inside the container', () => {
    const { bridge } = stack();
    expect(bridge.name).toBe('jitsi-agent-bridge');
    expect(bridge.data.ports).toEqual([{ name: 'http', port: 8090, protocol: 'tcp', exposure: 'private', appProtocol: 'agent bridge API' }]);
    expect(bridge.publicPorts).toEqual([]);
    expect(bridge.data.healthCheck?.http).toEqual({ path: '/health', readinessPath: '/ready', port: 8090 });
    expect(bridge.data.healthCheck?.exec?.[2]).toContain("fetch('http://127.0.0.1:8090/health')");
    expect(bridge.env).toMatchObject({ PORT: '8090', HOST: '::', LOG_LEVEL: 'info', CHROMIUM_PATH: '/usr/bin/chromium', HOME: '/tmp' });
  });

  it('is built from the repository root out of exactly the files of its image, without devDependencies', () => {
    expect(stack().bridge.data.build).toEqual({
      context: '.',
      dockerfile: 'services/jitsi-agent-bridge/Dockerfile',
      npmWorkspace: { path: 'services/jitsi-agent-bridge', devDependencies: false },
      paths: [
        'package-lock.json',
        'services/jitsi-agent-bridge/Dockerfile',
        'services/jitsi-agent-bridge/package.json',
        'services/jitsi-agent-bridge/src',
      ],
    });
  });

  it("reaches every TEN replica's API and, once admitted, their worker ports, with the graph and session timeout the agent runs", () => {
    const { bridge, voiceAgent } = stack({ tenAgent: { workerQuitTimeoutSeconds: 90, replicas: 3 } });
    const agent = voiceAgent.tenAgent;
    const urls = bridge.env['TEN_AGENT_URLS'];
    if (!(urls instanceof UniqueList)) throw new Error('TEN_AGENT_URLS is not a list');
    // One URL per replica, in order: the bridge dials a session's websocket on its replica's host.
    expect(urls.items.map((item) => item instanceof ServiceEndpointRef && [item.service, item.replica, item.port, item.form])).toEqual([
      [agent, 0, 8080, 'url'],
      [agent, 1, 8080, 'url'],
      [agent, 2, 8080, 'url'],
    ]);
    expect(bridge.env).not.toHaveProperty('TEN_AGENT_URL');
    expect(bridge.env).not.toHaveProperty('TEN_WORKER_HOST');
    expect(agent.portRangeClients('workers')).toEqual([bridge]);
    expect(stack().bridge.env['TEN_AGENT_URLS']).toMatchObject({ items: [expect.objectContaining({ replica: 0 })] });
    expect(bridge.env).toMatchObject({ TEN_WORKER_PORTS: '8800-8809', TEN_AGENT_GRAPH: 'voice_agent', TEN_SESSION_TIMEOUT_SECONDS: '90' });
    expect(agent.env['WORKER_QUIT_TIMEOUT_SECONDS']).toBe('90');
    expect(stack({ tenAgent: { workersMax: 3 } }).bridge.env['TEN_WORKER_PORTS']).toBe('8800-8802');
  });

  it("loads Jitsi from jitsi-web's private HTTP port and joins with a token of the claims prosody checks", () => {
    const { bridge, voiceAgent } = stack({ jitsi: { version: JITSI_VERSION, advertiseIps: ['192.0.2.1'], jwtAppId: 'acme-meet', jwtAcceptedAudiences: ['acme-bridge', 'acme-other'] } });
    const { jitsi } = voiceAgent;
    const web = endpoint(bridge, 'JITSI_URL');
    expect([web.service, web.port, web.form, web.scheme, web.path]).toEqual([jitsi.web, 8000, 'url', 'http', '']);
    expect(bridge.env).toMatchObject({
      JITSI_XMPP_DOMAIN: 'meet.jitsi',
      JITSI_MUC_DOMAIN: 'muc.meet.jitsi',
      JITSI_JWT_APP_ID: 'acme-meet',
      JITSI_JWT_AUDIENCE: 'acme-bridge',
      JITSI_JWT_SUBJECT: 'meet.jitsi',
    });
    // The domains prosody serves, read from the same construct.
    expect(bridge.env['JITSI_XMPP_DOMAIN']).toBe(jitsi.prosody.env['XMPP_DOMAIN']);
    expect(bridge.env['JITSI_MUC_DOMAIN']).toBe(jitsi.prosody.env['XMPP_MUC_DOMAIN']);
  });

  it('speaks XMPP to jitsi-web the way the web serves it: the websocket, or BOSH where the web has none', () => {
    const served = stack();
    expect(served.bridge.env['JITSI_XMPP_TRANSPORT']).toBe('websocket');
    expect(served.voiceAgent.jitsi.web.env['ENABLE_XMPP_WEBSOCKET']).toBe('1');
    const withoutWebSocket = stack({ jitsi: { version: JITSI_VERSION, advertiseIps: ['192.0.2.1'], xmppWebSocket: false } });
    expect(withoutWebSocket.bridge.env['JITSI_XMPP_TRANSPORT']).toBe('bosh');
    expect(withoutWebSocket.voiceAgent.jitsi.web.env['ENABLE_XMPP_WEBSOCKET']).toBe('0');
  });

  it('reads its API token and the room-token key from Doppler, the very secrets the console and prosody hold', () => {
    const { bridge, voiceAgent } = stack();
    expect((bridge.env['BRIDGE_API_TOKEN'] as SecretRef).name).toBe('AGENT_BRIDGE_TOKEN');
    expect((voiceAgent.frontend.env['AGENT_BRIDGE_TOKEN'] as SecretRef).name).toBe('AGENT_BRIDGE_TOKEN');
    expect((bridge.env['JWT_APP_SECRET'] as SecretRef).name).toBe((voiceAgent.jitsi.prosody.env['JWT_APP_SECRET'] as SecretRef).name);
    expect(bridge.secretNames).toEqual(['AGENT_BRIDGE_TOKEN', 'JWT_APP_SECRET']);
  });

  it('is reached by the console only, and reaches jitsi-web and the TEN agent', () => {
    const { environment, bridge, voiceAgent } = stack();
    // Redis holds the room leases and the TEN replicas' drain marks.
    expect(dependenciesOf(bridge).map((service) => service.name)).toEqual(['jitsi-web', 'redis', 'ten-agent']);
    expect(bridge.env['REDIS_URL']).toMatchObject({ database: voiceAgent.redis, output: 'url' });
    expect(dependentsOf(bridge).map((service) => service.name)).toEqual(['frontend']);
    const url = endpoint(voiceAgent.frontend, 'AGENT_BRIDGE_URL');
    expect([url.service, url.port, url.form]).toEqual([bridge, 8090, 'url']);
    expect(() => validateEnvironment(environment)).not.toThrow();
  });

  it('runs read-only as the node user with a writable /tmp for Chromium, and sends media to the internet over UDP', () => {
    const { bridge } = stack();
    expect(bridge.data).toMatchObject({ runAs: { uid: 1000, gid: 1000 }, readOnlyRootFilesystem: true, egressToInternet: true });
    expect(bridge.scratchVolumes.map((volume) => volume.mountPath)).toEqual(['/tmp']);
    expect(bridge.persistentVolumes).toEqual([]);
    expect(bridge.data.udpEgress).toMatch(/^WebRTC media to "jitsi-jvb" at its advertised public address, UDP 10000; fallback: a TURN relay over TCP or TLS on 443/);
  });

  it('runs one replica by default and as many as asked for, rolled, its replicas calling each other on its port', () => {
    expect(stack().bridge.data).toMatchObject({ replicas: 1, rollout: 'rolling', addressing: 'service', peerPorts: [8090] });
    expect(stack({ agentBridge: { replicas: 3 } }).bridge.data.replicas).toBe(3);
    expect(stack({}, { 'jitsi-agent-bridge': { replicas: 2 } }).bridge.data.replicas).toBe(2);
  });

  it('drains on SIGTERM within drainTimeoutSeconds (half an hour, for the calls it holds), and the stop grace period outlasts it', () => {
    const defaults = stack().bridge;
    expect(defaults.env).toMatchObject({ DRAIN_TIMEOUT_SECONDS: '1800', EMPTY_ROOM_GRACE_SECONDS: '30' });
    expect(defaults.data.drain).toEqual({ seconds: 1800, marginSeconds: 10 });
    expect(defaults.stopGracePeriodSeconds).toBe(1810);
    const custom = stack({ agentBridge: { drainTimeoutSeconds: 300, emptyRoomGraceSeconds: 5 } }).bridge;
    expect(custom.env).toMatchObject({ DRAIN_TIMEOUT_SECONDS: '300', EMPTY_ROOM_GRACE_SECONDS: '5' });
    expect(custom.stopGracePeriodSeconds).toBe(310);
  });

  it('holds 12 rooms by default, fewer where the TEN agent has fewer worker ports, sized from the measured figures', () => {
    const twelve = stack({ tenAgent: { workersMax: 20 } }).bridge;
    expect(twelve.env['ROOMS_MAX']).toBe('12');
    expect(twelve.data.resources).toEqual({ cpuMillicores: 2250, memoryMiB: 1024 });
    const two = stack({ tenAgent: { workersMax: 2 } }).bridge;
    expect(two.env['ROOMS_MAX']).toBe('2');
    // 250 + 2 × 160 = 570 → 750 millicores; 300 + 100 + 2 × 40 = 480 → 512 MiB.
    expect(two.data.resources).toEqual({ cpuMillicores: 750, memoryMiB: 512 });
    const twenty = stack({ tenAgent: { workersMax: 20 }, agentBridge: { roomsMax: 20 } }).bridge;
    expect(twenty.env['ROOMS_MAX']).toBe('20');
    expect(twenty.data.resources).toEqual({ cpuMillicores: 3500, memoryMiB: 1280 });
    const sized = stack({ agentBridge: { resources: { cpuMillicores: 2000, memoryMiB: 2048 } } }).bridge;
    expect(sized.data.resources).toEqual({ cpuMillicores: 2000, memoryMiB: 2048 });
  });

  it.each<[string, VoiceAgentStackProps['agentBridge'], string, string]>([
    ['more rooms than the TEN agent has worker ports', { roomsMax: 11 }, 'roomsMax', `each room needs one of the TEN agent's worker ports, and "ten-agent" has 10 (8800-8809), got 11; raise the TEN agent's workersMax or lower roomsMax`],
    ['no rooms', { roomsMax: 0 }, 'roomsMax', 'too small'],
    ['a fraction of a room', { roomsMax: 1.5 }, 'roomsMax', 'expected int'],
    ['a drain of no time', { drainTimeoutSeconds: 0 }, 'drainTimeoutSeconds', 'too small'],
    ['a negative grace period', { emptyRoomGraceSeconds: -1 }, 'emptyRoomGraceSeconds', 'too small'],
    ['resources without memory', { resources: { cpuMillicores: 500 } as never }, 'resources.memoryMiB', 'expected number'],
    ['a prop it does not know', { replica: 2 } as never, undefined as never, 'unknown field(s) "replica"'],
    ['no replicas', { replicas: 0 }, 'replicas', 'too small'],
  ])('refuses %s, at the field', (_, agentBridge, field, problem) => {
    const error = specErrorOf(() => stack({ agentBridge }));
    expect(error.location).toEqual({ environment: 'test', service: 'jitsi-agent-bridge', ...(field !== undefined ? { field } : {}) });
    expect(error.problem).toContain(problem);
  });

  it('refuses bridge settings that are not an object, at the stack', () => {
    const error = specErrorOf(() => stack({ agentBridge: 12 as never }));
    expect(error.location).toEqual({ environment: 'test', construct: 'voice-agent', field: 'agentBridge' });
  });
});

describe('JitsiAgentBridge, as every target renders it', () => {
  type K8sObject = { kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> };
  let files: Map<string, string>;
  let warnings: string[];
  /** An object of one service's file (`service`, default the bridge's). */
  const kubernetes = (environment: string, kind: string, name: string, service = 'jitsi-agent-bridge'): K8sObject => {
    const text = files.get(`dist/kubernetes/${environment}/${service}.yaml`) ?? '';
    const found = parseAllDocuments(text)
      .map((document) => document.toJS() as K8sObject)
      .find((object) => object.kind === kind && object.metadata.name === name);
    if (found === undefined) throw new Error(`no ${kind}/${name} in ${environment}`);
    return found;
  };
  const peers = (rule: any) => (rule.to ?? rule.from).map((peer: any) => peer.podSelector?.matchLabels['app.kubernetes.io/name'] ?? peer.ipBlock?.cidr);

  beforeAll(async () => {
    const { output } = await render();
    files = output.files;
    warnings = output.warnings.map((warning) => `${warning.environment}: ${warning.message}`);
  });

  it('Kubernetes: rolled one new pod at a time, ready at /ready, with a grace period past the drain, every TEN replica by its own name', async () => {
    const deployment = kubernetes('staging', 'Deployment', 'jitsi-agent-bridge');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(1810);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsUser: 1000, runAsNonRoot: true });
    // A draining bridge leaves the Service (no new rooms) and is not restarted.
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 8090, scheme: 'HTTP' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 8090, scheme: 'HTTP' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/health', port: 8090, scheme: 'HTTP' });
    expect(kubernetes('production', 'Deployment', 'jitsi-agent-bridge').spec.replicas).toBe(2);
    expect(kubernetes('production', 'ConfigMap', 'jitsi-agent-bridge-env').data?.['TEN_AGENT_URLS']).toBe(
      'http://ten-agent-0.ten-agent.voice-agent-production.svc.cluster.local:8080,http://ten-agent-1.ten-agent.voice-agent-production.svc.cluster.local:8080',
    );
    const config = kubernetes('staging', 'ConfigMap', 'jitsi-agent-bridge-env').data ?? {};
    expect(config).not.toHaveProperty('TEN_AGENT_URL');
    expect(config).not.toHaveProperty('TEN_WORKER_HOST');
    expect(config).toMatchObject({
      TEN_AGENT_URLS: 'http://ten-agent-0.ten-agent.voice-agent-staging.svc.cluster.local:8080',
      TEN_WORKER_PORTS: '8800-8804',
      DRAIN_TIMEOUT_SECONDS: '1800',
      JITSI_URL: 'http://jitsi-web.voice-agent-staging.svc.cluster.local:8000',
      ROOMS_MAX: '5',
      BRIDGE_ALLOWED_HOSTS: 'jitsi-agent-bridge.voice-agent-staging.svc.cluster.local,jitsi-agent-bridge,localhost,127.0.0.1,[::1]',
    });
    expect(config).not.toHaveProperty('BRIDGE_API_TOKEN');
    const env = deployment.spec.template.spec.containers[0].env.map((variable: any) => [variable.name, variable.valueFrom?.secretKeyRef?.key]);
    // The in-cluster Redis URL is assembled from Redis's password.
    expect(env).toEqual([
      ['__SECRET_REDIS_PASSWORD', 'REDIS_PASSWORD'],
      ['BRIDGE_API_TOKEN', 'AGENT_BRIDGE_TOKEN'],
      ['JWT_APP_SECRET', 'JWT_APP_SECRET'],
      ['REDIS_URL', undefined],
    ]);
    expect(container.env.find((variable: any) => variable.name === 'REDIS_URL').value).toBe(
      'redis://default:$(__SECRET_REDIS_PASSWORD)@redis.voice-agent-staging.svc.cluster.local:6379',
    );
    expect(kubernetes('staging', 'DopplerSecret', 'voice-agent-staging-jitsi-agent-bridge').spec.secrets).toEqual(['AGENT_BRIDGE_TOKEN', 'JWT_APP_SECRET', 'REDIS_PASSWORD']);
    const objects = [...files]
      .filter(([path]) => path === 'dist/kubernetes/staging/jitsi-agent-bridge.yaml')
      .flatMap(([file, text]) => parseAllDocuments(text).map((document) => ({ file, object: document.toJS() })));
    expect(await validateKubernetesObjects(objects)).toEqual([]);
  });

  it('Kubernetes: the console and its own peers get in; out go jitsi-web, Redis, the TEN API and worker ports, its peers, the video bridge\'s media pods and the internet', () => {
    const policy = kubernetes('staging', 'NetworkPolicy', 'jitsi-agent-bridge');
    const self = { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'jitsi-agent-bridge' } } };
    expect(policy.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'frontend' } } }], ports: [{ port: 8090, protocol: 'TCP' }] },
      // A replica forwards the console's call for a room to the replica that holds it, by pod address.
      { from: [self], ports: [{ port: 8090, protocol: 'TCP' }] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 8090, protocol: 'TCP' }] },
    ]);
    expect(policy.spec.egress).toEqual([
      { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'jitsi-web' } } }], ports: [{ port: 8000, protocol: 'TCP' }] },
      { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis' } } }], ports: [{ port: 6379, protocol: 'TCP' }] },
      {
        to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ten-agent' } } }],
        ports: [{ port: 8080, protocol: 'TCP' }, { port: 8800, endPort: 8804, protocol: 'TCP' }],
      },
      { to: [self], ports: [{ port: 8090, protocol: 'TCP' }] },
      { to: [{ ipBlock: expect.objectContaining({ cidr: '0.0.0.0/0' }) }, { ipBlock: expect.objectContaining({ cidr: '::/0' }) }] },
      // Media to the advertised address lands on the video bridge's pods inside the cluster.
      { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'jitsi-jvb' } } }], ports: [{ port: 10000, protocol: 'UDP' }] },
    ]);
    // No disruption budget for one replica; one for production's two.
    expect(files.get('dist/kubernetes/staging/jitsi-agent-bridge.yaml')).not.toContain('PodDisruptionBudget');
    expect(kubernetes('production', 'PodDisruptionBudget', 'jitsi-agent-bridge').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'jitsi-agent-bridge' } },
    });
    // Production's Redis is outside the cluster: the peer rule stays, Redis is reached on its port anywhere.
    const production = kubernetes('production', 'NetworkPolicy', 'jitsi-agent-bridge');
    expect(production.spec.ingress).toContainEqual({ from: [self], ports: [{ port: 8090, protocol: 'TCP' }] });
    expect(production.spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }], ports: [{ port: 6379, protocol: 'TCP' }] });
    // The other ends agree: the video bridge takes media from anywhere and from the bridge's pods,
    // the TEN agent lets the bridge (and only it) into the worker ports.
    const jvb = kubernetes('staging', 'NetworkPolicy', 'jitsi-jvb', 'jitsi-jvb');
    const media = jvb.spec.ingress.find((rule: any) => rule.ports.some((port: any) => port.protocol === 'UDP'));
    expect(peers(media)).toEqual(['0.0.0.0/0', '::/0', 'jitsi-agent-bridge']);
    const agent = kubernetes('staging', 'NetworkPolicy', 'ten-agent', 'ten-agent');
    const range = agent.spec.ingress.find((rule: any) => rule.ports.some((port: any) => port.endPort !== undefined));
    expect(peers(range)).toEqual(['jitsi-agent-bridge']);
    const web = kubernetes('staging', 'NetworkPolicy', 'jitsi-web', 'jitsi-web');
    expect(web.spec.ingress.flatMap(peers)).toContain('jitsi-agent-bridge');
  });

  it('Compose: builds it locally, waits for what it uses, and gives the drain its time', () => {
    const service = (parse(files.get('dist/compose/development/compose.yaml') ?? '') as any).services['jitsi-agent-bridge'];
    expect(service).toMatchObject({
      image: 'voice-agent/jitsi-agent-bridge:dev',
      build: { context: '../../..', dockerfile: 'services/jitsi-agent-bridge/Dockerfile' },
      read_only: true,
      user: '1000:1000',
      // Development drains for 30 s, so `docker compose down` does not wait half an hour.
      stop_grace_period: '40s',
      depends_on: { 'jitsi-web': { condition: 'service_healthy' }, redis: { condition: 'service_healthy' }, 'ten-agent-0': { condition: 'service_healthy' } },
      volumes: [{ type: 'tmpfs', target: '/tmp', tmpfs: { mode: 0o1777 } }],
    });
    expect(service.ports).toBeUndefined();
    expect(service.deploy.replicas).toBe(1);
    expect(service.environment).not.toHaveProperty('TEN_WORKER_HOST');
    expect(service.environment).toMatchObject({
      TEN_AGENT_URLS: 'http://ten-agent-0:8080',
      DRAIN_TIMEOUT_SECONDS: '30',
      REDIS_URL: expect.stringMatching(/^redis:\/\/default:\$\{REDIS_PASSWORD:\?[^}]*\}@redis:6379$/),
      TEN_WORKER_PORTS: '8800-8801',
      JITSI_URL: 'http://jitsi-web:8000',
      ROOMS_MAX: '2',
      BRIDGE_API_TOKEN: expect.stringMatching(/^\$\{AGENT_BRIDGE_TOKEN:\?/),
    });
  });

  it('XMPP: BOSH in development, whose jitsi-web serves no /xmpp-websocket; the websocket in production, on every target', () => {
    const compose = parse(files.get('dist/compose/development/compose.yaml') ?? '') as any;
    expect(compose.services['jitsi-web'].environment.ENABLE_XMPP_WEBSOCKET).toBe('0');
    expect(compose.services['jitsi-agent-bridge'].environment.JITSI_XMPP_TRANSPORT).toBe('bosh');
    expect(kubernetes('production', 'ConfigMap', 'jitsi-web-env', 'jitsi-web').data?.['ENABLE_XMPP_WEBSOCKET']).toBe('1');
    expect(kubernetes('production', 'ConfigMap', 'jitsi-agent-bridge-env').data?.['JITSI_XMPP_TRANSPORT']).toBe('websocket');
    const graph = JSON.parse(files.get('dist/railway/production.json') ?? '{}') as RailwayGraph;
    const node = graph.resources.find((resource) => resource.name === 'jitsi-agent-bridge') as any;
    expect(node.variables.JITSI_XMPP_TRANSPORT).toEqual({ type: 'literal', value: 'websocket' });
  });

  it('Railway: built from GitHub with its watch patterns, draining past the drain, gated on /ready, every TEN replica by its own private domain', () => {
    const graph = JSON.parse(files.get('dist/railway/staging.json') ?? '{}') as RailwayGraph;
    const node = graph.resources.find((resource) => resource.name === 'jitsi-agent-bridge') as any;
    expect(node.deploy.drainingSeconds).toBe(1810);
    expect(node.deploy.healthcheckPath).toBe('/ready');
    expect(node.build.watchPatterns).toEqual([
      '/package-lock.json',
      '/services/jitsi-agent-bridge/Dockerfile',
      '/services/jitsi-agent-bridge/package.json',
      '/services/jitsi-agent-bridge/src/**',
    ]);
    expect(node.variables.TEN_AGENT_URLS).toEqual({ type: 'literal', value: 'http://${{ten-agent-0.RAILWAY_PRIVATE_DOMAIN}}:8080' });
    expect(node.variables.REDIS_URL).toEqual({ type: 'reference', resource: 'database.redis', output: 'REDIS_URL' });
    expect(node.variables).not.toHaveProperty('TEN_WORKER_HOST');
    const production = (JSON.parse(files.get('dist/railway/production.json') ?? '{}') as RailwayGraph).resources.find((resource) => resource.name === 'jitsi-agent-bridge') as any;
    expect(production.deploy.numReplicas).toBe(2);
    expect(production.variables.TEN_AGENT_URLS.value).toBe('http://${{ten-agent-0.RAILWAY_PRIVATE_DOMAIN}}:8080,http://${{ten-agent-1.RAILWAY_PRIVATE_DOMAIN}}:8080');
    expect(node.variables.JITSI_URL).toEqual({ type: 'literal', value: 'http://${{jitsi-web.RAILWAY_PRIVATE_DOMAIN}}:8000' });
    expect(node.variables.BRIDGE_API_TOKEN).toEqual({ type: 'sharedReference', name: 'AGENT_BRIDGE_TOKEN' });
    expect(files.get('.railway/railway.ts')).toContain('drainingSeconds: 1810');
  });

  it('synth notes what the Railway rendering relies on for media: TURN over TCP or TLS 443, the video bridge being off Railway', () => {
    const note = (environment: string) =>
      `${environment}: railway: field "udpEgress" of "jitsi-agent-bridge" (WebRTC media to "jitsi-jvb" at its advertised public address, UDP 10000; ` +
      'fallback: a TURN relay over TCP or TLS on 443 that jitsi-prosody advertises (TURN_HOST, TURNS_HOST), which the stack does not deploy): ' +
      'Railway documents no outbound UDP, so on Railway this service can count only on its fallback; ' +
      `this environment's public UDP runs off Railway ("jitsi-jvb" on media-host)`;
    expect(warnings).toContain(note('staging'));
    expect(warnings).toContain(note('production'));
    expect(files.get('dist/staging.md')).toContain(`- ${note('staging').replace(/^staging: /, '')}\n`);
    // Compose and Kubernetes let UDP out, so they say nothing about it.
    expect(warnings.filter((warning) => warning.includes('udpEgress') && !warning.includes(': railway: '))).toEqual([]);
  });

  it('draws the bridge in each environment diagram: console → bridge → TEN and jitsi-web, media dotted to the video bridge', () => {
    const page = files.get('dist/staging.md') ?? '';
    expect(page).toContain('frontend -- "HTTP 8090: agent bridge API" --> jitsi_agent_bridge');
    expect(page).toContain('jitsi_agent_bridge -- "HTTP 8080: TEN API (/start, /stop, /ping)" --> ten_agent');
    expect(page).toContain('jitsi_agent_bridge -- "TCP 8800-8804: WebSocket (session audio and messages)" --> ten_agent');
    expect(page).toContain('jitsi_agent_bridge -- "HTTP 8000: Jitsi Meet web app, BOSH and XMPP WebSocket" --> jitsi_web');
    expect(page).toContain('jitsi_agent_bridge -. "UDP 10000: WebRTC media, to its public address" .-> jitsi_jvb');
    // Staging's cluster runs Redis itself, so the bridge reads its password there.
    expect(page).toContain('| jitsi-agent-bridge | AGENT_BRIDGE_TOKEN, JWT_APP_SECRET, REDIS_PASSWORD |');
    expect(page).toContain('| frontend | AGENT_BRIDGE_TOKEN, CONSOLE_SESSION_SECRET, JWT_APP_SECRET, MCP_CONSOLE_TOKEN, OIDC_CLIENT_SECRET, POSTGRES_PASSWORD, REDIS_PASSWORD |');
  });

  it('lists its secrets, and the console\'s new one, for every target in dist/secrets', () => {
    // Its Redis URL needs a secret where the stack runs Redis itself (Compose, staging's cluster)
    // or reads it from Doppler (production's cluster); Railway's Redis is Railway's own.
    const redis: Record<string, Record<string, string[]>> = {
      development: { REDIS_PASSWORD: ['compose'] },
      staging: { REDIS_PASSWORD: ['kubernetes'] },
      production: { REDIS_URL: ['kubernetes'] },
    };
    for (const [environment, targets] of [['development', ['compose']], ['staging', ['kubernetes', 'railway']], ['production', ['kubernetes', 'railway']]] as const) {
      const secrets = JSON.parse(files.get(`dist/secrets/${environment}.json`) ?? '{}');
      expect(secrets.services['jitsi-agent-bridge'], environment).toEqual({ AGENT_BRIDGE_TOKEN: targets, JWT_APP_SECRET: targets, ...redis[environment] });
      expect(secrets.services.frontend.AGENT_BRIDGE_TOKEN, environment).toEqual(targets);
    }
    expect(files.get('doppler.yaml')).toContain('path: services/jitsi-agent-bridge');
  });
});
