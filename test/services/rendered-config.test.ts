import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RailwayGraph } from 'railway/iac';
import { compositeSecretVariable } from '../../charts/kubernetes/index.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { loadConfig as loadConsoleConfig } from '../../services/frontend/lib/config.ts';
import { loadConfig as loadBridgeConfig } from '../../services/jitsi-agent-bridge/src/config.ts';
import { loadCatalog } from '../../services/mcp-server/src/catalog.ts';
import { loadConfig as loadMcpConfig } from '../../services/mcp-server/src/config.ts';
import { render } from '../helpers/synth.ts';

/**
 * Each built service's environment, as every environment and target renders it, read by that
 * service's own configuration code: a variable the model renames, drops or misspells fails here,
 * not at the first deploy. What only the platform fills in (secrets, Railway references, Compose
 * interpolation, Kubernetes `$(VAR)`) is replaced by a stand-in of the shape the real value has.
 */

interface Rendering {
  /** `development/compose`, `staging/railway`, … */
  readonly where: string;
  readonly env: Record<string, string>;
}

/** What reads a service's environment, and the names read outside its config schema. */
interface ServiceReader {
  /** Parses the environment; throws naming the variable. Returns the names it read. */
  read(env: Record<string, string>): string[];
}

const READERS: Record<string, ServiceReader> = {
  'mcp-server': {
    read(env) {
      const config = loadMcpConfig(env);
      // The image has the repository under /app (services/mcp-server/Dockerfile).
      const catalog = loadCatalog(join(REPO_ROOT, config.TOOL_CATALOG.replace(/^\/app\//, '')), env);
      const tokenNames = catalog.flatMap((tool) => (tool.entry.kind === 'workflow' && tool.entry.tokenEnv !== undefined ? [tool.entry.tokenEnv] : []));
      // BUILD_VERSION only labels mcp_server_build_info (src/metrics.ts buildVersion()).
      return [...Object.keys(config), ...tokenNames, 'BUILD_VERSION'];
    },
  },
  frontend: {
    read(env) {
      // Next.js's standalone server.js reads PORT and HOSTNAME itself; BUILD_VERSION only labels
      // console_build_info (lib/metrics.ts buildVersion()).
      return [...Object.keys(loadConsoleConfig(env)), 'PORT', 'HOSTNAME', 'BUILD_VERSION'];
    },
  },
  'jitsi-agent-bridge': {
    read(env) {
      // Chromium keeps its profile and caches under HOME (the image's one writable directory);
      // BUILD_VERSION only labels agent_bridge_build_info (src/metrics.ts buildVersion()).
      return [...Object.keys(loadBridgeConfig(env)), 'HOME', 'BUILD_VERSION'];
    },
  },
};

/** A stand-in for a Doppler secret: a URL where the secret is one, else a long token. */
function secretStandIn(name: string): string {
  if (name === 'DATABASE_URL') return 'postgresql://voice_agent:stand-in@db.example.com:5432/voice_agent';
  if (name === 'REDIS_URL') return 'rediss://default:stand-in@cache.example.com:6380';
  return `${name.toLowerCase().replaceAll('_', '-')}-stand-in-0123456789abcdef`;
}

/** Railway database outputs the stack reads, as Railway fills them in. */
const RAILWAY_DATABASE_OUTPUTS: Record<string, (host: string) => string> = {
  DATABASE_URL: (host) => `postgresql://postgres:stand-in@${host}.railway.internal:5432/railway`,
  REDIS_URL: (host) => `redis://default:stand-in@${host}.railway.internal:6379`,
};

/** `${NAME:?message}` (and the other `${NAME…}` forms), then `$$` for a literal `$`. */
function composeValue(value: string): string {
  const filled = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?+][^}]*)?\}/g, (_, name: string) => secretStandIn(name));
  if (/(^|[^$])\$(\{|[A-Za-z_])/.test(filled.replaceAll('$$', ''))) throw new Error(`no stand-in for the Compose interpolation in ${value}`);
  return filled.replaceAll('$$', '$');
}

/** Railway's `${{service.VARIABLE}}`, `${{VARIABLE}}` (the service's own) and `${{shared.NAME}}`. */
function railwayValue(value: string, self: string): string {
  return value.replace(/\$\{\{\s*(?:([A-Za-z0-9_-]+)\.)?([A-Za-z0-9_]+)\s*\}\}/g, (match, namespace: string | undefined, variable: string) => {
    if (namespace === 'shared') return secretStandIn(variable);
    const service = namespace ?? self;
    if (variable === 'RAILWAY_PRIVATE_DOMAIN') return `${service}.railway.internal`;
    if (variable === 'RAILWAY_PUBLIC_DOMAIN') return `${service}.up.railway.app`;
    const output = RAILWAY_DATABASE_OUTPUTS[variable];
    if (output !== undefined) return output(service);
    throw new Error(`no stand-in for the Railway reference ${match}`);
  });
}

