import { symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import {
  dependenciesOf,
  findCycle,
  interpolate,
  Postgres,
  PublicUrlRef,
  Redis,
  secret,
  ServiceEndpointRef,
  SpecError,
  StackEnvironment,
  StackService,
  startOrder,
  validateEnvironment,
} from '../../constructs/index.ts';
import { specErrorOf, testEnvironment } from '../helpers/model.ts';
import { POSTGRES_VERSION, REDIS_VERSION } from '../../environments/versions.ts';

const image = 'nginx:1.27.3-alpine';

const environment = testEnvironment;
const validationError = (env: StackEnvironment): SpecError => specErrorOf(() => validateEnvironment(env));

describe('validateEnvironment', () => {
  it('accepts a consistent environment', () => {
    const env = environment();
    const db = new Postgres(env, 'postgres', { version: POSTGRES_VERSION });
    new StackService(env, 'api', { image, env: { DATABASE_URL: db.connectionUrl } });
    expect(() => validateEnvironment(env)).not.toThrow();
  });

  it('derives dependencies from references and explicit names, and orders starts', () => {
    const env = environment();
    const db = new Postgres(env, 'postgres', { version: POSTGRES_VERSION });
    const cache = new StackService(env, 'cache', { image, ports: [{ port: 6000 }] });
    const api = new StackService(env, 'api', { image, env: { DB: db.connectionUrl, CACHE: cache.url(6000) }, dependsOn: ['worker'] });
    new StackService(env, 'worker', { image });
    expect(dependenciesOf(api).map((service) => service.name)).toEqual(['cache', 'postgres', 'worker']);
    const order = startOrder([api, ...dependenciesOf(api)]).map((service) => service.name);
    expect(order.indexOf('api')).toBe(3);
  });

  it('names a reference to a port the target does not declare', () => {
    const env = environment();
    const cache = new StackService(env, 'cache', { image, ports: [{ port: 6000 }] });
    new StackService(env, 'api', { image, env: { CACHE: cache.url(7000) } });
    const error = validationError(env);
    expect(error.location).toEqual({ environment: 'test', service: 'api', field: 'env.CACHE' });
    expect(error.message).toContain('port 7000 of "cache"');
  });

  it('names a reference to a service of another environment', () => {
    const other = environment();
    const foreign = new StackService(other, 'foreign', { image, ports: [{ port: 80 }] });
    const env = environment();
    new StackService(env, 'api', { image, env: { URL: foreign.url(80) } });
    expect(validationError(env).message).toContain('not part of this environment');
  });

  it('rejects an output a database does not have', () => {
    const env = environment();
    const cache = new Redis(env, 'redis', { version: REDIS_VERSION });
    new StackService(env, 'api', { image, env: { DB: cache.output('database') } });
    expect(validationError(env).message).toContain('redis has no "database" output');
  });

  it('refuses a build context or Dockerfile that does not exist', () => {
    const missing = environment();
    new StackService(missing, 'api', { build: { context: 'services/does-not-exist' } });
    expect(validationError(missing).location.field).toBe('build.context');
    const noDockerfile = environment();
    new StackService(noDockerfile, 'api', { build: { context: 'test/fixtures/build-context/api', dockerfile: 'Containerfile' } });
    const error = validationError(noDockerfile);
    expect(error.location.field).toBe('build.dockerfile');
    expect(error.message).toContain('"test/fixtures/build-context/api/Containerfile" does not exist');
  });

  it('finds the whole cycle', () => {
    const env = environment();
    const a = new StackService(env, 'a', { image, dependsOn: ['b'] });
    new StackService(env, 'b', { image, dependsOn: ['c'] });
    new StackService(env, 'c', { image, dependsOn: ['a'] });
    expect(findCycle([a])).toEqual(['a', 'b', 'c', 'a']);
    expect(validationError(env).message).toContain('a → b → c → a');
  });

  it('refuses a service depending on itself', () => {
    const env = environment();
    new StackService(env, 'a', { image, dependsOn: ['a'] });
    expect(validationError(env).message).toContain('cannot depend on itself');
  });

  it('refuses names in environment settings that match no service', () => {
    const env = environment({ overrides: { ghost: { replicas: 2 } } });
    new StackService(env, 'real', { image });
    const error = validationError(env);
    expect(error.location).toEqual({ environment: 'test', field: 'overrides.ghost' });
    expect(error.message).toContain('services are real');
  });

  it('refuses a dependency on a service scaled to zero, at the field that declares it', () => {
    const explicit = environment({ overrides: { queue: { replicas: 0 } } });
    new StackService(explicit, 'queue', { image });
    new StackService(explicit, 'worker', { image, dependsOn: ['queue'] });
    expect(validationError(explicit).message).toBe(
      'environment "test", service "worker", field "dependsOn[0]": depends on "queue", which runs 0 replicas, so it would wait for a service that never starts; give "queue" replicas, or scale "worker" to 0 too',
    );
    const bothOff = environment({ overrides: { queue: { replicas: 0 }, worker: { replicas: 0 } } });
    new StackService(bothOff, 'queue', { image });
    new StackService(bothOff, 'worker', { image, dependsOn: ['queue'] });
    expect(() => validateEnvironment(bothOff)).not.toThrow();
  });

  it('refuses a URL of a UDP-only port, and a public URL of a service without a public TCP port', () => {
    const udp = environment();
    const media = new StackService(udp, 'media', { image, ports: [{ port: 10000, protocol: 'udp' }] });
    new StackService(udp, 'api', { image, env: { MEDIA_URL: media.url(10000), MEDIA_HOST: media.host(10000) } });
    expect(validationError(udp).message).toContain('field "env.MEDIA_URL": refers to the URL of port 10000 of "media", which is UDP only');
    const noPublic = environment();
    const worker = new StackService(noPublic, 'worker', { image, ports: [{ port: 80 }] });
    new StackService(noPublic, 'api', { image, env: { WORKER_PUBLIC_URL: worker.publicUrl() } });
    expect(validationError(noPublic).message).toContain('refers to the public URL of "worker", which has no public TCP port');
  });

  it('refuses a URL scheme or path that would render a broken URL', () => {
    const env = environment();
    const cache = new StackService(env, 'cache', { image, ports: [{ port: 6000 }] });
    new StackService(env, 'api', { image, env: { CACHE: cache.url(6000, { path: 'no-slash' }) } });
    expect(validationError(env).message).toContain('has path "no-slash"; a path starts with /');
  });

  it('refuses references made by hand to something that is not a service', () => {
    const env = environment();
    new StackService(env, 'api', { image, env: { X: new ServiceEndpointRef(undefined as never, 80, 'url'), Y: new PublicUrlRef({} as never) } });
    expect(validationError(env).message).toContain('field "env.X": refers to an endpoint of undefined, which is not a service');
  });

  it('refuses a Dockerfile the build paths leave out, and an npm workspace that does not exist', () => {
    const uncovered = environment();
    new StackService(uncovered, 'api', { build: { context: 'test/fixtures/build-context/api', paths: ['test/fixtures/build-context/api/server.js'] } });
    const error = validationError(uncovered);
    expect(error.location.field).toBe('build.paths');
    expect(error.message).toContain('the Dockerfile "test/fixtures/build-context/api/Dockerfile" is not one of the build\'s paths');
    const workspace = environment();
    new StackService(workspace, 'api', { build: { context: 'test/fixtures/build-context/api', npmWorkspace: { path: 'services/nope' } } });
    expect(validationError(workspace).message).toContain('"services/nope" is not an npm workspace of the repository');
  });

  it('refuses a build context that is a link to outside the repository', () => {
    const link = join(REPO_ROOT, 'test/fixtures/build-context', `.outside-${process.pid}`);
    symlinkSync(tmpdir(), link);
    try {
      const env = environment();
      new StackService(env, 'api', { build: { context: relative(REPO_ROOT, link) } });
      expect(validationError(env).message).toContain('is a link to a place outside the repository');
    } finally {
      unlinkSync(link);
    }
  });

  it('checks what a host off Railway overrides even where Railway is not rendered', () => {
    const credential = environment({ railway: { project: 'voice-agent', offRailway: ['media'], offRailwayEnv: { media: { UPSTREAM: 'https://u:hunter2@x.example.com' } } } });
    new StackService(credential, 'media', { image });
    expect(validationError(credential).location).toEqual({ environment: 'test', service: 'media', field: 'railway.offRailwayEnv.media.UPSTREAM' });
    const builtFromSecrets = environment({ railway: { project: 'voice-agent', offRailway: ['media'], offRailwayEnv: { media: { TOKENS: 'a:b' } } } });
    new StackService(builtFromSecrets, 'media', { image, env: { TOKENS: interpolate`a:${secret('A_TOKEN')}` } });
    expect(validationError(builtFromSecrets).message).toContain('literal value for a variable built from secrets (A_TOKEN)');
  });

  it('refuses a public hostname for a service without a public port, and one hostname for two services', () => {
    const web = { image, ports: [{ port: 80, exposure: 'public' as const }], healthCheck: { exec: ['true'] } };
    const privateOne = environment({ publicHostnames: { api: 'api.example.com' } });
    new StackService(privateOne, 'api', { image, ports: [{ port: 80 }] });
    expect(validationError(privateOne).message).toBe(
      'environment "test", service "api", field "publicHostnames.api": "api" has no public TCP port, so no hostname would lead to it; give it a port with exposure: \'public\', or remove the entry',
    );
    const twice = environment({ domain: 'example.com', publicHostnames: { admin: 'web.example.com' } });
    new StackService(twice, 'web', web);
    new StackService(twice, 'admin', { ...web, ports: [{ port: 80, exposure: 'public', hostPort: 8081 }] });
    expect(validationError(twice).message).toContain('web.example.com would be the public hostname of both "web" and "admin"');
  });

  it('refuses a credential in a Kubernetes annotation, which is committed with the manifests', () => {
    const env = environment({ kubernetes: { ingressAnnotations: { 'nginx.ingress.kubernetes.io/auth-url': 'https://u:hunter2@auth.example.com' } } });
    expect(validationError(env).location.field).toBe('kubernetes.ingressAnnotations.nginx.ingress.kubernetes.io/auth-url');
  });


});
