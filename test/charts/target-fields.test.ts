import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RailwayGraph } from 'railway/iac';
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderEnvironments } from '../../charts/render.ts';
import { RAILWAY_SOURCE_PATH, railwayGraphPath } from '../../charts/railway/index.ts';
import { synth } from '../../cli/synth.ts';
import { evaluateRailwayEnvironment, loadRailwayProgram } from '../../charts/railway/railway-evaluation.ts';
import { instancesOf, Postgres, servicesOf, StackService, type StackEnvironment, type StackEnvironmentProps, type Target } from '../../constructs/index.ts';
import { specErrorOf, testEnvironment } from '../helpers/model.ts';
import { render, temporaryDirectory } from '../helpers/synth.ts';
import { POSTGRES_VERSION } from '../../environments/versions.ts';

const image = 'nginx:1.27.3-alpine';
const healthy = { exec: ['true'] };

function environmentFor(targets: Target[], props: Partial<StackEnvironmentProps> = {}): StackEnvironment {
  return testEnvironment({
    targets,
    ...(targets.includes('railway') ? { railway: { project: 'voice-agent' } } : {}),
    ...(targets.includes('kubernetes') ? { domain: 'test.example.com' } : {}),
    ...props,
  });
}

/** Warnings of one environment, as synth prints them after the environment name. */
function warningsOf(environment: StackEnvironment): string[] {
  return renderEnvironments([environment]).warnings.map((warning) => warning.message);
}

function composeService(environment: StackEnvironment, name: string): any {
  const document = parse(renderEnvironments([environment]).files.get(`dist/compose/${environment.name}/compose.yaml`) ?? '');
  return document.services[name];
}

function railwayNode(environment: StackEnvironment, name: string): any {
  const graph = JSON.parse(renderEnvironments([environment]).files.get(railwayGraphPath(environment.name)) ?? '{}') as RailwayGraph;
  return graph.resources.find((resource) => resource.name === name);
}

describe('compose', () => {
  it('renders the user and replica count the model gives every service of the development stack', async () => {
    const { environments, output } = await render(['environments/development.ts']);
    const document = parse(output.files.get('dist/compose/development/compose.yaml') ?? '');
    for (const { service, name, replicas } of servicesOf(environments[0] as StackEnvironment).flatMap(instancesOf)) {
      const rendered = document.services[name];
      // The TEN agent among them (ten-agent-0): it no longer runs as whatever user its image names.
      expect(rendered.user, name).toBe(`${service.data.runAs.uid}:${service.data.runAs.gid}`);
      expect(rendered.deploy.replicas, name).toBe(replicas);
    }
  });

  it('runs replicas of a service with neither a published port nor a volume', () => {
    const environment = environmentFor(['compose']);
    new StackService(environment, 'worker', { image, replicas: 3, runAs: { uid: 4242, gid: 4343 }, rollout: 'recreate', egressToInternet: true });
    expect(composeService(environment, 'worker')).toMatchObject({ user: '4242:4343', deploy: { replicas: 3 } });
    expect(warningsOf(environment)).toEqual([]);
  });

  it('runs one container of a replicated service that publishes a port or keeps a volume, and says why', () => {
    const environment = environmentFor(['compose']);
    new StackService(environment, 'web', { image, replicas: 2, ports: [{ port: 80, exposure: 'public', hostPort: 8081 }], healthCheck: healthy, rollout: 'recreate', egressToInternet: true });
    new StackService(environment, 'files', { image, replicas: 3, volumes: [{ name: 'data', mountPath: '/data', persistent: true }], rollout: 'recreate', egressToInternet: true });
    expect(composeService(environment, 'web').deploy.replicas).toBe(1);
    expect(composeService(environment, 'files').deploy.replicas).toBe(1);
    expect(warningsOf(environment)).toEqual([
      'compose: field "replicas" of "web" (2, host port 8081): only one container can publish a host port, so Compose runs 1 replica',
      'compose: field "replicas" of "files" (3): replicas would share one named volume, so Compose runs 1 replica',
    ]);
  });

  it('says what it drops, one line per field and problem, naming every service with its value', () => {
    const environment = environmentFor(['compose']);
    new StackService(environment, 'api', { image, ports: [{ port: 8080 }], healthCheck: { http: { path: '/health', port: 8080 } } });
    new StackService(environment, 'db', { image, rollout: 'recreate' });
    expect(warningsOf(environment)).toEqual([
      'compose: field "healthCheck" of "api" (HTTP /health on 8080): Compose runs only commands as health checks, so it gets none and its dependents wait only for it to start',
      'compose: field "egressToInternet" of "api", "db" (false): every container on Compose can reach the internet',
      'compose: field "rollout" of "api" ("rolling"): docker compose up stops the old container before it starts the new one, so an update has a short outage',
    ]);
  });
});

