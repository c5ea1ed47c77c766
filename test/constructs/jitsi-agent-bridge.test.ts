import { RootConstruct } from 'constructs';
import type { RailwayGraph } from 'railway/iac';
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateKubernetesObjects } from '../../cli/validate/kubernetes-schemas.ts';
import {
  dependenciesOf,
  dependentsOf,
  SecretRef,
  ServiceEndpointRef,
  StackEnvironment,
  StackService,
  validateEnvironment,
  VoiceAgentStack,
  type VoiceAgentStackProps,
} from '../../constructs/index.ts';
import { specErrorOf } from '../helpers/model.ts';
import { render } from '../helpers/synth.ts';

const frontend = { oidcIssuer: 'https://auth.example.com/realms/voice-agent', oidcClientId: 'voice-console' };

function stack(props: Partial<VoiceAgentStackProps> = {}, overrides: Record<string, object> = {}) {
  const environment = new StackEnvironment(new RootConstruct(), 'test', {
    targets: ['compose'],
    domain: 'localhost',
    doppler: { project: 'voice-agent', config: 'dev' },
    overrides,
  });
  const voiceAgent = new VoiceAgentStack(environment, 'voice-agent', { jitsi: { advertiseIps: ['192.0.2.1'] }, frontend, ...props });
  return { environment, voiceAgent, bridge: voiceAgent.agentBridge };
}

function endpoint(service: StackService, name: string): ServiceEndpointRef {
  const value = service.env[name];
  if (!(value instanceof ServiceEndpointRef)) throw new Error(`${service.name}.${name} is not an endpoint reference`);
  return value;
}

