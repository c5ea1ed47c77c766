import { RootConstruct } from 'constructs';
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { argocdApplication, IN_CLUSTER_SERVER, renderArgocd } from '../../charts/kubernetes/argocd-application.ts';
import type { RenderedOutput } from '../../charts/rendered-output.ts';
import { validate } from '../../cli/validate.ts';
import { validateKubernetesObjects } from '../../charts/kubernetes/kubernetes-schemas.ts';
import { StackEnvironment, type StackEnvironmentProps } from '../../constructs/index.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { specErrorOf } from '../helpers/model.ts';
import { render } from '../helpers/synth.ts';

type Application = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; finalizers?: string[] };
  spec: {
    project: string;
    source: { repoURL: string; targetRevision: string; path: string; directory?: { recurse?: boolean } };
    destination: { server: string; namespace: string };
    syncPolicy: {
      automated: { prune: boolean; selfHeal: boolean };
      syncOptions: string[];
      retry: { limit: number; backoff: { duration: string; factor: number; maxDuration: string } };
    };
  };
};

let output: RenderedOutput;

beforeAll(async () => {
  ({ output } = await render());
});

function application(environment: string): Application {
  const text = output.files.get(`dist/argocd/${environment}.yaml`);
  if (text === undefined) throw new Error(`no dist/argocd/${environment}.yaml`);
  return parse(text) as Application;
}

/** A Kubernetes environment named "test" with a repository, any settings replaced. */
function kubernetesEnvironment(props: Partial<StackEnvironmentProps> = {}): StackEnvironment {
  return new StackEnvironment(new RootConstruct(), 'test', {
    targets: ['kubernetes'],
    domain: 'test.example.com',
    doppler: { project: 'voice-agent', config: 'stg' },
    repository: { github: 'acme/voice-agent', imageRegistry: 'ghcr.io/acme/voice-agent' },
    ...props,
  });
}

