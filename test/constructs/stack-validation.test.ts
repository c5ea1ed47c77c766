import { describe, expect, it } from 'vitest';
import {
  dependenciesOf,
  findCycle,
  Postgres,
  Redis,
  SpecError,
  StackEnvironment,
  StackService,
  startOrder,
  validateEnvironment,
} from '../../constructs/index.ts';
import { specErrorOf, testEnvironment } from '../helpers/model.ts';

const image = 'nginx:1.27.3-alpine';

const environment = testEnvironment;
const validationError = (env: StackEnvironment): SpecError => specErrorOf(() => validateEnvironment(env));

describe('validateEnvironment', () => {
  it('accepts a consistent environment', () => {
    const env = environment();
    const db = new Postgres(env, 'postgres');
    new StackService(env, 'api', { image, env: { DATABASE_URL: db.connectionUrl } });
    expect(() => validateEnvironment(env)).not.toThrow();
  });

  it('derives dependencies from references and explicit names, and orders starts', () => {
    const env = environment();
    const db = new Postgres(env, 'postgres');
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
    const cache = new Redis(env, 'redis');
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

  it('refuses Jitsi images from Docker Hub', () => {
    const env = environment();
    new StackService(env, 'jitsi-web', { image: 'jitsi/web:stable-9955' });
    expect(validationError(env).message).toContain('moved to ghcr.io/jitsi/');
  });


});
