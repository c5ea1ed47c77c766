import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { servicesOf, TenAgent, type StackEnvironment } from '../../constructs/index.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { TENAPP_MANIFEST_PATH, TENAPP_PROPERTY_PATH } from '../../constructs/ten/tenapp.ts';
import { tenManifestSchema, tenPropertyFileSchema } from '../../constructs/ten/ten-schemas.ts';
import type { RenderedOutput } from '../../charts/rendered-output.ts';
import { render } from '../helpers/synth.ts';

let environments: StackEnvironment[];
let output: RenderedOutput;

beforeAll(async () => {
  ({ environments, output } = await render());
});

function agentOf(environment: StackEnvironment): TenAgent {
  const agent = servicesOf(environment).find((service): service is TenAgent => service instanceof TenAgent);
  if (agent === undefined) throw new Error(`no TEN agent in ${environment.name}`);
  return agent;
}

/** The variable names each target gives the ten-agent container in one environment. */
function renderedVariables(environment: StackEnvironment): Map<string, Set<string>> {
  const byTarget = new Map<string, Set<string>>();
  if (environment.renders('compose')) {
    const compose = parse(output.files.get(`dist/compose/${environment.name}/compose.yaml`) ?? '') as any;
    byTarget.set('compose', new Set(Object.keys(compose.services['ten-agent-0'].environment)));
  }
  if (environment.renders('kubernetes')) {
    const objects = parseAllDocuments(output.files.get(`dist/kubernetes/${environment.name}/ten-agent.yaml`) ?? '').map((document) => document.toJS());
    const configMap = objects.find((object) => object.kind === 'ConfigMap');
    const deployment = objects.find((object) => object.kind === 'StatefulSet');
    const names = new Set<string>([...Object.keys(configMap?.data ?? {}), ...deployment.spec.template.spec.containers[0].env.map((entry: any) => entry.name)]);
    byTarget.set('kubernetes', names);
  }
  if (environment.renders('railway')) {
    const railway = JSON.parse(output.files.get(`dist/railway/${environment.name}.json`) ?? '{}');
    const service = railway.resources.find((resource: any) => resource.address === 'service.ten-agent-0');
    byTarget.set('railway', new Set(Object.keys(service.variables)));
  }
  return byTarget;
}

