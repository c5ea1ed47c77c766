import { RootConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  DatabaseOutputRef,
  dependenciesOf,
  findCycle,
  Interpolation,
  PublicUrlRef,
  SecretRef,
  ServiceEndpointRef,
  servicesOf,
  StackEnvironment,
  StackService,
  validateEnvironment,
  VoiceAgentStack,
  type VoiceAgentStackProps,
} from '../../constructs/index.ts';
import { specErrorOf } from '../helpers/model.ts';
import { JITSI_VERSION, POSTGRES_VERSION, REDIS_VERSION } from '../../environments/versions.ts';

const frontendProps = { oidcIssuer: 'https://auth.example.com/realms/voice-agent', oidcClientId: 'voice-console' };

function stack(props: Partial<VoiceAgentStackProps> = {}, overrides: Record<string, object> = {}) {
  const environment = new StackEnvironment(new RootConstruct(), 'test', {
    targets: ['compose'],
    domain: 'localhost',
    doppler: { project: 'voice-agent', config: 'dev' },
    overrides,
  });
  const voiceAgent = new VoiceAgentStack(environment, 'voice-agent', { jitsi: { version: JITSI_VERSION, advertiseIps: ['192.0.2.1'] }, postgres: { version: POSTGRES_VERSION }, redis: { version: REDIS_VERSION }, frontend: frontendProps, ...props });
  return { environment, voiceAgent, frontend: voiceAgent.frontend };
}

function endpoint(service: StackService, name: string): ServiceEndpointRef {
  const value = service.env[name];
  if (!(value instanceof ServiceEndpointRef)) throw new Error(`${service.name}.${name} is not an endpoint reference`);
  return value;
}