describe('a drain and UDP egress', () => {
  // 35 s of drain and 10 s after it: every target gives 45 s before a forced kill.
  const sender = { image, drain: { seconds: 35, marginSeconds: 10 }, egressToInternet: true, udpEgress: 'media to a media server; fallback: TURN over TCP', rollout: 'recreate' as const };

  it('Compose renders the drain as stop_grace_period and lets UDP out unsaid', () => {
    const environment = environmentFor(['compose']);
    new StackService(environment, 'sender', sender);
    expect(composeService(environment, 'sender').stop_grace_period).toBe('45s');
    // Only what every target shares: one replica that drains pauses new work during an update.
    expect(warningsOf(environment)).toEqual([expect.stringMatching(/^every target: field "replicas" of "sender" \(1\): it drains before it stops/)]);
    const plain = environmentFor(['compose']);
    new StackService(plain, 'plain', { image, egressToInternet: true, rollout: 'recreate' });
    expect(composeService(plain, 'plain')).not.toHaveProperty('stop_grace_period');
  });

  it('Kubernetes renders terminationGracePeriodSeconds, and lets the sender reach public UDP of the cluster by pod as well as by address', () => {
    const environment = environmentFor(['kubernetes']);
    new StackService(environment, 'sender', sender);
    new StackService(environment, 'media', { image, ports: [{ port: 8080 }, { port: 10000, protocol: 'udp', exposure: 'public' }], healthCheck: healthy, egressToInternet: true });
    const output = renderEnvironments([environment]);
    const documents = (name: string): any[] => parseAllDocuments(output.files.get(`dist/kubernetes/test/${name}.yaml`) ?? '').map((document) => document.toJS());
    const deployment = documents('sender').find((object) => object.kind === 'Deployment');
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(45);
    const senderPolicy = documents('sender').find((object) => object.kind === 'NetworkPolicy');
    expect(senderPolicy.spec.egress).toContainEqual({ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'media' } } }], ports: [{ port: 10000, protocol: 'UDP' }] });
    const mediaPolicy = documents('media').find((object) => object.kind === 'NetworkPolicy');
    expect(mediaPolicy.spec.ingress).toContainEqual({
      from: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }, { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'sender' } } }],
      ports: [{ port: 10000, protocol: 'UDP' }],
    });
    // Only the UDP sender gets that path; the media server's private port stays closed to it.
    expect(JSON.stringify(senderPolicy.spec.egress)).not.toContain('8080');
    expect(warningsOf(environment).filter((warning) => warning.includes('udpEgress') || warning.includes('"drain"'))).toEqual([]);
  });

  it('Railway renders it as drainingSeconds in both writers, and says it cannot promise outbound UDP', async () => {
    const environment = environmentFor(['railway']);
    new StackService(environment, 'sender', sender);
    const output = renderEnvironments([environment]);
    const graph = JSON.parse(output.files.get(railwayGraphPath('test')) ?? '{}') as RailwayGraph;
    expect((graph.resources.find((resource) => resource.name === 'sender') as any).deploy.drainingSeconds).toBe(45);
    const file = join(temporaryDirectory(), 'railway.ts');
    writeFileSync(file, output.files.get(RAILWAY_SOURCE_PATH) ?? '');
    expect(await evaluateRailwayEnvironment(await loadRailwayProgram(file), 'test')).toEqual(graph);
    expect(warningsOf(environment)).toContain(
      'railway: field "udpEgress" of "sender" (media to a media server; fallback: TURN over TCP): Railway documents no outbound UDP, so on Railway this service can count only on its fallback',
    );
    expect(warningsOf(environment)).toContain(
      'railway: field "drain" of "sender" (35 s + 10 s margin = drainingSeconds 45): Railway has no surge or ordered rollout control: a new deployment overlaps the old one for ' +
        'overlapSeconds, then the old one gets SIGTERM and drainingSeconds before SIGKILL, whatever the other replicas are doing',
    );
  });

  it('runs a pre-stop command only on Kubernetes, and says the other targets only send SIGTERM', () => {
    const drained = { image, drain: { seconds: 60, preStop: ['drain', 'now'] }, egressToInternet: true, rollout: 'recreate' as const };
    const kubernetes = environmentFor(['kubernetes']);
    new StackService(kubernetes, 'sender', drained);
    const container = parseAllDocuments(renderEnvironments([kubernetes]).files.get('dist/kubernetes/test/sender.yaml') ?? '')
      .map((document) => document.toJS())
      .find((object) => object.kind === 'Deployment').spec.template.spec.containers[0];
    expect(container.lifecycle).toEqual({ preStop: { exec: { command: ['drain', 'now'] } } });
    expect(warningsOf(kubernetes).filter((warning) => warning.includes('"drain"'))).toEqual([]);
    const compose = environmentFor(['compose']);
    new StackService(compose, 'sender', drained);
    expect(composeService(compose, 'sender').stop_grace_period).toBe('60s');
    expect(warningsOf(compose)).toContain(
      'compose: field "drain" of "sender" (["drain","now"]): Compose has no pre-stop hook, so the container drains on SIGTERM alone, within stop_grace_period',
    );
    const railway = environmentFor(['railway']);
    new StackService(railway, 'sender', drained);
    expect(railwayNode(railway, 'sender').deploy.drainingSeconds).toBe(60);
    expect(warningsOf(railway)).toContainEqual(expect.stringMatching(/^railway: field "drain" of "sender" \(60 s \+ 0 s margin = drainingSeconds 60\): .*; and it has no pre-stop hook, so the container drains on SIGTERM alone$/));
  });
});