describe('Argo CD Applications', () => {
  it('are rendered once per Kubernetes environment into dist/argocd/, outside the folders they sync', () => {
    const paths = [...output.files.keys()].filter((path) => path.includes('argocd')).sort();
    expect(paths).toEqual(['dist/argocd/production.yaml', 'dist/argocd/staging.yaml']);
    // Development renders only Compose; no Kubernetes folder holds an Application.
    for (const [path, text] of output.files) {
      if (path.startsWith('dist/kubernetes/')) expect(text, path).not.toContain('argoproj.io');
    }
  });

  it.each(['staging', 'production'])('%s: syncs its rendered folder on main from the repository over HTTPS', (environment) => {
    const app = application(environment);
    expect(app.apiVersion).toBe('argoproj.io/v1alpha1');
    expect(app.kind).toBe('Application');
    expect(app.metadata).toMatchObject({ name: `voice-agent-${environment}`, namespace: 'argocd' });
    expect(app.spec.project).toBe('default');
    expect(app.spec.source).toEqual({
      repoURL: 'https://github.com/acme/voice-agent.git',
      targetRevision: 'main',
      path: `dist/kubernetes/${environment}`,
      directory: { recurse: false },
    });
    // The folder it points at is what synth renders, with the namespace in it.
    const folder = [...output.files.keys()].filter((path) => path.startsWith(`${app.spec.source.path}/`));
    expect(folder).toContain(`${app.spec.source.path}/_namespace.yaml`);
    expect(folder.length).toBeGreaterThan(5);
  });

  it.each(['staging', 'production'])('%s: deploys into the rendered namespace of the in-cluster server, which it must not create', (environment) => {
    const app = application(environment);
    const namespace = parseAllDocuments(output.files.get(`dist/kubernetes/${environment}/_namespace.yaml`) ?? '')
      .map((document) => document.toJS() as { kind: string; metadata: { name: string } })
      .find((object) => object.kind === 'Namespace');
    expect(namespace?.metadata.name).toBe(`voice-agent-${environment}`);
    expect(app.spec.destination).toEqual({ server: IN_CLUSTER_SERVER, namespace: namespace?.metadata.name });
    expect(app.spec.syncPolicy.syncOptions).toContain('CreateNamespace=false');
    expect(app.spec.syncPolicy.syncOptions).not.toContain('CreateNamespace=true');
  });

  it.each(['staging', 'production'])('%s: syncs automatically, prunes, heals drift and retries with backoff', (environment) => {
    const { syncPolicy } = application(environment).spec;
    expect(syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(syncPolicy.retry.limit).toBeGreaterThanOrEqual(3);
    expect(syncPolicy.retry.backoff).toEqual({ duration: '10s', factor: 2, maxDuration: '5m' });
  });

  it('has no cascading-delete finalizer: removing the Application keeps the namespace and its volumes', () => {
    expect(application('staging').metadata.finalizers).toBeUndefined();
  });

  it('takes Argo CD\'s namespace and project from the kubernetes settings, and the branch from the repository', () => {
    const defaults = argocdApplication(kubernetesEnvironment()) as Application;
    expect(defaults.metadata.namespace).toBe('argocd');
    expect(defaults.spec.project).toBe('default');
    const custom = argocdApplication(
      kubernetesEnvironment({
        kubernetes: { namespace: 'voice', argocdNamespace: 'gitops', argocdProject: 'voice-agent' },
        repository: { github: 'example/stack', branch: 'release', imageRegistry: 'ghcr.io/example/stack' },
      }),
    ) as Application;
    expect(custom.metadata.namespace).toBe('gitops');
    expect(custom.spec.project).toBe('voice-agent');
    expect(custom.spec.destination.namespace).toBe('voice');
    expect(custom.spec.source).toMatchObject({ repoURL: 'https://github.com/example/stack.git', targetRevision: 'release', path: 'dist/kubernetes/test' });
  });

  it('refuses an Argo CD namespace or project Kubernetes would not accept, naming the field', () => {
    expect(specErrorOf(() => kubernetesEnvironment({ kubernetes: { argocdNamespace: 'Argo_CD' } })).message).toMatch(
      /^environment "test", field "kubernetes\.argocdNamespace": must be a lowercase DNS label/,
    );
    expect(specErrorOf(() => kubernetesEnvironment({ kubernetes: { argocdProject: 'My Project' } })).message).toMatch(
      /^environment "test", field "kubernetes\.argocdProject": must be an Argo CD project name/,
    );
  });

  it('renders nothing but a note for an environment without a repository to sync from', () => {
    const rendered = renderArgocd(kubernetesEnvironment({ repository: undefined }));
    expect([...rendered.files.keys()]).toEqual([]);
    expect(rendered.warnings).toEqual([{ environment: 'test', message: expect.stringMatching(/^argocd: the environment names no repository/) }]);
  });

  it('pass the schema of the Application CRD fields they use', async () => {
    const objects = ['staging', 'production'].map((environment) => ({ file: `dist/argocd/${environment}.yaml`, object: application(environment) }));
    expect(await validateKubernetesObjects(objects)).toEqual([]);
  });

  it('have a schema check that catches broken Applications', async () => {
    const broken = (change: (app: any) => void) => {
      const app = structuredClone(application('staging')) as any;
      change(app);
      return { file: 'broken.yaml', object: app };
    };
    const problems = await validateKubernetesObjects([
      broken((app) => delete app.spec.source.repoURL),
      broken((app) => (app.spec.syncPolicy.automated.selfheal = true)),
      broken((app) => (app.spec.syncPolicy.retry.backoff.factor = 'two')),
      broken((app) => (app.spec.syncPolicy.retry.backoff.duration = 'ten seconds')),
      broken((app) => delete app.spec.destination.server),
      broken((app) => delete app.spec.project),
    ]);
    expect(problems).toHaveLength(6);
    expect(problems[0]).toMatch(/^broken\.yaml: Application\/voice-agent-staging: spec\.source\.repoURL: /);
    expect(problems[1]).toContain('selfheal');
    expect(problems[2]).toContain('spec.syncPolicy.retry.backoff.factor');
    expect(problems[3]).toContain('must be a duration');
    expect(problems[4]).toContain('give exactly one of server or name');
    expect(problems[5]).toContain('spec.project');
  });

  it('are checked by npm run validate on the committed output', async () => {
    const lines: string[] = [];
    const problems = await validate({ root: REPO_ROOT, log: (line) => lines.push(line) });
    expect(lines).toContain('argocd      2 Applications in 2 files: ok');
    expect(problems.filter((problem) => problem.startsWith('dist/argocd/'))).toEqual([]);
  });
});