describe('the tenapp synth writes', () => {
  it('is committed as rendered, and TEN’s schemas accept it', () => {
    for (const path of [TENAPP_PROPERTY_PATH, TENAPP_MANIFEST_PATH]) {
      expect(readFileSync(join(REPO_ROOT, path), 'utf8'), `${path} (run npm run synth)`).toBe(output.files.get(path));
    }
    expect(tenPropertyFileSchema.safeParse(JSON.parse(output.files.get(TENAPP_PROPERTY_PATH) ?? '')).success).toBe(true);
    expect(tenManifestSchema.safeParse(JSON.parse(output.files.get(TENAPP_MANIFEST_PATH) ?? '')).success).toBe(true);
  });

  it('has TEN log plain lines to stdout, in the log configuration TEN’s schema accepts', () => {
    const property = JSON.parse(output.files.get(TENAPP_PROPERTY_PATH) ?? '');
    const handler = { matchers: [{ level: 'info' }], formatter: { type: 'plain', colored: false }, emitter: { type: 'console', config: { stream: 'stdout' } } };
    expect(property.ten.log).toEqual({ handlers: [handler] });
    const accepted = (log: unknown) => tenPropertyFileSchema.safeParse({ ten: { ...property.ten, log } }).success;
    expect(accepted({ handlers: [handler] })).toBe(true);
    // TEN's formatters are "plain" and "json", spelled so, with `colored` their only option.
    expect(accepted({ handlers: [{ ...handler, formatter: { type: 'JSON' } }] })).toBe(false);
    expect(accepted({ handlers: [{ ...handler, formatter: { type: 'json', pretty: true } }] })).toBe(false);
    expect(accepted({ handlers: [{ ...handler, emitter: { type: 'console', config: { stream: 'stdlog' } } }] })).toBe(false);
  });

  it('holds the graph of every environment, and the agent bridge starts that graph', () => {
    const property = JSON.parse(output.files.get(TENAPP_PROPERTY_PATH) ?? '');
    const names = property.ten.predefined_graphs.map((graph: { name: string }) => graph.name);
    for (const environment of environments) {
      expect(names).toContain(agentOf(environment).graphName);
      const bridge = servicesOf(environment).find((service) => service.name === 'jitsi-agent-bridge');
      expect(bridge?.env['TEN_AGENT_GRAPH']).toBe(agentOf(environment).graphName);
    }
  });

  it('reads only variables every target gives ten-agent, in every environment', () => {
    for (const environment of environments) {
      const required = agentOf(environment).graph.envReferences.filter((reference) => reference.defaultValue === undefined).map((reference) => reference.variable);
      expect(required.length).toBeGreaterThan(5);
      for (const [target, names] of renderedVariables(environment)) {
        for (const variable of required) expect(names.has(variable), `${environment.name}/${target} sets ${variable}`).toBe(true);
      }
    }
  });

  it('needs only secrets that dist/secrets/<env>.json lists for ten-agent', () => {
    for (const environment of environments) {
      // Compose and Railway list the first replica under its own name, ten-agent-0; Kubernetes the service.
      const services = JSON.parse(readFileSync(join(REPO_ROOT, `dist/secrets/${environment.name}.json`), 'utf8')).services;
      const listed = { ...services['ten-agent'], ...services['ten-agent-0'] };
      const agent = agentOf(environment);
      // MCP_SERVER_URL carries the agent's token, which is the secret.
      const expected = agent.graph.secretVariables.map((variable) => (variable === 'MCP_SERVER_URL' ? 'MCP_TEN_AGENT_TOKEN' : variable));
      for (const name of expected) expect(Object.keys(listed), `${environment.name}: ${name}`).toContain(name);
      expect(Object.keys(listed)).not.toContain('AGORA_APP_ID');
    }
  });

  it('builds ten-agent from our Dockerfile in every environment and target', () => {
    for (const environment of environments) {
      if (environment.renders('compose')) {
        const compose = parse(output.files.get(`dist/compose/${environment.name}/compose.yaml`) ?? '') as any;
        expect(compose.services['ten-agent-0'].build).toEqual({ context: '../../../services/ten-agent', dockerfile: 'Dockerfile' });
        expect(compose.services['ten-agent-0'].ports).toBeUndefined();
      }
      if (environment.renders('kubernetes')) {
        const text = output.files.get(`dist/kubernetes/${environment.name}/ten-agent.yaml`) ?? '';
        expect(text).toMatch(/image: ghcr\.io\/[^\s]+\/ten-agent:sha-[0-9a-f]{12}\n/);
        expect(text).not.toContain('ten_agent_example_voice_assistant');
        expect(text).not.toContain('containerPort: 3000');
      }
      if (environment.renders('railway')) {
        const railway = JSON.parse(output.files.get(`dist/railway/${environment.name}.json`) ?? '{}');
        const service = railway.resources.find((resource: any) => resource.address === 'service.ten-agent-0');
        expect(service.source).toMatchObject({ type: 'github', rootDirectory: 'services/ten-agent' });
        expect(service.build).toEqual({ builder: 'DOCKERFILE', dockerfilePath: 'Dockerfile', watchPatterns: ['/services/ten-agent/Dockerfile', '/services/ten-agent/drain/**', '/services/ten-agent/telemetry/**', '/services/ten-agent/tenapp/**'] });
        // No playground owns PORT any more: Railway gates the deploy on /health.
        expect(service.deploy.healthcheckPath).toBe('/health');
      }
    }
  });
});
