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
    ['an unknown target', 'staging', { ...valid, targets: ['heroku' as 'compose'] }, 'targets.0', 'invalid option'],
    ['a repeated target', 'staging', { ...valid, targets: ['compose', 'compose'] }, 'targets', 'lists a target twice'],
    ['a Doppler config named against the rules', 'staging', { ...valid, doppler: { project: 'voice-agent', config: 'Staging-Config' } }, 'doppler.config', 'must be a Doppler config name'],
    ['railway without a project', 'staging', { ...valid, targets: ['railway'] }, 'railway', 'railway.project'],
    ['an uppercase domain', 'staging', { ...valid, domain: 'Example.COM' }, 'domain', 'lowercase hostname'],
    ['a bad name', 'Staging Env', valid, undefined, 'lowercase DNS label'],
  ])('rejects %s', (_, id, props, field, message) => {
    const error = failure(id, props);
    expect(error.location.environment).toBe(id);
    expect(error.location.field).toBe(field);
    expect(error.message.toLowerCase()).toContain(message.toLowerCase());
  });

  it('finds the environment of any construct under it', () => {
    const environment = new StackEnvironment(new RootConstruct(), 'staging', valid);
    const service = new StackService(environment, 'web', { image: 'nginx:1.27.3-alpine' });
    expect(StackEnvironment.of(service)).toBe(environment);
    const error = specErrorOf(() => new StackService(new RootConstruct(), 'orphan', { image: 'nginx:1.27.3-alpine' }));
    expect(error.message).toContain('"orphan" is not inside a StackEnvironment');
  });
});