describe('railway', () => {
  it('renders limits, and says it reserves nothing and runs each image as its own user on a writable filesystem', () => {
    const environment = environmentFor(['railway']);
    new StackService(environment, 'api', { image, resources: { cpuMillicores: 250, memoryMiB: 256 }, runAs: { uid: 1000, gid: 1000 }, egressToInternet: true });
    new StackService(environment, 'worker', {
      image,
      resources: { cpuMillicores: 500, cpuLimitMillicores: 1500, memoryMiB: 1024 },
      runAs: { uid: 1000, gid: 1000 },
      readOnlyRootFilesystem: false,
      egressToInternet: true,
    });
    expect(railwayNode(environment, 'api').deploy.limitOverride).toEqual({ containers: { cpu: 0.5, memoryBytes: 256 * 1024 * 1024 } });
    expect(railwayNode(environment, 'worker').deploy.limitOverride).toEqual({ containers: { cpu: 1.5, memoryBytes: 1024 * 1024 * 1024 } });
    expect(warningsOf(environment)).toEqual([
      'railway: field "resources" of "api" (250m CPU, 256 MiB); "worker" (500m CPU, 1024 MiB): Railway reserves neither CPU nor memory for a service; it renders only their limits (deploy.limitOverride)',
      'railway: field "runAs" of "api", "worker" (1000:1000): Railway has no setting for the user a container runs as; each image runs as the USER it names',
      'railway: field "readOnlyRootFilesystem" of "api" (true): Railway mounts the image\'s filesystem writable (so the scratch volumes are not needed there)',
    ]);
  });

  it('renders a command as the start command, which .railway/railway.ts and the SDK graph agree on', async () => {
    const environment = environmentFor(['railway']);
    new StackService(environment, 'cache', { image, command: ['sh', '-c', "exec redis-server --save '' --port 6380"] });
    const output = renderEnvironments([environment]);
    const graph = JSON.parse(output.files.get(railwayGraphPath('test')) ?? '{}') as RailwayGraph;
    const cache = graph.resources.find((resource) => resource.name === 'cache') as any;
    expect(cache.deploy.startCommand).toBe(`sh -c "exec redis-server --save '' --port 6380"`);
    const file = join(temporaryDirectory(), 'railway.ts');
    writeFileSync(file, output.files.get(RAILWAY_SOURCE_PATH) ?? '');
    expect(await evaluateRailwayEnvironment(await loadRailwayProgram(file), 'test')).toEqual(graph);
  });

  it.each<[string, (environment: StackEnvironment) => void, string, string]>([
    [
      'a command with a double quote, which a start command cannot carry',
      (environment) => new StackService(environment, 'cache', { image, command: ['sh', '-c', 'exec redis-server --requirepass "$REDIS_PASSWORD"'] }),
      'command',
      'split at spaces with double-quoted words kept whole',
    ],
    [
      'public UDP',
      (environment) => new StackService(environment, 'media', { image, ports: [{ port: 8080 }, { port: 10000, protocol: 'udp', exposure: 'public' }], healthCheck: healthy }),
      'ports[1]',
      'Railway has no public UDP, so public port 10000/udp cannot run there; list "media" in railway.offRailway to render it for a UDP-capable host instead',
    ],
    [
      'two volumes',
      (environment) =>
        new StackService(environment, 'files', {
          image,
          volumes: [
            { name: 'a', mountPath: '/a', persistent: true },
            { name: 'b', mountPath: '/b', persistent: true },
          ],
        }),
      'volumes',
      'Railway allows one volume per service, got 2 (a, b)',
    ],
    [
      'replicas sharing a volume',
      (environment) => new StackService(environment, 'files', { image, replicas: 2, volumes: [{ name: 'a', mountPath: '/a', persistent: true }] }),
      'replicas',
      'Railway cannot run replicas of a service with a volume, got 2 replicas and volume "a"',
    ],
  ])('refuses %s, naming the field', (_, declare, field, problem) => {
    const environment = environmentFor(['railway']);
    declare(environment);
    const error = specErrorOf(() => renderEnvironments([environment]));
    expect(error.location).toEqual({ environment: 'test', service: expect.any(String), field });
    expect(error.problem).toContain(problem);
  });

  it('leaves Railway-managed databases and services placed off Railway to their own rules', () => {
    const environment = environmentFor(['railway'], { railway: { project: 'voice-agent', offRailway: ['media'] } });
    new Postgres(environment, 'postgres', { version: POSTGRES_VERSION });
    new StackService(environment, 'media', { image, ports: [{ port: 10000, protocol: 'udp', exposure: 'public' }], healthCheck: healthy, egressToInternet: true, rollout: 'recreate' });
    // Postgres would lose runAs, read-only root and egress, and media's public UDP would be refused,
    // were RAILWAY_FIELDS applied to them; Compose renders everything media declares.
    expect(warningsOf(environment)).toEqual([]);
  });
});

