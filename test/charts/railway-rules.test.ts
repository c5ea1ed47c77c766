import { describe, expect, it } from 'vitest';
import { checkRailwayRules } from '../../charts/railway/railway-rules.ts';
import { Postgres, secret, StackService, type StackEnvironmentProps } from '../../constructs/index.ts';
import { specErrorOf, testEnvironment } from '../helpers/model.ts';
import { POSTGRES_VERSION } from '../../environments/versions.ts';

const image = 'nginx:1.27.3-alpine';

function railwayEnvironment(railway: Partial<NonNullable<StackEnvironmentProps['railway']>> = {}, props: Partial<StackEnvironmentProps> = {}) {
  return testEnvironment({ targets: ['railway'], railway: { project: 'voice-agent', ...railway }, ...props });
}

describe('checkRailwayRules', () => {
  it('accepts what Railway can run', () => {
    const environment = railwayEnvironment();
    new Postgres(environment, 'postgres', { version: POSTGRES_VERSION });
    new StackService(environment, 'web', { image, ports: [{ port: 80, exposure: 'public' }], healthCheck: { exec: ['true'] } });
    expect(() => checkRailwayRules(environment)).not.toThrow();
  });

  it('refuses Railway services that need a service placed off Railway', () => {
    const environment = railwayEnvironment({ offRailway: ['media'] });
    const media = new StackService(environment, 'media', { image, ports: [{ port: 9000 }] });
    new StackService(environment, 'api', { image, env: { MEDIA: media.url(9000) } });
    const error = specErrorOf(() => checkRailwayRules(environment));
    expect(error.location).toEqual({ environment: 'test', service: 'api', field: 'env.MEDIA' });
    expect(error.message).toContain('runs off Railway');
  });

  it('refuses a service off Railway that uses a Railway database', () => {
    const environment = railwayEnvironment({ offRailway: ['worker'] });
    const db = new Postgres(environment, 'postgres', { version: POSTGRES_VERSION });
    new StackService(environment, 'worker', { image, env: { DATABASE_URL: db.connectionUrl } });
    expect(specErrorOf(() => checkRailwayRules(environment)).message).toContain('uses Railway database "postgres", which has no public endpoint');
  });

  it('refuses one hostname claimed by both Kubernetes and Railway', () => {
    const environment = railwayEnvironment({}, { targets: ['railway', 'kubernetes'], domain: 'example.com' });
    new StackService(environment, 'web', { image, ports: [{ port: 80, exposure: 'public' }], healthCheck: { exec: ['true'] } });
    const error = specErrorOf(() => checkRailwayRules(environment));
    expect(error.location.field).toBe('publicHostnames');
    expect(error.message).toContain('Kubernetes and Railway would both claim web.example.com');
  });

  it('reserves the name "shared", which Railway variable references use', () => {
    const environment = railwayEnvironment();
    new StackService(environment, 'shared', { image });
    expect(specErrorOf(() => checkRailwayRules(environment)).message).toContain('cannot be a Railway service name');
  });

  it('checks the variables a host off Railway overrides', () => {
    const secretOverride = railwayEnvironment({ offRailway: ['media'], offRailwayEnv: { media: { TOKEN: 'plain' } } });
    new StackService(secretOverride, 'media', { image, env: { TOKEN: secret('TOKEN') } });
    const error = specErrorOf(() => checkRailwayRules(secretOverride));
    expect(error.location.field).toBe('railway.offRailwayEnv.media.TOKEN');
    expect(error.message).toContain('declared secret');

    const credential = railwayEnvironment({ offRailway: ['media'], offRailwayEnv: { media: { GH: 'ghp_0123456789abcdefghijABCDEFGHIJ012345' } } });
    new StackService(credential, 'media', { image });
    expect(specErrorOf(() => checkRailwayRules(credential)).message).toContain('GitHub token');
  });
});
