import { RootConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { SpecError, StackEnvironment, StackService, type StackEnvironmentProps } from '../../constructs/index.ts';
import { specErrorOf } from '../helpers/model.ts';

const valid: StackEnvironmentProps = {
  targets: ['kubernetes'],
  domain: 'staging.example.com',
  doppler: { project: 'voice-agent', config: 'stg' },
};

function failure(id: string, props: StackEnvironmentProps): SpecError {
  return specErrorOf(() => new StackEnvironment(new RootConstruct(), id, props));
}

const messageOf = (action: () => unknown): string => specErrorOf(action).message;

describe('StackEnvironment', () => {
  it('fills in Kubernetes defaults', () => {
    const environment = new StackEnvironment(new RootConstruct(), 'staging', valid);
    expect(environment.namespace).toBe('voice-agent-staging');
    expect(environment.settings.kubernetes.databases).toBe('in-cluster');
    expect(environment.publicHostname('jitsi-web')).toBe('jitsi-web.staging.example.com');
  });

  it('uses explicit public hostnames', () => {
    const environment = new StackEnvironment(new RootConstruct(), 'staging', { ...valid, publicHostnames: { 'jitsi-web': 'meet.example.com' } });
    expect(environment.publicHostname('jitsi-web')).toBe('meet.example.com');
  });

  it.each<[string, string, StackEnvironmentProps, string | undefined, string]>([
    ['no targets', 'staging', { ...valid, targets: [] }, 'targets', 'at least one target'],
    ['an unknown target', 'staging', { ...valid, targets: ['heroku' as 'compose'] }, 'targets[0]', 'invalid option'],
    ['a repeated target', 'staging', { ...valid, targets: ['compose', 'compose'] }, 'targets', 'lists a target twice'],
    ['a Doppler config named against the rules', 'staging', { ...valid, doppler: { project: 'voice-agent', config: 'Staging-Config' } }, 'doppler.config', 'must be a Doppler config name'],
    ['railway without a project', 'staging', { ...valid, targets: ['railway'] }, 'railway', 'railway.project'],
    ['an uppercase domain', 'staging', { ...valid, domain: 'Example.COM' }, 'domain', 'lowercase hostname'],
    ['a bad name', 'Staging Env', valid, undefined, 'lowercase DNS label'],
    ['an empty name', '', valid, undefined, 'environment name must be a lowercase DNS label of at most 32 characters, got ""'],
    ['props that are not an object', 'staging', null as unknown as StackEnvironmentProps, undefined, 'invalid input: expected object, received null'],
    ['an IP address as the domain', 'staging', { ...valid, domain: '203.0.113.7' }, 'domain', 'must be a DNS name, not an IP address'],
    ['an IP address as a public hostname', 'staging', { ...valid, publicHostnames: { web: '10.0.0.1' } }, 'publicHostnames.web', 'not an IP address'],
    ['an IP address as the Railway domain', 'staging', { ...valid, railway: { project: 'voice-agent', domain: '10.1.2.3' } }, 'railway.domain', 'not an IP address'],
    ['an empty ingress class', 'staging', { ...valid, kubernetes: { ingressClassName: '' } }, 'kubernetes.ingressClassName', 'must be a Kubernetes object name'],
    ['an ingress namespace that is no namespace', 'staging', { ...valid, kubernetes: { ingressNamespace: 'Ingress Nginx' } }, 'kubernetes.ingressNamespace', 'namespace name'],
    ['an empty Doppler token secret', 'staging', { ...valid, kubernetes: { dopplerTokenSecret: '' } }, 'kubernetes.dopplerTokenSecret', 'object name'],
    ['an annotation key Kubernetes refuses', 'staging', { ...valid, kubernetes: { ingressAnnotations: { 'not a key!': 'x' } } }, 'kubernetes.ingressAnnotations.not a key!', 'annotation key ([prefix/]name), got key "not a key!"'],
    ['a branch git refuses', 'staging', { ...valid, repository: { github: 'acme/x', branch: 'my branch', imageRegistry: 'ghcr.io/acme/x' } }, 'repository.branch', 'must be a git branch name'],
    ['a Railway project name with a control character', 'staging', { ...valid, railway: { project: 'voice\nagent' } }, 'railway.project', 'control characters'],
    ['a service listed off Railway twice', 'staging', { ...valid, railway: { project: 'voice-agent', offRailway: ['media', 'media'] } }, 'railway.offRailway', 'lists a service twice'],
    [
      'a variable name no shell accepts off Railway',
      'staging',
      { ...valid, railway: { project: 'voice-agent', offRailwayEnv: { media: { 'ADVERTISE-IPS': 'x' } } } },
      'railway.offRailwayEnv.media.ADVERTISE-IPS',
      'must be an environment variable name',
    ],
  ])('rejects %s', (_, id, props, field, message) => {
    const error = failure(id, props);
    expect(error.location.environment).toBe(id);
    expect(error.location.field).toBe(field);
    expect(error.message.toLowerCase()).toContain(message.toLowerCase());
  });

  it('refuses an environment inside another, and two of one name in one scope', () => {
    const outer = new StackEnvironment(new RootConstruct(), 'staging', valid);
    expect(messageOf(() => new StackEnvironment(outer, 'inner', valid))).toBe(
      'environment "inner": is created inside environment "staging"; an environment file builds one environment, directly under the scope it is given',
    );
    const root = new RootConstruct();
    new StackEnvironment(root, 'staging', valid);
    expect(messageOf(() => new StackEnvironment(root, 'staging', valid))).toBe(
      'environment "staging": is created twice under the same scope; an environment file builds one environment',
    );
  });

  it('finds the environment of any construct under it', () => {
    const environment = new StackEnvironment(new RootConstruct(), 'staging', valid);
    const service = new StackService(environment, 'web', { image: 'nginx:1.27.3-alpine' });
    expect(StackEnvironment.of(service)).toBe(environment);
    const error = specErrorOf(() => new StackService(new RootConstruct(), 'orphan', { image: 'nginx:1.27.3-alpine' }));
    expect(error.message).toContain('"orphan" is not inside a StackEnvironment');
  });
});
