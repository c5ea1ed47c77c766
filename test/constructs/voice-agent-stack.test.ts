import { RootConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  JitsiMeet,
  parseImage,
  PublicUrlRef,
  SecretRef,
  ReplicaNameRef,
  ServiceEndpointRef,
  servicesOf,
  StackEnvironment,
  TenAgent,
  VoiceAgentStack,
  type StackService,
  type VoiceAgentStackProps,
} from '../../constructs/index.ts';
import { JITSI_VERSION, POSTGRES_VERSION, REDIS_VERSION } from '../../environments/versions.ts';
import { specErrorOf } from '../helpers/model.ts';

function stack(overrides: Record<string, object> = {}, props: Partial<VoiceAgentStackProps> = {}) {
  const environment = new StackEnvironment(new RootConstruct(), 'test', {
    targets: ['compose'],
    domain: 'localhost',
    doppler: { project: 'voice-agent', config: 'dev' },
    overrides,
  });
  const voiceAgent = new VoiceAgentStack(environment, 'voice-agent', {
    jitsi: { version: JITSI_VERSION, advertiseIps: ['192.0.2.1'] },
    postgres: { version: POSTGRES_VERSION },
    redis: { version: REDIS_VERSION },
    frontend: { oidcIssuer: 'https://auth.example.com/realms/voice-agent', oidcClientId: 'voice-console' },
    ...props,
  });
  return { environment, voiceAgent };
}

function secretsOf(service: StackService): string[] {
  return Object.values(service.env).filter((value): value is SecretRef => value instanceof SecretRef).map((ref) => ref.name).sort();
}

