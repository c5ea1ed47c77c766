import { describe, expect, it } from 'vitest';
import {
  findInstance,
  instancesOf,
  interpolate,
  modelWarnings,
  ownReplicaName,
  replicaName,
  ServiceEndpointRef,
  StackService,
  uniqueList,
  validateEnvironment,
  type StackEnvironment,
  type StackServiceProps,
} from '../../constructs/index.ts';
import { specErrorOf, testEnvironment } from '../helpers/model.ts';

const image = 'nginx:1.27.3-alpine';
const perReplica: StackServiceProps = { image, ports: [{ port: 8080 }], addressing: 'replica', replicas: 2 };

/** An environment with `sessions` (addressed per replica, 2 replicas) and whatever `add` declares. */
function environmentWith(add: (environment: StackEnvironment, sessions: StackService) => void, props: StackServiceProps = perReplica): StackEnvironment {
  const environment = testEnvironment();
  const sessions = new StackService(environment, 'sessions', props);
  add(environment, sessions);
  return environment;
}

describe('instances of a service', () => {
  it('are one per replica, named <service>-<i>, for a service addressed per replica; the service itself otherwise', () => {
    const environment = environmentWith((env) => new StackService(env, 'web', { image, replicas: 3 }));
    const [sessions, web] = [environment.node.findChild('sessions') as StackService, environment.node.findChild('web') as StackService];
    expect(instancesOf(sessions).map(({ name, replica, replicas }) => [name, replica, replicas])).toEqual([
      ['sessions-0', 0, 1],
      ['sessions-1', 1, 1],
    ]);
    expect(instancesOf(web).map(({ name, replica, replicas }) => [name, replica, replicas])).toEqual([['web', undefined, 3]]);
    expect(replicaName('ten-agent', 1)).toBe('ten-agent-1');
    expect(findInstance(environment, 'sessions-1')?.service).toBe(sessions);
    expect(findInstance(environment, 'web')?.service).toBe(web);
    expect(findInstance(environment, 'sessions')).toBeUndefined();
  });

  it("follow the environment's replica count", () => {
    const environment = testEnvironment({ overrides: { sessions: { replicas: 3 } } });
    const sessions = new StackService(environment, 'sessions', perReplica);
    expect(instancesOf(sessions).map((instance) => instance.name)).toEqual(['sessions-0', 'sessions-1', 'sessions-2']);
    expect(sessions.replicaUrls(8080).map((url) => url.replica)).toEqual([0, 1, 2]);
  });

  it('give a stop grace period of the drain and its margin, and none without a drain', () => {
    const environment = testEnvironment();
    expect(new StackService(environment, 'a', { image, drain: { seconds: 60, marginSeconds: 5 } }).stopGracePeriodSeconds).toBe(65);
    expect(new StackService(environment, 'b', { image, drain: { seconds: 60 } }).stopGracePeriodSeconds).toBe(60);
    expect(new StackService(environment, 'c', { image }).stopGracePeriodSeconds).toBeUndefined();
  });
});

describe('references to replicas', () => {
  it('name a replica of a service addressed per replica, checked when the environment is validated', () => {
    const environment = environmentWith((env, sessions) => {
      new StackService(env, 'client', { image, env: { ALL: uniqueList(sessions.replicaUrls(8080)), FIRST: sessions.replicaUrl(0, 8080, { scheme: 'ws', path: '/x' }) } });
    });
    expect(() => validateEnvironment(environment)).not.toThrow();
    const first = (environment.node.findChild('client') as StackService).env['FIRST'] as ServiceEndpointRef;
    expect([first.replica, first.port, first.scheme, first.path]).toEqual([0, 8080, 'ws', '/x']);
  });

  it.each<[string, (environment: StackEnvironment, sessions: StackService) => void, string, string]>([
    [
      'the service as a whole, which Compose and Railway do not have',
      (env, sessions) => new StackService(env, 'client', { image, env: { URL: sessions.url(8080) } }),
      'env.URL',
      `refers to port 8080 of "sessions", whose replicas are addressed one by one (addressing: 'replica'); name the replica with replicaUrl(i, 8080), or list them all with replicaUrls(8080)`,
    ],
    [
      'a replica it does not run',
      (env, sessions) => new StackService(env, 'client', { image, env: { URL: sessions.replicaUrl(2, 8080) } }),
      'env.URL',
      'refers to replica 2 of "sessions", which runs replicas 0 to 1',
    ],
    [
      'a replica that is no whole number',
      (env, sessions) => new StackService(env, 'client', { image, env: { URL: sessions.replicaUrl(0.5, 8080) } }),
      'env.URL',
      'refers to replica 0.5 of "sessions", which runs replicas 0 to 1',
    ],
    [
      'a replica of a service reached as a whole',
      (env) => {
        const web = new StackService(env, 'web', { image, ports: [{ port: 80 }], replicas: 2 });
        new StackService(env, 'client', { image, env: { URL: web.replicaUrl(0, 80) } });
      },
      'env.URL',
      `refers to replica 0 of "web", whose replicas are reached as one service; use url(), or give "web" addressing: 'replica'`,
    ],
    [
      "a replica's own name on a service reached as a whole",
      (env) => new StackService(env, 'client', { image, env: { NAME: ownReplicaName() } }),
      'env.NAME',
      `a replica's own name needs a service whose replicas are addressed one by one; give "client" addressing: 'replica'`,
    ],
    [
      "a replica's own name inside a longer value, which Kubernetes cannot assemble",
      (env) => new StackService(env, 'worker', { image, addressing: 'replica', env: { ID: interpolate`worker/${ownReplicaName()}` } }),
      'env.ID',
      "a replica's own name must be the whole value (Kubernetes sets it from the pod's name), not part of an interpolation or a list",
    ],
    [
      'a replica named like another service, which Compose and Railway would run twice',
      (env) => new StackService(env, 'sessions-1', { image }),
      'replicas',
      'replica 1 is named "sessions-1" on Compose and Railway, which is already the name of service "sessions-1" ("test/sessions-1"); rename one of them',
    ],
  ])('refuse %s, at the field', (_, add, field, problem) => {
    const error = specErrorOf(() => validateEnvironment(environmentWith(add)));
    expect(error.location.field).toBe(field);
    expect(error.problem).toBe(problem);
  });
});

describe('what every target shares', () => {
  it('warns once for the services that drain or are addressed per replica and run one replica', () => {
    const environment = testEnvironment();
    new StackService(environment, 'sessions', { ...perReplica, replicas: 1 });
    new StackService(environment, 'router', { image, drain: { seconds: 60 } });
    new StackService(environment, 'pair', { image, drain: { seconds: 60 }, replicas: 2 });
    new StackService(environment, 'web', { image });
    expect(modelWarnings(environment)).toEqual([
      'every target: field "replicas" of "sessions", "router" (1): it drains before it stops, so with one replica an update leaves nothing taking new work (rooms, sessions) ' +
        'until the new replica is ready, and for the whole drain where the target stops the old one first; run 2 or more where updates must not pause it',
    ]);
    expect(modelWarnings(testEnvironment())).toEqual([]);
  });
});