describe('JitsiAgentBridge', () => {
  it('is a private service on 8090, health-checked at /health over HTTP and from inside the container', () => {
    const { bridge } = stack();
    expect(bridge.name).toBe('jitsi-agent-bridge');
    expect(bridge.data.ports).toEqual([{ name: 'http', port: 8090, protocol: 'tcp', exposure: 'private' }]);
    expect(bridge.publicPorts).toEqual([]);
    expect(bridge.data.healthCheck?.http).toEqual({ path: '/health', port: 8090 });
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

  it("reaches the TEN agent's API and, once admitted, its worker ports by reference, with the graph and session timeout the agent runs", () => {
    const { bridge, voiceAgent } = stack({ tenAgent: { workerQuitTimeoutSeconds: 90 } });
    const agent = voiceAgent.tenAgent;
    const api = endpoint(bridge, 'TEN_AGENT_URL');
    expect([api.service, api.port, api.form]).toEqual([agent, 8080, 'url']);
    const workers = endpoint(bridge, 'TEN_WORKER_HOST');
    expect([workers.service, workers.port, workers.form]).toEqual([agent, 8800, 'host']);
    expect(agent.findPortRange(workers.port)?.name).toBe('workers');
    expect(agent.portRangeClients('workers')).toEqual([bridge]);
    expect(bridge.env).toMatchObject({ TEN_WORKER_PORTS: '8800-8809', TEN_AGENT_GRAPH: 'voice_agent', TEN_SESSION_TIMEOUT_SECONDS: '90' });
    expect(agent.env['WORKER_QUIT_TIMEOUT_SECONDS']).toBe('90');
    expect(stack({ tenAgent: { workersMax: 3 } }).bridge.env['TEN_WORKER_PORTS']).toBe('8800-8802');
  });

  it("loads Jitsi from jitsi-web's private HTTP port and joins with a token of the claims prosody checks", () => {
    const { bridge, voiceAgent } = stack({ jitsi: { advertiseIps: ['192.0.2.1'], jwtAppId: 'acme-meet', jwtAcceptedAudiences: ['acme-bridge', 'acme-other'] } });
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
    const withoutWebSocket = stack({ jitsi: { advertiseIps: ['192.0.2.1'], xmppWebSocket: false } });
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
    expect(dependenciesOf(bridge).map((service) => service.name)).toEqual(['jitsi-web', 'ten-agent']);
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

  it('runs one replica, replaced by stopping it first, and refuses a second one wherever it is asked for', () => {
    expect(stack().bridge.data).toMatchObject({ replicas: 1, rollout: 'recreate' });
    const error = specErrorOf(() => stack({}, { 'jitsi-agent-bridge': { replicas: 2 } }));
    expect(error.location).toEqual({ environment: 'test', service: 'jitsi-agent-bridge', field: 'replicas' });
    expect(error.problem).toBe(
      "the rooms it serves live in its memory (browser page, TEN session), and the console's calls for a room must reach the one replica that holds it, so it must run 1 replica, got 2",
    );
  });

  it('drains on SIGTERM within drainTimeoutSeconds, and the stop grace period outlasts it', () => {
    const defaults = stack().bridge;
    expect(defaults.env).toMatchObject({ DRAIN_TIMEOUT_SECONDS: '30', EMPTY_ROOM_GRACE_SECONDS: '30' });
    expect(defaults.data.stopGracePeriodSeconds).toBe(40);
    const custom = stack({ agentBridge: { drainTimeoutSeconds: 300, emptyRoomGraceSeconds: 5 } }).bridge;
    expect(custom.env).toMatchObject({ DRAIN_TIMEOUT_SECONDS: '300', EMPTY_ROOM_GRACE_SECONDS: '5' });
    expect(custom.data.stopGracePeriodSeconds).toBe(310);
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
    ['a prop it does not know', { replicas: 2 } as never, undefined as never, 'unknown field(s) "replicas"'],
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

  it('Kubernetes: one recreated pod with a grace period past the drain, the worker host through the range\'s headless Service', async () => {
    const deployment = kubernetes('staging', 'Deployment', 'jitsi-agent-bridge');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(40);
    expect(deployment.spec.template.spec.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsUser: 1000, runAsNonRoot: true });
    const config = kubernetes('staging', 'ConfigMap', 'jitsi-agent-bridge-env').data ?? {};
    expect(config).toMatchObject({
      TEN_AGENT_URL: 'http://ten-agent.voice-agent-staging.svc.cluster.local:8080',
      TEN_WORKER_HOST: 'ten-agent-workers.voice-agent-staging.svc.cluster.local',
      TEN_WORKER_PORTS: '8800-8804',
      JITSI_URL: 'http://jitsi-web.voice-agent-staging.svc.cluster.local:8000',
      ROOMS_MAX: '5',
      BRIDGE_ALLOWED_HOSTS: 'jitsi-agent-bridge.voice-agent-staging.svc.cluster.local,jitsi-agent-bridge,localhost,127.0.0.1,[::1]',
    });
    expect(config).not.toHaveProperty('BRIDGE_API_TOKEN');
    const env = deployment.spec.template.spec.containers[0].env.map((variable: any) => [variable.name, variable.valueFrom?.secretKeyRef?.key]);
    expect(env).toEqual([
      ['BRIDGE_API_TOKEN', 'AGENT_BRIDGE_TOKEN'],
      ['JWT_APP_SECRET', 'JWT_APP_SECRET'],
    ]);
    expect(kubernetes('staging', 'DopplerSecret', 'voice-agent-staging-jitsi-agent-bridge').spec.secrets).toEqual(['AGENT_BRIDGE_TOKEN', 'JWT_APP_SECRET']);
    const objects = [...files]
      .filter(([path]) => path === 'dist/kubernetes/staging/jitsi-agent-bridge.yaml')
      .flatMap(([file, text]) => parseAllDocuments(text).map((document) => ({ file, object: document.toJS() })));
    expect(await validateKubernetesObjects(objects)).toEqual([]);
  });

  it('Kubernetes: only the console gets in; out go jitsi-web, the TEN API and worker ports, the video bridge\'s media pods and the internet', () => {
    const policy = kubernetes('staging', 'NetworkPolicy', 'jitsi-agent-bridge');
    expect(policy.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'frontend' } } }], ports: [{ port: 8090, protocol: 'TCP' }] }]);
    expect(policy.spec.egress).toEqual([
      { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'jitsi-web' } } }], ports: [{ port: 8000, protocol: 'TCP' }] },
      {
        to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ten-agent' } } }],
        ports: [{ port: 8080, protocol: 'TCP' }, { port: 8800, endPort: 8804, protocol: 'TCP' }],
      },
      { to: [{ ipBlock: expect.objectContaining({ cidr: '0.0.0.0/0' }) }, { ipBlock: expect.objectContaining({ cidr: '::/0' }) }] },
      // Media to the advertised address lands on the video bridge's pods inside the cluster.
      { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'jitsi-jvb' } } }], ports: [{ port: 10000, protocol: 'UDP' }] },
    ]);
    // No disruption budget for one replica.
    expect(files.get('dist/kubernetes/staging/jitsi-agent-bridge.yaml')).not.toContain('PodDisruptionBudget');
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
      stop_grace_period: '40s',
      depends_on: { 'jitsi-web': { condition: 'service_healthy' }, 'ten-agent': { condition: 'service_healthy' } },
      volumes: [{ type: 'tmpfs', target: '/tmp', tmpfs: { mode: 0o1777 } }],
    });
    expect(service.ports).toBeUndefined();
    expect(service.environment).toMatchObject({
      TEN_WORKER_HOST: 'ten-agent',
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

  it('Railway: built from GitHub with its watch patterns, draining past the drain, worker host on the private network', () => {
    const graph = JSON.parse(files.get('dist/railway/staging.json') ?? '{}') as RailwayGraph;
    const node = graph.resources.find((resource) => resource.name === 'jitsi-agent-bridge') as any;
    expect(node.deploy.drainingSeconds).toBe(40);
    expect(node.deploy.healthcheckPath).toBe('/health');
    expect(node.build.watchPatterns).toEqual([
      '/package-lock.json',
      '/services/jitsi-agent-bridge/Dockerfile',
      '/services/jitsi-agent-bridge/package.json',
      '/services/jitsi-agent-bridge/src/**',
    ]);
    expect(node.variables.TEN_WORKER_HOST).toEqual({ type: 'literal', value: '${{ten-agent.RAILWAY_PRIVATE_DOMAIN}}' });
    expect(node.variables.JITSI_URL).toEqual({ type: 'literal', value: 'http://${{jitsi-web.RAILWAY_PRIVATE_DOMAIN}}:8000' });
    expect(node.variables.BRIDGE_API_TOKEN).toEqual({ type: 'sharedReference', name: 'AGENT_BRIDGE_TOKEN' });
    expect(files.get('.railway/railway.ts')).toContain('drainingSeconds: 40');
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
    expect(page).toContain('frontend -- "8090" --> jitsi_agent_bridge');
    expect(page).toContain('jitsi_agent_bridge -- "8080, 8800-8804" --> ten_agent');
    expect(page).toContain('jitsi_agent_bridge -- "8000" --> jitsi_web');
    expect(page).toContain('jitsi_agent_bridge -. "media, UDP 10000 (public address)" .-> jitsi_jvb');
    expect(page).toContain('| jitsi-agent-bridge | AGENT_BRIDGE_TOKEN, JWT_APP_SECRET |');
    expect(page).toContain('| frontend | AGENT_BRIDGE_TOKEN, CONSOLE_SESSION_SECRET, JWT_APP_SECRET, MCP_CONSOLE_TOKEN, OIDC_CLIENT_SECRET |');
  });

  it('lists its secrets, and the console\'s new one, for every target in dist/secrets', () => {
    for (const [environment, targets] of [['development', ['compose']], ['staging', ['kubernetes', 'railway']], ['production', ['kubernetes', 'railway']]] as const) {
      const secrets = JSON.parse(files.get(`dist/secrets/${environment}.json`) ?? '{}');
      expect(secrets.services['jitsi-agent-bridge'], environment).toEqual({ AGENT_BRIDGE_TOKEN: targets, JWT_APP_SECRET: targets });
      expect(secrets.services.frontend.AGENT_BRIDGE_TOKEN, environment).toEqual(targets);
    }
    expect(files.get('doppler.yaml')).toContain('path: services/jitsi-agent-bridge');
  });
});