describe('Frontend (the voice console)', () => {
  it('is the stack\'s public front door on 3000, health-checked at /api/health over HTTP and from inside', () => {
    const { frontend } = stack();
    expect(frontend.name).toBe('frontend');
    expect(frontend.data.ports).toEqual([
      { name: 'http', port: 3000, protocol: 'tcp', exposure: 'public', appProtocol: 'voice console' },
      { name: 'metrics', port: 9464, protocol: 'tcp', exposure: 'private', appProtocol: 'Prometheus metrics' },
    ]);
    expect(frontend.data.metrics).toEqual({ port: 9464, path: '/metrics' });
    expect(frontend.publicHttpPort?.port).toBe(3000);
    expect(frontend.data.healthCheck?.http).toEqual({ path: '/api/health', port: 3000 });
    expect(frontend.data.healthCheck?.exec?.slice(0, 2)).toEqual(['node', '-e']);
    expect(frontend.data.healthCheck?.exec?.[2]).toContain("fetch('http://127.0.0.1:3000/api/health')");
    expect(frontend.env).toMatchObject({ PORT: '3000', METRICS_PORT: '9464', HOSTNAME: '::', LOG_LEVEL: 'info' });
  });

  it('is built from the repository root out of exactly the files of its image', () => {
    const { frontend } = stack();
    expect(frontend.data.image).toBeUndefined();
    expect(frontend.data.build).toEqual({
      context: '.',
      dockerfile: 'services/frontend/Dockerfile',
      // Its build installs the workspace's devDependencies (TypeScript, type definitions).
      npmWorkspace: { path: 'services/frontend', devDependencies: true },
      paths: [
        // The part of the root package.json npm reads for the workspace's install counts (charts/root-package-slice.ts).
        'package.json',
        'package-lock.json',
        'services/frontend/Dockerfile',
        'services/frontend/package.json',
        'services/frontend/next.config.ts',
        'services/frontend/tsconfig.json',
        'services/frontend/instrumentation.ts',
        'services/frontend/app',
        'services/frontend/components',
        'services/frontend/lib',
        'services/frontend/public',
      ],
    });
  });

  it('runs read-only as the node user, with writable /tmp and Next.js cache, and may call the internet', () => {
    const { frontend } = stack();
    expect(frontend.data.runAs).toEqual({ uid: 1000, gid: 1000 });
    expect(frontend.data.readOnlyRootFilesystem).toBe(true);
    expect(frontend.scratchVolumes.map((volume) => volume.mountPath)).toEqual(['/tmp', '/app/services/frontend/.next/cache']);
    expect(frontend.persistentVolumes).toEqual([]);
    expect(frontend.data.egressToInternet).toBe(true);
  });

  it('defaults to one replica of 250 millicores and 384 MiB, and takes both from its props', () => {
    expect(stack().frontend.data).toMatchObject({ replicas: 1, resources: { cpuMillicores: 250, memoryMiB: 384 } });
    const sized = stack({ frontend: { ...frontendProps, replicas: 2, resources: { cpuMillicores: 500, memoryMiB: 512 } } }).frontend;
    expect(sized.data).toMatchObject({ replicas: 2, resources: { cpuMillicores: 500, memoryMiB: 512 } });
  });

  it('reaches the MCP server and the Jitsi agent bridge by private endpoint references, and TEN only through the bridge', () => {
    const { frontend, voiceAgent } = stack();
    const mcp = endpoint(frontend, 'MCP_SERVER_URL');
    expect([mcp.service, mcp.port, mcp.form, mcp.path]).toEqual([voiceAgent.mcpServer, 8080, 'url', '/mcp']);
    const bridge = endpoint(frontend, 'AGENT_BRIDGE_URL');
    expect([bridge.service, bridge.port, bridge.form, bridge.path]).toEqual([voiceAgent.agentBridge, 8090, 'url', '']);
    expect(frontend.env).not.toHaveProperty('TEN_AGENT_URL');
    expect(frontend.env).not.toHaveProperty('TEN_AGENT_GRAPH');
  });

  it('knows its own public URL and Jitsi\'s, both as public references', () => {
    const { frontend, voiceAgent } = stack();
    const own = frontend.env['PUBLIC_URL'];
    expect(own).toBeInstanceOf(PublicUrlRef);
    expect((own as PublicUrlRef).service).toBe(frontend);
    const jitsi = frontend.env['JITSI_PUBLIC_URL'];
    expect(jitsi).toBeInstanceOf(PublicUrlRef);
    expect((jitsi as PublicUrlRef).service).toBe(voiceAgent.jitsi.web);
  });

  it('configures OpenID Connect from its props and reads every credential from Doppler', () => {
    const { frontend, voiceAgent } = stack();
    expect(frontend.env).toMatchObject({ OIDC_ISSUER: frontendProps.oidcIssuer, OIDC_CLIENT_ID: 'voice-console' });
    const secretOf = (service: StackService, name: string) => (service.env[name] as SecretRef).name;
    expect(secretOf(frontend, 'OIDC_CLIENT_SECRET')).toBe('OIDC_CLIENT_SECRET');
    expect(secretOf(frontend, 'SESSION_SECRET')).toBe('CONSOLE_SESSION_SECRET');
    // The very secrets the MCP server and prosody check the console's token and room tokens with.
    expect(secretOf(frontend, 'MCP_CONSOLE_TOKEN')).toBe('MCP_CONSOLE_TOKEN');
    expect(voiceAgent.mcpServer.secretNames).toContain('MCP_CONSOLE_TOKEN');
    expect(secretOf(frontend, 'JWT_APP_SECRET')).toBe(secretOf(voiceAgent.jitsi.prosody, 'JWT_APP_SECRET'));
    expect(secretOf(frontend, 'AGENT_BRIDGE_TOKEN')).toBe(secretOf(voiceAgent.agentBridge, 'BRIDGE_API_TOKEN'));
    expect(frontend.secretNames).toEqual(['AGENT_BRIDGE_TOKEN', 'CONSOLE_SESSION_SECRET', 'JWT_APP_SECRET', 'MCP_CONSOLE_TOKEN', 'OIDC_CLIENT_SECRET']);
    // Connection URLs are database outputs, whose passwords each target reads from Doppler in its own way.
    for (const [name, database] of [['DATABASE_URL', voiceAgent.postgres], ['REDIS_URL', voiceAgent.redis]] as const) {
      const ref = frontend.env[name];
      expect(ref, name).toBeInstanceOf(DatabaseOutputRef);
      expect([(ref as DatabaseOutputRef).database, (ref as DatabaseOutputRef).output], name).toEqual([database, 'url']);
    }
  });

  it('signs room tokens with the claims prosody checks, read from the JitsiMeet construct', () => {
    const { frontend, voiceAgent } = stack();
    expect(frontend.env).toMatchObject({ JITSI_JWT_APP_ID: 'voice-agent', JITSI_JWT_AUDIENCE: 'voice-agent', JITSI_JWT_SUBJECT: 'meet.jitsi' });
    expect(frontend.env['JITSI_JWT_SUBJECT']).toBe(voiceAgent.jitsi.prosody.env['XMPP_DOMAIN']);
    const custom = stack({ jitsi: { version: JITSI_VERSION, advertiseIps: ['192.0.2.1'], jwtAppId: 'acme-meet', jwtAcceptedAudiences: ['acme-console', 'acme-other'] } });
    expect(custom.frontend.env).toMatchObject({ JITSI_JWT_APP_ID: 'acme-meet', JITSI_JWT_AUDIENCE: 'acme-console' });
    expect(custom.voiceAgent.jitsi.prosody.env).toMatchObject({ JWT_APP_ID: 'acme-meet', JWT_ACCEPTED_AUDIENCES: 'acme-console,acme-other' });
  });

  it('depends on the services it connects to, and on Jitsi in neither direction', () => {
    const { environment, frontend } = stack();
    expect(dependenciesOf(frontend).map((service) => service.name)).toEqual(['jitsi-agent-bridge', 'mcp-server', 'postgres', 'redis']);
    const web = servicesOf(environment).find((service) => service.name === 'jitsi-web') as StackService;
    expect(dependenciesOf(web).map((service) => service.name)).toEqual(['jitsi-prosody']);
    expect(findCycle(servicesOf(environment))).toBeUndefined();
    expect(() => validateEnvironment(environment)).not.toThrow();
  });

  it('lets the console embed Jitsi: jitsi-web\'s frame-ancestors gains its public URL by reference', () => {
    const { frontend, voiceAgent } = stack();
    const csp = voiceAgent.jitsi.web.env['CSP_HEADER'];
    expect(csp).toBeInstanceOf(Interpolation);
    const parts = (csp as Interpolation).parts;
    expect(parts[0]).toBe("frame-ancestors 'self' ");
    expect(parts[1]).toBeInstanceOf(PublicUrlRef);
    expect((parts[1] as PublicUrlRef).service).toBe(frontend);
    expect(parts).toHaveLength(2);
    // Configured sources stay first.
    const custom = stack({ jitsi: { version: JITSI_VERSION, advertiseIps: ['192.0.2.1'], frameAncestors: 'https://partner.example.com' } });
    expect((custom.voiceAgent.jitsi.web.env['CSP_HEADER'] as Interpolation).parts[0]).toBe('frame-ancestors https://partner.example.com ');
  });

  it('keeps an environment\'s CSP_HEADER override over the embedding it adds', () => {
    const { voiceAgent } = stack({}, { 'jitsi-web': { env: { CSP_HEADER: "frame-ancestors 'none'" } } });
    expect(voiceAgent.jitsi.web.env['CSP_HEADER']).toBe("frame-ancestors 'none'");
  });

  it('refuses to allow embedding by a service browsers cannot load', () => {
    const { environment, voiceAgent } = stack();
    const worker = new StackService(environment, 'worker', { image: 'nginx:1.27.3-alpine', ports: [{ port: 9000 }] });
    const error = specErrorOf(() => voiceAgent.jitsi.allowEmbeddingBy(worker));
    expect(error.location).toEqual({ environment: 'test', service: 'jitsi-web', field: 'env.CSP_HEADER' });
    expect(error.message).toContain('"worker" has no public HTTP port');
  });

  it.each([
    ['auth.example.com/realms/voice-agent', 'is not a URL'],
    ['ftp://auth.example.com/realms/voice-agent', 'must be an http(s) URL'],
    ['https://auth.example.com/realms/voice-agent?tenant=1', 'must not have a query or fragment'],
  ])('refuses the OIDC issuer %s, naming the field', (oidcIssuer, problem) => {
    const error = specErrorOf(() => stack({ frontend: { ...frontendProps, oidcIssuer } }));
    expect(error.location).toEqual({ environment: 'test', service: 'frontend', field: 'env.OIDC_ISSUER' });
    expect(error.message).toContain(problem);
  });

  it('refuses an empty OIDC client id', () => {
    const error = specErrorOf(() => stack({ frontend: { ...frontendProps, oidcClientId: ' ' } }));
    expect(error.location.field).toBe('env.OIDC_CLIENT_ID');
  });

  it('refuses a literal over one of its secrets', () => {
    const error = specErrorOf(() => stack({}, { frontend: { env: { SESSION_SECRET: 'changeme' } } }));
    expect(error.location).toEqual({ environment: 'test', service: 'frontend', field: 'env.SESSION_SECRET' });
    expect(error.message).toContain('secret("CONSOLE_SESSION_SECRET")');
  });
});