describe('kubernetes', () => {
  it('says a StatefulSet with one pod cannot roll', () => {
    const environment = environmentFor(['kubernetes']);
    const stateful = { image, ports: [{ port: 8080 }], volumes: [{ name: 'a', mountPath: '/a', persistent: true }] };
    new StackService(environment, 'files', stateful);
    new StackService(environment, 'pair', { ...stateful, replicas: 2 });
    new StackService(environment, 'single', { ...stateful, rollout: 'recreate' });
    expect(warningsOf(environment).filter((warning) => warning.startsWith('kubernetes:'))).toEqual([
      'kubernetes: field "rollout" of "files" ("rolling"): a StatefulSet stops its only pod before it starts the new one, so an update has a short outage',
    ]);
  });
});

describe('what targets drop, as synth shows it', () => {
  let lines: string[];
  let written: Map<string, string>;
  let warnings: Array<{ environment: string; message: string }>;

  beforeAll(async () => {
    const out = temporaryDirectory();
    lines = [];
    const result = await synth({ outDir: out, log: (line) => lines.push(line) });
    warnings = result.output.warnings;
    written = new Map([...result.output.files].filter(([path]) => path.endsWith('.md')));
  });

  it('prints each warning with its environment and lists it in dist/<env>.md', () => {
    expect(warnings.length).toBeGreaterThan(0);
    for (const warning of warnings) {
      expect(lines).toContain(`  ! ${warning.environment}: ${warning.message}`);
      expect(written.get(`dist/${warning.environment}.md`), warning.message).toContain(`- ${warning.message}\n`);
    }
  });

  it('says the issue-12 cases: Compose and Railway no longer drop replicas, runAs, resources, read-only root or command unsaid', () => {
    const messages = warnings.map((warning) => `${warning.environment}: ${warning.message}`);
    expect(messages).toContainEqual(expect.stringMatching(/^staging: railway: field "runAs" of .*"ten-agent".*: Railway has no setting for the user/));
    expect(messages).toContainEqual(expect.stringMatching(/^staging: railway: field "readOnlyRootFilesystem" of .*"mcp-server"/));
    expect(messages).toContainEqual(expect.stringMatching(/^production: railway: field "resources" of .*"ten-agent" \(4000m CPU, 8192 MiB\)/));
    // Compose renders replicas and runAs, so it warns about neither.
    expect(messages.filter((message) => /compose.*field "(replicas|runAs)"/.test(message))).toEqual([]);
  });
});
