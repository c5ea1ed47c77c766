import { describe, expect, it } from 'vitest';
import {
  interpolate,
  Interpolation,
  secret,
  SecretRef,
  StackService,
  uniqueList,
  type StackServiceProps,
} from '../../constructs/index.ts';
import { specErrorOf, testEnvironment } from '../helpers/model.ts';

const environment = testEnvironment;
const failure = specErrorOf;

const base: StackServiceProps = { image: 'nginx:1.27.3-alpine' };

function circular(): object {
  const value: Record<string, unknown> = {};
  value['self'] = value;
  return value;
}

describe('StackService', () => {
  it('applies defaults and keeps the construct id as the service name', () => {
    const service = new StackService(environment(), 'web', base);
    expect(service.name).toBe('web');
    expect(service.data.replicas).toBe(1);
    expect(service.data.resources).toEqual({ cpuMillicores: 250, memoryMiB: 256 });
    expect(service.data.readOnlyRootFilesystem).toBe(true);
    expect(service.data.runAs).toEqual({ uid: 10001, gid: 10001 });
  });

  it.each<[string, StackServiceProps, string, string]>([
    ['no source', {}, 'image', 'exactly one of image'],
    ['two sources', { image: 'nginx:1.27.3', build: { context: 'services/api' } }, 'image', 'exactly one of image'],
    ['a floating tag', { image: 'nginx:stable' }, 'image', 'floating tag "stable"'],
    ['a port out of range', { ...base, ports: [{ port: 70000 }] }, 'ports[0].port', 'too big'],
    ['a duplicate port', { ...base, ports: [{ port: 80 }, { port: 80 }] }, 'ports[1]', 'declared twice'],
    ['an unknown field', { ...base, replica: 2 } as StackServiceProps, '', 'unknown field(s) "replica"'],
    ['a health check without a form', { ...base, healthCheck: {} }, 'healthCheck', 'at least one of http'],
    ['a health check on an undeclared port', { ...base, ports: [{ port: 80 }], healthCheck: { http: { path: '/', port: 81 } } }, 'healthCheck.http.port', 'not one of the service'],
    ['root', { ...base, runAs: { uid: 0, gid: 0 } }, 'runAs.uid', 'root'],
    ['a relative mount path', { ...base, volumes: [{ name: 'data', mountPath: 'data' }] }, 'volumes[0].mountPath', 'absolute path'],
    ['a build context outside the repository', { build: { context: '../elsewhere' } }, 'build.context', 'must not leave the repository'],
    ['a bad variable name', { ...base, env: { 'NOT-VALID': 'x' } }, 'env.NOT-VALID', 'not a valid environment variable name'],
    ['a non-string value', { ...base, env: { COUNT: 3 as unknown as string } }, 'env.COUNT', 'must be a string or a reference'],
    ['a secret name Doppler cannot store', { ...base, env: { KEY: secret('openai-key') } }, 'env.KEY', 'secret name "openai-key" must be upper snake case'],
    ['a port name used twice', { ...base, ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] }, 'ports[1].name', 'port name "http" is used twice'],
    [
      'a second public TCP port',
      { ...base, ports: [{ port: 80, exposure: 'public' }, { port: 443, exposure: 'public' }], healthCheck: { exec: ['true'] } },
      'ports[1]',
      'at most one public TCP port (its HTTPS entry point), got 80, 443',
    ],
    [
      'two volumes at one path',
      { ...base, volumes: [{ name: 'a', mountPath: '/data' }, { name: 'b', mountPath: '/data' }] },
      'volumes[1].mountPath',
      'two volumes are mounted at /data',
    ],
    ['metrics on an undeclared port', { ...base, ports: [{ port: 80 }], metrics: { port: 9100 } }, 'metrics.port', 'metrics port 9100 is not one of the service\'s TCP ports'],
    ['metrics on a UDP port', { ...base, ports: [{ port: 9100, protocol: 'udp' }], metrics: { port: 9100 } }, 'metrics.port', 'is not one of the service\'s TCP ports'],
    [
      'metrics on the public port',
      { ...base, ports: [{ port: 80, exposure: 'public' }], healthCheck: { exec: ['true'] }, metrics: { port: 80 } },
      'metrics.port',
      'metrics port 80 is public, and metrics must stay inside the network',
    ],
    ['a metrics path with a query', { ...base, ports: [{ port: 9100 }], metrics: { port: 9100, path: '/metrics?x=1' } }, 'metrics.path', 'must be an absolute URL path'],
    // Hostile variations: what used to crash synth or render something no target runs.
    ['props that are not an object', null as unknown as StackServiceProps, '', 'the props of a service must be an object'],
    ['env that is not an object', { ...base, env: 'MODE=fast' as unknown as Record<string, string> }, 'env', 'must be an object of variable name → value, got "MODE=fast"'],
    ['dependsOn that is not an array', { ...base, dependsOn: 'queue' as unknown as string[] }, 'dependsOn', 'must be an array of services or service names, got "queue"'],
    ['an undefined dependency', { ...base, dependsOn: [undefined as unknown as string] }, 'dependsOn[0]', 'got undefined (a service used before it was created'],
    ['an empty dependency name', { ...base, dependsOn: [''] }, 'dependsOn[0]', 'must be a service or the name of one, got ""'],
    ['a NUL byte in a variable', { ...base, env: { MODE: 'fast\0' } }, 'env.MODE', 'NUL byte'],
    ['a NUL byte in the command', { ...base, command: ['sh', '-c', 'true\0'] }, 'command[2]', 'NUL byte'],
    ['an empty program', { ...base, command: [''] }, 'command[0]', 'the program to run is empty'],
    ['a credential in the command', { ...base, command: ['run', '--token=ghp_0123456789abcdefghijABCDEFGHIJ012345'] }, 'command[1]', 'contains a GitHub token'],
    ['a credential in the health check', { ...base, healthCheck: { exec: ['curl', '-H', 'Authorization: Bearer Zq8Xv2Lm9Rt4Wn7Kp1Hs6Jd3Fg5Bc0Ya', 'http://127.0.0.1/'] } }, 'healthCheck.exec[2]', 'HTTP Bearer credential'],
    ['port 0', { ...base, ports: [{ port: 0 }] }, 'ports[0].port', 'too small'],
    ['port 65536', { ...base, ports: [{ port: 65536 }] }, 'ports[0].port', 'too big'],
    ['negative replicas', { ...base, replicas: -1 }, 'replicas', 'too small'],
    ['replicas that are not a number', { ...base, replicas: 10n as unknown as number }, 'replicas', 'received bigint, got 10n'],
    ['replicas that contain themselves', { ...base, replicas: circular() as unknown as number }, 'replicas', 'got an object that contains itself'],
    ['a hostPort on a private port', { ...base, ports: [{ port: 80, hostPort: 8080 }] }, 'ports[0].hostPort', "port 80/tcp is private; give it exposure: 'public' or drop hostPort"],
    ['a CPU limit below the request', { ...base, resources: { cpuMillicores: 2000, cpuLimitMillicores: 500, memoryMiB: 256 } }, 'resources.cpuLimitMillicores', 'below the CPU the service is guaranteed'],
    [
      'an HTTP health check on a UDP-only port',
      { ...base, ports: [{ port: 10000, protocol: 'udp' }], healthCheck: { http: { path: '/', port: 10000 } } },
      'healthCheck.http.port',
      'health check port 10000 is UDP only, and an HTTP health check needs a TCP listener',
    ],
    ['a health check path with a space', { ...base, ports: [{ port: 80 }], healthCheck: { http: { path: '/a b', port: 80 } } }, 'healthCheck.http.path', 'without spaces or control characters'],
    ['a volume over the whole file system', { ...base, volumes: [{ name: 'data', mountPath: '/' }] }, 'volumes[0].mountPath', 'must not be /'],
    ['a mount path that climbs out', { ...base, volumes: [{ name: 'data', mountPath: '/tmp/../etc' }] }, 'volumes[0].mountPath', 'normalized path'],
    ['two mount paths that differ by a slash', { ...base, volumes: [{ name: 'a', mountPath: '/data' }, { name: 'b', mountPath: '/data/' }] }, 'volumes[1].mountPath', 'normalized path'],
    ['an absolute Dockerfile', { build: { context: 'test/fixtures/build-context/api', dockerfile: '/etc/passwd' } }, 'build.dockerfile', 'relative path inside the repository'],
    ['a Dockerfile outside the repository', { build: { context: 'test/fixtures/build-context/api', dockerfile: '../../../../../etc/passwd' } }, 'build.dockerfile', 'must not leave the repository'],
    ['a singleton without a reason', { ...base, singleton: '' }, 'singleton', 'must say why the service runs one replica only'],
    ['a negative uid', { ...base, runAs: { uid: -5, gid: 1 } }, 'runAs.uid', 'must be 1 or more (0 is root), got -5'],
    ['UDP egress without internet egress', { ...base, udpEgress: 'media to a media server; fallback TURN over TCP' }, 'udpEgress', 'give the service egressToInternet: true as well'],
    ['UDP egress that says nothing', { ...base, egressToInternet: true, udpEgress: '' }, 'udpEgress', 'must say what the service sends over UDP'],
    ['a service outside the stack without internet egress', { ...base, externalServices: [{ name: 'Pipedream', protocol: 'HTTPS' }] }, 'externalServices', 'calling "Pipedream" is egress to the internet; give the service egressToInternet: true as well'],
    ['a service outside the stack without a name', { ...base, egressToInternet: true, externalServices: [{ name: ' ', protocol: 'HTTPS' }] }, 'externalServices[0].name', 'too small'],
    ['a port protocol over two lines', { ...base, ports: [{ port: 80, appProtocol: 'MCP\nover SSE' }] }, 'ports[0].appProtocol', 'one line of printable text'],
    ['a drain of no time', { ...base, drain: { seconds: 0 } }, 'drain.seconds', 'too small'],
    ['a fractional drain', { ...base, drain: { seconds: 2.5 } }, 'drain.seconds', 'expected int'],
    ['a negative drain margin', { ...base, drain: { seconds: 30, marginSeconds: -1 } }, 'drain.marginSeconds', 'too small'],
    ['an empty pre-stop program', { ...base, drain: { seconds: 30, preStop: [''] } }, 'drain.preStop[0]', 'the program to run is empty'],
    ['a credential in the pre-stop command', { ...base, drain: { seconds: 30, preStop: ['drain', '--token=ghp_0123456789abcdefghijABCDEFGHIJ012345'] } }, 'drain.preStop[1]', 'contains a GitHub token'],
    ['an unknown addressing', { ...base, addressing: 'pod' as never }, 'addressing', 'expected one of'],
    ['a readiness path with a space', { ...base, ports: [{ port: 80 }], healthCheck: { http: { path: '/health', readinessPath: '/re ady', port: 80 } } }, 'healthCheck.http.readinessPath', 'without spaces'],
    ['a peer port it does not declare', { ...base, ports: [{ port: 80 }], peerPorts: [81] }, 'peerPorts[0]', 'peer port 81 is not one of the service\'s TCP ports (80/tcp)'],
    [
      'replicas addressed one by one behind a public port',
      { ...base, addressing: 'replica', ports: [{ port: 80, exposure: 'public' }], healthCheck: { exec: ['true'] } },
      'ports[0]',
      "its replicas are addressed one by one (addressing: 'replica'), but public port 80/tcp would reach the service as a whole",
    ],
    [
      'replicas addressed one by one with a persistent volume',
      { ...base, addressing: 'replica', volumes: [{ name: 'tmp', mountPath: '/tmp' }, { name: 'data', mountPath: '/data', persistent: true }] },
      'volumes[1]',
      'persistent volume "data" would stay bound to a replica\'s name that scaling down removes',
    ],
    ['no replicas to address one by one', { ...base, addressing: 'replica', replicas: 0 }, 'replicas', "so it needs at least 1 replica: its clients list every replica's URL and would get none, got 0"],
    ['replicas addressed one by one, recreated', { ...base, addressing: 'replica', rollout: 'recreate' }, 'rollout', "such replicas are replaced one at a time (each drains while the others take new work); drop rollout: 'recreate'"],
  ])('rejects %s, naming the field', (_, props, field, message) => {
    const error = failure(() => new StackService(environment(), 'web', props));
    expect(error.location).toMatchObject({ environment: 'test', service: 'web' });
    if (field !== '') expect(error.location.field).toBe(field);
    expect(error.message).toContain(message);
    expect(error.message).toMatch(/^environment "test", service "web"/);
  });

  it('rejects names that are not DNS labels', () => {
    expect(failure(() => new StackService(environment(), 'Web_App', base)).message).toContain('lowercase DNS label');
  });

  it.each<[string, unknown, string]>([
    ['empty', '', 'service "", field "name": service name must be a lowercase DNS label of at most 32 characters, got ""'],
    ['with a slash (the constructs library would rewrite it)', 'api/v2', 'service "api/v2", field "name": service name must be a lowercase DNS label of at most 32 characters, got "api/v2"'],
    ['with a NUL byte', 'a\0b', 'service "a\\u0000b", field "name": service name must be a lowercase DNS label of at most 32 characters, got "a\\u0000b"'],
    ['not a string', 42, 'service "42", field "name": service name must be a lowercase DNS label of at most 32 characters, got 42'],
  ])('refuses a service name that is %s, before the constructs library sees it', (_, id, message) => {
    expect(failure(() => new StackService(environment(), id as string, base)).message).toBe(`environment "test", ${message}`);
  });

  it('shortens a very long name in the message', () => {
    const error = failure(() => new StackService(environment(), 'a'.repeat(300), base));
    expect(error.message).toContain('(300 characters)');
    expect(error.message.length).toBeLessThan(500);
  });

  it('refuses a second service with the same id in one scope, which the constructs library would throw on', () => {
    const env = environment();
    new StackService(env, 'api', base);
    const error = failure(() => new StackService(env, 'api', base));
    expect(error.message).toBe('environment "test", service "api", field "name": "test/api" is declared twice in the same scope; give each construct its own id');
  });

  it('refuses a service whose scope is no construct', () => {
    expect(failure(() => new StackService(undefined as never, 'api', base)).message).toBe(
      'service "api": "api" is not inside a StackEnvironment (its scope is undefined); create it under the environment your environment file builds',
    );
  });

  it('refuses more replicas than a singleton runs, from props or overrides', () => {
    const singleton = { ...base, singleton: 'it owns one lock file' };
    expect(new StackService(environment(), 'web', singleton).data.replicas).toBe(1);
    expect(failure(() => new StackService(environment(), 'web', { ...singleton, replicas: 2 })).message).toBe(
      'environment "test", service "web", field "replicas": it owns one lock file, so it must run 1 replica, got 2',
    );
    expect(failure(() => new StackService(environment({ overrides: { web: { replicas: 3 } } }), 'web', singleton)).location.field).toBe('replicas');
  });

  it('refuses a literal override of a variable built from secrets', () => {
    const env = environment({ overrides: { web: { env: { TOKENS: 'a:plain,b:text' } } } });
    const error = failure(() => new StackService(env, 'web', { ...base, env: { TOKENS: interpolate`a:${secret('A_TOKEN')},b:${secret('B_TOKEN')}` } }));
    expect(error.location.field).toBe('env.TOKENS');
    expect(error.message).toContain('literal value for a variable built from secrets (A_TOKEN, B_TOKEN)');
  });

  it('checks the literal parts of interpolations and lists like literals', () => {
    const interpolated = failure(() => new StackService(environment(), 'web', { ...base, env: { UPSTREAM: interpolate`https://bot:hunter2@${secret('HOST')}/` } }));
    expect(interpolated.message).toContain('contains a URL with a password');
    const listed = failure(() => new StackService(environment(), 'web', { ...base, env: { HOSTS: uniqueList(['a', 'x\0']) } }));
    expect(listed.message).toContain('NUL byte');
  });

  it('refuses references made by hand that no renderer could resolve', () => {
    const parts = failure(() => new StackService(environment(), 'web', { ...base, env: { X: new Interpolation(['a', {} as SecretRef]) } }));
    expect(parts.message).toContain('an interpolation part must be a string or a reference, got {}');
  });

  it('refuses to admit anything but a service to a port range', () => {
    const service = new StackService(environment(), 'web', { ...base, portRanges: [{ name: 'workers', start: 9000, end: 9001 }] });
    expect(failure(() => service.admitToPortRange('workers', undefined as never)).message).toContain('only a service can be admitted to port range "workers", got undefined');
  });

  it('applies environment overrides over the service description', () => {
    const env = environment({
      overrides: { web: { replicas: 3, env: { MODE: 'fast' }, resources: { cpuMillicores: 500, memoryMiB: 1024 } } },
    });
    const service = new StackService(env, 'web', { ...base, env: { MODE: 'slow', OTHER: 'kept' } });
    expect(service.data.replicas).toBe(3);
    expect(service.data.resources).toEqual({ cpuMillicores: 500, memoryMiB: 1024 });
    expect(service.env).toEqual({ MODE: 'fast', OTHER: 'kept' });
  });

  it('keeps an override when the service adds the same variable later', () => {
    const service = new StackService(environment({ overrides: { web: { env: { PUBLIC_URL: 'https://custom' } } } }), 'web', base);
    service.addEnv('PUBLIC_URL', 'https://default');
    service.addEnv('OTHER', 'added');
    expect(service.env['PUBLIC_URL']).toBe('https://custom');
    expect(service.env['OTHER']).toBe('added');
  });

  it('refuses to replace a declared secret with a literal when adding variables later', () => {
    const service = new StackService(environment(), 'web', { ...base, env: { API_KEY: secret('API_KEY') } });
    const error = failure(() => service.addEnv('API_KEY', 'changeme'));
    expect(error.location.field).toBe('env.API_KEY');
    expect(error.message).toContain('declared secret');
  });

  it('refuses a literal override of a variable declared secret', () => {
    const env = environment({ overrides: { web: { env: { API_KEY: 'plain' } } } });
    const error = failure(() => new StackService(env, 'web', { ...base, env: { API_KEY: secret('API_KEY') } }));
    expect(error.location.field).toBe('env.API_KEY');
    expect(error.message).toContain('declared secret');
  });

  it('refuses an image override on a service built from the repository', () => {
    const env = environment({ overrides: { web: { image: 'nginx:1.27.3' } } });
    const error = failure(() => new StackService(env, 'web', { build: { context: 'test/fixtures/build-context/api' } }));
    expect(error.location.field).toBe('image');
    expect(error.message).toContain('overrides.web.image would replace the image of a service built from this repository');
  });

  it('refuses invalid overrides when the environment is created', () => {
    const error = failure(() => environment({ overrides: { web: { replicas: -1 } } }));
    expect(error.location).toEqual({ environment: 'test', field: 'overrides.web.replicas' });
    expect(error.message).toContain('got -1');
  });

  it('lists the Doppler secrets it needs, including those inside interpolations', () => {
    const service = new StackService(environment(), 'web', {
      ...base,
      env: { A: secret('ZED'), B: interpolate`x-${secret('ALPHA')}-y`, C: 'plain' },
    });
    expect(service.secretNames).toEqual(['ALPHA', 'ZED']);
  });
});

describe('interpolate', () => {
  it('collapses literal-only templates to a string', () => {
    expect(interpolate`a-${'b'}-${3}`).toBe('a-b-3');
  });

  it('keeps references and merges neighbouring literals', () => {
    const value = interpolate`pre ${'fix'} ${secret('S')} post`;
    expect(value).toBeInstanceOf(Interpolation);
    const parts = (value as Interpolation).parts;
    expect(parts[0]).toBe('pre fix ');
    expect(parts[1]).toBeInstanceOf(SecretRef);
    expect(parts[2]).toBe(' post');
  });
});