function composeRenderings(files: Map<string, string>, service: string): Rendering[] {
  return [...files]
    .filter(([path]) => path.endsWith('/compose.yaml'))
    .flatMap(([path, text]) => {
      const environment = (parse(text) as { services: Record<string, { environment?: Record<string, string> }> }).services[service]?.environment;
      if (environment === undefined) return [];
      const where = path.replace(/^dist\/(compose\/)?/, '').replace(/\/compose\.yaml$/, '');
      return [{ where: `${where}/compose`, env: Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, composeValue(String(value))])) }];
    });
}

type KubeObject = { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: any };
type KubeEnv = { name: string; value?: string; valueFrom?: { secretKeyRef?: { key: string }; fieldRef?: { fieldPath: string } } };

/** What the downward API gives a pod of `service`: its name is its first replica's. */
function fieldStandIn(service: string, fieldPath: string): string {
  if (fieldPath === 'metadata.name') return `${service}-0`;
  throw new Error(`no stand-in for the pod field ${fieldPath}`);
}

/**
 * A container's environment as the kubelet builds it: envFrom first, then env in order, each
 * `$(NAME)` expanded from what is defined before it (`$$(NAME)` stays literal). The hidden
 * variables that only carry a secret into such a value are the target's plumbing, not the
 * model's, and are left out.
 */
function kubernetesRenderings(files: Map<string, string>, service: string): Rendering[] {
  return [...files]
    .filter(([path]) => path.startsWith('dist/kubernetes/') && path.endsWith(`/${service}.yaml`))
    .map(([path, text]) => {
      const objects = parseAllDocuments(text).map((document) => document.toJS() as KubeObject);
      const workload = objects.find((object) => object.kind === 'Deployment' || object.kind === 'StatefulSet');
      const container = workload?.spec.template.spec.containers.find((candidate: { name: string }) => candidate.name === service);
      if (container === undefined) throw new Error(`${path} has no container ${service}`);
      const env: Record<string, string> = {};
      const plumbing = new Set<string>();
      for (const source of container.envFrom ?? []) {
        const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === source.configMapRef?.name);
        if (configMap === undefined) throw new Error(`${path}: envFrom ${JSON.stringify(source)} is not a ConfigMap of this file`);
        Object.assign(env, configMap.data);
      }
      for (const variable of (container.env ?? []) as KubeEnv[]) {
        const secretKey = variable.valueFrom?.secretKeyRef?.key;
        const fieldPath = variable.valueFrom?.fieldRef?.fieldPath;
        if (fieldPath !== undefined) env[variable.name] = fieldStandIn(service, fieldPath);
        else if (secretKey !== undefined) {
          env[variable.name] = secretStandIn(secretKey);
          if (variable.name === compositeSecretVariable(secretKey)) plumbing.add(variable.name);
        } else if (variable.value !== undefined) {
          env[variable.name] = variable.value.replace(/\$?\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name: string) => {
            if (match.startsWith('$$')) return match.slice(1);
            // The kubelet would leave it as written: a reference to nothing defined before it.
            if (env[name] === undefined) throw new Error(`${path}: ${variable.name} refers to ${match}, which nothing defines before it`);
            return env[name];
          });
        } else throw new Error(`${path}: variable ${variable.name} has neither a value nor a secret`);
      }
      return { where: `${path.split('/')[2]}/kubernetes`, env: Object.fromEntries(Object.entries(env).filter(([name]) => !plumbing.has(name))) };
    });
}

function railwayRenderings(files: Map<string, string>, service: string): Rendering[] {
  return [...files]
    .filter(([path]) => /^dist\/railway\/[^/]+\.json$/.test(path))
    .flatMap(([path, text]) => {
      const graph = JSON.parse(text) as RailwayGraph;
      const node = graph.resources.find((resource) => resource.type === 'service' && resource.name === service);
      if (node === undefined || node.type !== 'service') return [];
      const env = Object.fromEntries(
        Object.entries(node.variables ?? {}).map(([name, variable]) => {
          if (variable.type === 'sharedReference') return [name, secretStandIn(variable.name)];
          if (variable.type === 'reference') {
            const output = RAILWAY_DATABASE_OUTPUTS[variable.output];
            if (output === undefined) throw new Error(`${path}: no stand-in for ${variable.resource}.${variable.output}`);
            return [name, output(variable.resource.replace(/^database\./, ''))];
          }
          if (variable.type === 'literal' && typeof variable.value === 'string') return [name, railwayValue(variable.value, service)];
          throw new Error(`${path}: ${service}.${name} is a ${variable.type} variable`);
        }),
      );
      return [{ where: `${graph.environments[0]?.name}/railway`, env }];
    });
}

function renderingsOf(files: Map<string, string>, service: string): Rendering[] {
  return [...composeRenderings(files, service), ...kubernetesRenderings(files, service), ...railwayRenderings(files, service)];
}