describe('VoiceAgentStack', () => {
  it('declares the shared databases, the four Jitsi components, the MCP server, the TEN agent, the Jitsi agent bridge and the console', () => {
    const { environment } = stack();
    expect(servicesOf(environment).map((service) => service.name).sort()).toEqual([
      'frontend',
      'jitsi-agent-bridge',
      'jitsi-jicofo',
      'jitsi-jvb',
      'jitsi-prosody',
      'jitsi-web',
      'mcp-server',
      'postgres',
      'redis',
      'ten-agent',
    ]);
  });

  it('runs every Jitsi component from ghcr.io/jitsi at the one pinned version', () => {
    const { voiceAgent } = stack();
    const images = voiceAgent.jitsi.services.map((service) => parseImage(service.data.image ?? ''));
    expect(images.map((image) => image?.repository)).toEqual(['ghcr.io/jitsi/prosody', 'ghcr.io/jitsi/jicofo', 'ghcr.io/jitsi/jvb', 'ghcr.io/jitsi/web']);
    expect(new Set(images.map((image) => image?.tag))).toEqual(new Set([JITSI_VERSION]));
    expect(JITSI_VERSION).toMatch(/^stable-\d+(-\d+)?$/);
  });

  it('runs the releases its props name, which environment files take from versions.ts', () => {
    const { voiceAgent } = stack({}, {
      jitsi: { version: 'stable-10978', advertiseIps: ['192.0.2.1'] },
      postgres: { version: '17.6-alpine' },
      redis: { version: '7.4.5-alpine' },
    });
    expect(voiceAgent.jitsi.services.map((service) => service.data.image)).toEqual(['prosody', 'jicofo', 'jvb', 'web'].map((component) => `ghcr.io/jitsi/${component}:stable-10978`));
    expect(voiceAgent.postgres.data.image).toBe('postgres:17.6-alpine');
    expect(voiceAgent.redis.data.image).toBe('redis:7.4.5-alpine');
  });

  it('requires a JWT for every room, with explicit issuers and audiences', () => {
    const { voiceAgent } = stack();
    const { prosody, web, jicofo } = voiceAgent.jitsi;
    for (const service of [prosody, web, jicofo]) {
      expect(service.env).toMatchObject({ ENABLE_AUTH: '1', AUTH_TYPE: 'jwt', ENABLE_GUESTS: '0' });
    }
    expect(prosody.env).toMatchObject({ JWT_APP_ID: 'voice-agent', JWT_ACCEPTED_ISSUERS: 'voice-agent', JWT_ACCEPTED_AUDIENCES: 'voice-agent', JWT_ALLOW_EMPTY: '0' });
  });

  it('gives each secret only to the components that need it', () => {
    const { voiceAgent } = stack();
    const { prosody, web, jicofo, jvb } = voiceAgent.jitsi;
    expect(secretsOf(prosody)).toEqual(['JICOFO_AUTH_PASSWORD', 'JVB_AUTH_PASSWORD', 'JWT_APP_SECRET']);
    expect(secretsOf(jicofo)).toEqual(['JICOFO_AUTH_PASSWORD']);
    expect(secretsOf(jvb)).toEqual(['JVB_AUTH_PASSWORD']);
    // The web component never sees JWT_APP_SECRET.
    expect(secretsOf(web)).toEqual([]);
  });

  it('terminates TLS in front of Jitsi web and wires XMPP by service discovery', () => {
    const { voiceAgent } = stack();
    const { prosody, web, jicofo, jvb } = voiceAgent.jitsi;
    expect(web.env).toMatchObject({ DISABLE_HTTPS: '1', ENABLE_HTTP_REDIRECT: '0', ENABLE_LETSENCRYPT: '0' });
    const bosh = web.env['XMPP_BOSH_URL_BASE'];
    expect(bosh).toBeInstanceOf(ServiceEndpointRef);
    expect((bosh as ServiceEndpointRef).service).toBe(prosody);
    expect((bosh as ServiceEndpointRef).port).toBe(5280);
    for (const service of [jicofo, jvb]) {
      const server = service.env['XMPP_SERVER'] as ServiceEndpointRef;
      expect(server.service).toBe(prosody);
      expect(server.form).toBe('host');
    }
    expect(prosody.env['PUBLIC_URL']).toBeInstanceOf(PublicUrlRef);
    expect(web.findPort(8000)?.exposure).toBe('public');
  });

  it('falls back to BOSH where the public URL is plain HTTP', () => {
    expect(stack().voiceAgent.jitsi.web.env['ENABLE_XMPP_WEBSOCKET']).toBe('1');
    const local = stack({}, { jitsi: { version: JITSI_VERSION, advertiseIps: ['127.0.0.1'], xmppWebSocket: false } });
    expect(local.voiceAgent.jitsi.web.env['ENABLE_XMPP_WEBSOCKET']).toBe('0');
  });

  it('checks jicofo on /about/version, which answers without a bridge (unlike /about/health)', () => {
    expect(stack().voiceAgent.jitsi.jicofo.data.healthCheck?.http).toEqual({ path: '/about/version', port: 8888 });
  });

  it('replaces single-process services by stopping them first, and rolls the voice tier, which drains', () => {
    const { voiceAgent } = stack();
    expect(voiceAgent.jitsi.prosody.data.rollout).toBe('recreate');
    expect(voiceAgent.jitsi.jicofo.data.rollout).toBe('recreate');
    expect(voiceAgent.jitsi.web.data.rollout).toBe('rolling');
    for (const service of [voiceAgent.tenAgent, voiceAgent.agentBridge, voiceAgent.mcpServer]) {
      expect(service.data.rollout, service.name).toBe('rolling');
      expect(service.data.drain?.seconds, service.name).toBeGreaterThanOrEqual(1800);
    }
  });

  it('keeps the MCP server\'s SSE streams through a drain: its stop grace covers them, then its tool calls, then a margin', () => {
    const mcp = stack().voiceAgent.mcpServer;
    expect(mcp.env).toMatchObject({ SSE_DRAIN_TIMEOUT_SECONDS: '1800', SHUTDOWN_TIMEOUT_MS: '15000' });
    expect(mcp.data.drain).toEqual({ seconds: 1815, marginSeconds: 10 });
    expect(mcp.stopGracePeriodSeconds).toBe(1825);
    const short = stack({}, { mcpServer: { sseDrainTimeoutSeconds: 30 } }).voiceAgent.mcpServer;
    expect(short.env['SSE_DRAIN_TIMEOUT_SECONDS']).toBe('30');
    expect(short.stopGracePeriodSeconds).toBe(55);
  });

  it('exposes the bridge on public UDP 10000 with the advertised addresses', () => {
    const { voiceAgent } = stack();
    const { jvb } = voiceAgent.jitsi;
    expect(jvb.findPort(10000)).toMatchObject({ protocol: 'udp', exposure: 'public' });
    expect(jvb.env['JVB_ADVERTISE_IPS']).toBe('192.0.2.1');
  });

  it('checks prosody health without /health, which refuses remote callers', () => {
    const { voiceAgent } = stack();
    expect(voiceAgent.jitsi.prosody.data.healthCheck?.http?.path).toBe('/http-bind');
    expect(voiceAgent.jitsi.jvb.data.healthCheck?.http).toEqual({ path: '/about/health', port: 8080 });
  });

  it("turns on prosody's metrics at /metrics on its HTTP port, for any address the network lets through unless told a block", () => {
    const prosody = stack().voiceAgent.jitsi.prosody;
    expect(prosody.data.metrics).toEqual({ port: 5280, path: '/metrics' });
    expect(prosody.env).toMatchObject({ PROSODY_ENABLE_METRICS: 'true', PROSODY_METRICS_ALLOWED_CIDR: '0.0.0.0/0' });
    const narrowed = stack({}, { jitsi: { version: JITSI_VERSION, advertiseIps: ['192.0.2.1'], prosodyMetricsAllowedCidr: '10.0.0.0/8' } }).voiceAgent.jitsi.prosody;
    expect(narrowed.env['PROSODY_METRICS_ALLOWED_CIDR']).toBe('10.0.0.0/8');
  });

  it('builds the TEN agent from services/ten-agent: private API, worker port range, amd64, one replica', () => {
    const { voiceAgent } = stack();
    const agent = voiceAgent.tenAgent;
    expect(agent.data.image).toBeUndefined();
    expect(agent.data.build).toMatchObject({ context: 'services/ten-agent', dockerfile: 'Dockerfile', paths: ['services/ten-agent/Dockerfile', 'services/ten-agent/drain', 'services/ten-agent/telemetry', 'services/ten-agent/tenapp'] });
    expect(agent.data.platform).toBe('linux/amd64');
    expect(agent.publicPorts).toEqual([]);
    // The stock image's playground (3000) is gone.
    expect(agent.data.ports.map((port) => port.port)).toEqual([8080, 9464]);
    // TEN's metrics, through the collector in the image, on a listener of their own that only Prometheus may reach.
    expect(agent.data.metrics).toEqual({ port: 9464, path: '/metrics' });
    expect(agent.clientPorts.map((port) => port.port)).toEqual([8080]);
    expect(agent.env['TEN_METRICS_PORT']).toBe('9464');
    expect(agent.data.portRanges).toEqual([{ name: 'workers', start: 8800, end: 8809, appProtocol: 'WebSocket (session audio and messages)' }]);
    expect(agent.data.healthCheck?.http).toEqual({ path: '/health', port: 8080 });
    expect(agent.env).toMatchObject({ SERVER_PORT: '8080', LOG_PATH: '/var/log/ten_agent', WORKER_QUIT_TIMEOUT_SECONDS: '60', WORKERS_MAX: '10' });
    expect(agent.env).not.toHaveProperty('PORT');
    // AGORA_APP_ID is a fixed placeholder now, not a secret anyone must invent.
    expect(agent.env['AGORA_APP_ID']).toBe('unused-websocket-transport-00000');
    expect(secretsOf(agent)).toEqual(['DEEPGRAM_API_KEY', 'ELEVENLABS_TTS_KEY', 'OPENAI_API_KEY']);
    // LOG_PATH lives on a writable volume.
    expect(agent.data.volumes.some((volume) => volume.mountPath === '/var/log/ten_agent')).toBe(true);
  });

  it('sizes the worker port range from workersMax and refuses more sessions than the image exposes ports', () => {
    expect(stack({}, { tenAgent: { workersMax: 2 } }).voiceAgent.tenAgent.data.portRanges[0]).toEqual({ name: 'workers', start: 8800, end: 8801, appProtocol: 'WebSocket (session audio and messages)' });
    expect(stack({}, { tenAgent: { workersMax: 100 } }).voiceAgent.tenAgent.data.portRanges[0]?.end).toBe(8899);
    expect(() => stack({}, { tenAgent: { workersMax: 101 } })).toThrow(/service "ten-agent", field "workersMax": must be an integer from 1 to 100.*got 101/);
    expect(() => stack({}, { tenAgent: { workersMax: 0 } })).toThrow(/field "workersMax"/);
  });

  it('gives the bridge, which starts the sessions, the graph name /start must use', () => {
    expect(stack().voiceAgent.agentBridge.env['TEN_AGENT_GRAPH']).toBe('voice_agent');
  });

  it('adds extra TEN agent variables, but never a literal over one of its secrets', () => {
    const { voiceAgent } = stack({}, { tenAgent: { env: { OPENAI_MODEL: 'gpt-4.1', EXTRA: 'yes' } } });
    expect(voiceAgent.tenAgent.env).toMatchObject({ OPENAI_MODEL: 'gpt-4.1', EXTRA: 'yes' });
    expect(() => stack({}, { tenAgent: { env: { OPENAI_API_KEY: 'changeme' } } })).toThrow(/env\.OPENAI_API_KEY.*declared secret/);
  });

  it('runs TEN agent replicas addressed one by one, each draining and marking itself in Redis, listed to the bridge in order', () => {
    const { voiceAgent } = stack({}, { tenAgent: { replicas: 2 } });
    const agent = voiceAgent.tenAgent;
    expect(agent.data).toMatchObject({ replicas: 2, addressing: 'replica', rollout: 'rolling' });
    expect(agent.data.drain).toEqual({ seconds: 1800, marginSeconds: 30, preStop: ['python3', '/app/drain/ten_drain.py', 'drain'] });
    expect(agent.env['DRAIN_TIMEOUT_SECONDS']).toBe('1800');
    expect(agent.env['REPLICA_NAME']).toBeInstanceOf(ReplicaNameRef);
    expect(agent.env['REDIS_URL']).toMatchObject({ database: voiceAgent.redis, output: 'url' });
    expect(agent.apiUrls.map((url) => [url.replica, url.port])).toEqual([[0, 8080], [1, 8080]]);
    // Overrides scale it too, and the bridge lists what the environment runs.
    expect(stack({ 'ten-agent': { replicas: 3 } }).voiceAgent.agentBridge.env['TEN_AGENT_URLS']).toMatchObject({ items: [{ replica: 0 }, { replica: 1 }, { replica: 2 }] });
    expect(() => stack({}, { tenAgent: { replicas: 21 } })).toThrow(/service "ten-agent", field "replicas": too big/);
    // Alone (as a test builds it), it needs Redis for more than one replica: the bridge reads the drain marks there.
    const alone = new StackEnvironment(new RootConstruct(), 'alone', { targets: ['compose'], domain: 'localhost', doppler: { project: 'voice-agent', config: 'dev' } });
    expect(specErrorOf(() => new TenAgent(alone, 'ten-agent', { replicas: 2 })).message).toBe(
      'environment "alone", service "ten-agent", field "redis": 2 replicas need Redis: a draining replica marks itself there, or the bridge would keep placing rooms on it',
    );
    expect(new TenAgent(alone, 'one', { replicas: 1 }).env).not.toHaveProperty('REDIS_URL');
  });

  it.each(['postgres', 'redis', 'jitsi-prosody', 'jitsi-jicofo', 'jitsi-jvb'])('refuses a second replica of %s, which can only run as one', (name) => {
    const error = specErrorOf(() => stack({ [name]: { replicas: 2 } }));
    expect(error.location).toEqual({ environment: 'test', service: name, field: 'replicas' });
    expect(error.message).toMatch(/, so it must run 1 replica, got 2$/);
  });

  it('lets the stateless components scale', () => {
    const { voiceAgent } = stack({ 'jitsi-web': { replicas: 3 }, 'mcp-server': { replicas: 3 }, frontend: { replicas: 3 } });
    expect(voiceAgent.jitsi.web.data.replicas).toBe(3);
  });

  it('compares the Jitsi components by their role, whatever registry each comes from', () => {
    const mirror = (component: string, tag: string) => `registry.example.com/mirror/jitsi-${component}:${tag}`;
    const mirrored = stack({ 'jitsi-web': { image: mirror('web', JITSI_VERSION) }, 'jitsi-jvb': { image: mirror('jvb', JITSI_VERSION) } });
    expect(mirrored.voiceAgent.jitsi.web.data.image).toBe(mirror('web', JITSI_VERSION));
    expect(specErrorOf(() => stack({ 'jitsi-jicofo': { image: mirror('jicofo', 'stable-10978') } })).message).toBe(
      `environment "test", service "jitsi-jicofo", field "image": Jitsi components must run one version: "jitsi-jicofo" uses stable-10978 but "jitsi-prosody" uses ${JITSI_VERSION}`,
    );
    // Jitsi no longer publishes to Docker Hub's jitsi/*: an override naming it is refused at the component.
    const dockerHub = specErrorOf(() => stack({ 'jitsi-web': { image: `jitsi/web:${JITSI_VERSION}` } }));
    expect(dockerHub.location).toEqual({ environment: 'test', service: 'jitsi-web', field: 'image' });
    expect(dockerHub.message).toContain('Jitsi images moved to ghcr.io/jitsi/* in stable-11146; use ghcr.io/jitsi/web');
    const digestOnly = specErrorOf(() => stack({ 'jitsi-web': { image: `ghcr.io/jitsi/web@sha256:${'a'.repeat(64)}` } }));
    expect(digestOnly.message).toContain('Jitsi images need their release tag (stable-NNNN), with or without a digest');
    expect(() => stack({ 'jitsi-web': { image: `ghcr.io/jitsi/web:${JITSI_VERSION}@sha256:${'a'.repeat(64)}` } })).not.toThrow();
  });

  it.each<[string, Partial<VoiceAgentStackProps>, string]>([
    ['a hostname as the video bridge address', { jitsi: { version: JITSI_VERSION, advertiseIps: ['meet.example.com'] } }, 'construct "voice-agent/jitsi", field "advertiseIps[0]": must be an IP address'],
    ['no video bridge address', { jitsi: { version: JITSI_VERSION, advertiseIps: [] } }, 'construct "voice-agent/jitsi", field "advertiseIps": give the public IP address(es)'],
    ['addresses given as one string', { jitsi: { version: JITSI_VERSION, advertiseIps: '192.0.2.1' as unknown as string[] } }, 'construct "voice-agent/jitsi", field "advertiseIps": invalid input: expected array, received string'],
    ['an empty audience list, which prosody reads as "any"', { jitsi: { version: JITSI_VERSION, advertiseIps: ['192.0.2.1'], jwtAcceptedAudiences: [] } }, 'field "jwtAcceptedAudiences": give at least one audience'],
    ['an issuer with a comma, which splits it in two', { jitsi: { version: JITSI_VERSION, advertiseIps: ['192.0.2.1'], jwtAcceptedIssuers: ['a,b'] } }, 'field "jwtAcceptedIssuers[0]": must be a non-empty value without spaces or commas'],
    ['an unknown time zone', { jitsi: { version: JITSI_VERSION, advertiseIps: ['192.0.2.1'], timeZone: 'Mars/Olympus' } }, 'field "timeZone": must be an IANA time zone'],
    ['an address where prosody takes a block', { jitsi: { version: JITSI_VERSION, advertiseIps: ['192.0.2.1'], prosodyMetricsAllowedCidr: '10.0.0.1' } }, 'field "prosodyMetricsAllowedCidr": must be an IPv4 block such as 10.0.0.0/8'],
    ['a resources key that names no component', { jitsi: { version: JITSI_VERSION, advertiseIps: ['192.0.2.1'], resources: { bridge: { cpuMillicores: 100, memoryMiB: 64 } } as never } }, 'field "resources": unknown field(s) "bridge"'],
    ['no Jitsi settings at all', { jitsi: undefined as never }, 'construct "voice-agent", field "jitsi": must be an object'],
    ['TEN agent variables that are not an object', { tenAgent: { env: 'EXTRA=yes' as never } }, 'construct "voice-agent", field "tenAgent.env": must be an object, got "EXTRA=yes"'],
    ['a vendor the graph does not know', { tenAgent: { vendors: { stt: 'whisper' as never } } }, 'service "ten-agent", field "vendors.stt": invalid input: expected "deepgram", got "whisper"'],
    ['a fractional workersMax, checked before it sizes the port range', { tenAgent: { workersMax: 1.5 } }, 'service "ten-agent", field "workersMax": must be an integer from 1 to 100'],
    ['an empty model name', { tenAgent: { model: '' } }, 'service "ten-agent", field "model": must not be empty'],
    ['a language that is no language tag', { tenAgent: { language: 'english please' } }, 'service "ten-agent", field "language": must be a language tag such as en-US'],
    ['a database name that would break the connection URL', { postgres: { version: POSTGRES_VERSION, database: "app'; drop" } }, 'service "postgres", field "database": must be a lowercase PostgreSQL identifier'],
    ['a user with URL syntax in it', { postgres: { version: POSTGRES_VERSION, user: 'u@x:y' } }, 'service "postgres", field "user": must be a lowercase PostgreSQL identifier'],
    ['no storage', { redis: { version: REDIS_VERSION, storageGiB: 0 } }, 'service "redis", field "storageGiB": too small'],
    ['no Jitsi version', { jitsi: { advertiseIps: ['192.0.2.1'] } as never }, 'construct "voice-agent/jitsi", field "version": invalid input: expected string, received undefined'],
    ['a floating Jitsi version, refused at the first image it makes', { jitsi: { version: 'stable', advertiseIps: ['192.0.2.1'] } }, 'service "jitsi-prosody", field "image": image "ghcr.io/jitsi/prosody:stable" uses the floating tag "stable"'],
    ['no Postgres version', { postgres: {} as never }, 'service "postgres", field "version": invalid input: expected string, received undefined'],
    ['a Redis version that is no image tag', { redis: { version: '8:alpine' } }, 'service "redis", field "version": must be an image tag such as 18.4-alpine (letters, digits, _, . and -), got "8:alpine"'],
    ['a Pipedream environment that does not exist', { mcpServer: { pipedreamEnvironment: 'staging' as never } }, 'service "mcp-server", field "pipedreamEnvironment": invalid option'],
    ['an issuer that is not a string', { frontend: { oidcIssuer: 5 as never, oidcClientId: 'voice-console' } }, 'service "frontend", field "oidcIssuer": invalid input: expected string, received number, got 5'],
  ])('refuses %s, at the construct that reads it', (_, props, message) => {
    expect(specErrorOf(() => stack({}, props)).message).toContain(message);
  });

  it('refuses a second stack part under one id, which the constructs library would throw on', () => {
    const { environment } = stack();
    const error = specErrorOf(() => new JitsiMeet(environment.node.findChild('voice-agent'), 'jitsi', { version: JITSI_VERSION, advertiseIps: ['192.0.2.1'] }));
    expect(error.message).toBe('environment "test", construct "voice-agent/jitsi", field "id": "test/voice-agent/jitsi" is declared twice in the same scope; give each construct its own id');
  });
});
