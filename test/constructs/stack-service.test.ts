import { describe, expect, it } from 'vitest';
import {
  interpolate,
  Interpolation,
  secret,
  SecretRef,
  StackService,
  type StackServiceProps,
} from '../../constructs/index.ts';
import { specErrorOf, testEnvironment } from '../helpers/model.ts';

const environment = testEnvironment;
const failure = specErrorOf;

const base: StackServiceProps = { image: 'nginx:1.27.3-alpine' };

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
    ['a port out of range', { ...base, ports: [{ port: 70000 }] }, 'ports.0.port', 'too big'],
    ['a duplicate port', { ...base, ports: [{ port: 80 }, { port: 80 }] }, 'ports[1]', 'declared twice'],
    ['an unknown field', { ...base, replica: 2 } as StackServiceProps, '', 'unknown field(s) "replica"'],
    ['a health check without a form', { ...base, healthCheck: {} }, 'healthCheck', 'at least one of http'],
    ['a health check on an undeclared port', { ...base, ports: [{ port: 80 }], healthCheck: { http: { path: '/', port: 81 } } }, 'healthCheck.http.port', 'not one of the service'],
    ['root', { ...base, runAs: { uid: 0, gid: 0 } }, 'runAs.uid', 'root'],
    ['a relative mount path', { ...base, volumes: [{ name: 'data', mountPath: 'data' }] }, 'volumes.0.mountPath', 'absolute path'],
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