/** Problems with one rendering: what the service's reader refuses, and names nothing reads. */
function problemsOf(service: string, env: Record<string, string>): string[] {
  let read: string[];
  try {
    read = (READERS[service] as ServiceReader).read(env);
  } catch (error) {
    return [(error as Error).message];
  }
  return Object.keys(env)
    .filter((name) => !read.includes(name))
    .map((name) => `${name} is rendered, but ${service} reads no such variable`);
}

let files: Map<string, string>;
let expected: Map<string, string[]>;

beforeAll(async () => {
  const { environments, output } = await render();
  files = output.files;
  // Every environment runs each built service on each of its targets.
  expected = new Map(
    Object.keys(READERS).map((service) => [service, environments.flatMap((environment) => environment.settings.targets.map((target) => `${environment.name}/${target}`)).sort()]),
  );
});

describe.each(Object.keys(READERS))('%s, as every environment and target renders it', (service) => {
  it('is rendered once per environment and target', () => {
    expect(renderingsOf(files, service).map((rendering) => rendering.where).sort()).toEqual(expected.get(service));
  });

  it("is accepted by the service's own configuration code, every variable read by it", () => {
    for (const rendering of renderingsOf(files, service)) expect(problemsOf(service, rendering.env), rendering.where).toEqual([]);
  });
});

describe('the check fails on drift', () => {
  const development = (service: string) => {
    const rendering = renderingsOf(files, service).find((candidate) => candidate.where === 'development/compose');
    if (rendering === undefined) throw new Error(`no development rendering of ${service}`);
    return { ...rendering.env };
  };
  const renamed = (env: Record<string, string>, from: string, to: string) => {
    const { [from]: value, ...rest } = env;
    return { ...rest, [to]: value as string };
  };

  it('a required variable renamed', () => {
    expect(problemsOf('frontend', renamed(development('frontend'), 'MCP_SERVER_URL', 'MCP_URL'))).toEqual(['invalid configuration: MCP_SERVER_URL is not set']);
  });

  it("a required variable of the bridge renamed, and a worker range it cannot read", () => {
    expect(problemsOf('jitsi-agent-bridge', renamed(development('jitsi-agent-bridge'), 'TEN_AGENT_URLS', 'TEN_AGENT_URL'))).toEqual([
      'invalid configuration: TEN_AGENT_URLS is not set',
    ]);
    expect(problemsOf('jitsi-agent-bridge', { ...development('jitsi-agent-bridge'), TEN_WORKER_PORTS: '8800..8801' })).toEqual([
      expect.stringContaining('TEN_WORKER_PORTS must be a port range'),
    ]);
  });

  it('a variable with a default renamed, which the schema alone would not notice', () => {
    expect(problemsOf('mcp-server', renamed(development('mcp-server'), 'LOG_LEVEL', 'LOGLEVEL'))).toEqual(['LOGLEVEL is rendered, but mcp-server reads no such variable']);
  });

  it("a workflow's token the catalog needs, dropped", () => {
    const { PIPEDREAM_WORKFLOW_TOKEN: _, ...env } = development('mcp-server');
    expect(problemsOf('mcp-server', env)).toEqual([expect.stringContaining('field tokenEnv: environment variable PIPEDREAM_WORKFLOW_TOKEN is not set')]);
  });

  it('a value of the wrong shape', () => {
    expect(problemsOf('frontend', { ...development('frontend'), DATABASE_URL: 'postgres.example.com:5432' })).toEqual([
      'invalid configuration: DATABASE_URL must be a postgresql:// URL',
    ]);
  });

  it('a platform reference it cannot stand in for', () => {
    expect(() => railwayValue('${{mcp-server.RAILWAY_TCP_PROXY_PORT}}', 'frontend')).toThrow('no stand-in for the Railway reference');
    expect(() => composeValue('http://$HOST:8080')).toThrow('no stand-in for the Compose interpolation');
    expect(composeValue('a$$b ${TOKEN:?TOKEN is not set}')).toBe('a$b token-stand-in-0123456789abcdef');
  });

  it('a Kubernetes $(VAR) that nothing defines before it, which the kubelet would pass on as written', () => {
    const deployment = {
      kind: 'Deployment',
      metadata: { name: 'mcp-server' },
      spec: { template: { spec: { containers: [{ name: 'mcp-server', env: [{ name: 'DATABASE_URL', value: 'postgresql://u:$(__SECRET_PASSWORD)@db:5432/d' }] }] } } },
    };
    const files = new Map([['dist/kubernetes/test/mcp-server.yaml', JSON.stringify(deployment)]]);
    expect(() => kubernetesRenderings(files, 'mcp-server')).toThrow('DATABASE_URL refers to $(__SECRET_PASSWORD), which nothing defines before it');
  });
});
