import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOPPLER_REPO_CONFIG_PATH, type SecretConsumer } from '../../charts/doppler/index.ts';
import type { RenderedOutput } from '../../charts/rendered-output.ts';
import { toJson } from '../../charts/serialize.ts';
import { synth } from '../../cli/synth.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { specErrorOf, testEnvironment } from '../helpers/model.ts';
import { readTree, render, temporaryDirectory } from '../helpers/synth.ts';

type SecretList = {
  environment: string;
  doppler: { project: string; config: string };
  railway?: { secretSync: string };
  provenance: Record<string, string>;
  services: Record<string, Record<string, SecretConsumer[]>>;
};

let output: RenderedOutput;

beforeAll(async () => {
  ({ output } = await render());
});

function secretList(environment: string): SecretList {
  const text = output.files.get(`dist/secrets/${environment}.json`);
  if (text === undefined) throw new Error(`no dist/secrets/${environment}.json`);
  return JSON.parse(text) as SecretList;
}

/** name → consumers of one service, or undefined when the service needs no secret. */
function needs(environment: string, service: string): Record<string, SecretConsumer[]> | undefined {
  return secretList(environment).services[service];
}

describe('dist/secrets/<env>.json', () => {
  it('is rendered for every environment, with its Doppler project and config', () => {
    expect([...output.files.keys()].filter((path) => path.startsWith('dist/secrets/')).sort()).toEqual([
      'dist/secrets/development.json',
      'dist/secrets/production.json',
      'dist/secrets/staging.json',
    ]);
    expect(secretList('development').doppler).toEqual({ project: 'voice-agent', config: 'dev' });
    expect(secretList('staging').doppler).toEqual({ project: 'voice-agent', config: 'stg' });
    expect(secretList('production')).toMatchObject({ environment: 'production', doppler: { config: 'prd' }, railway: { secretSync: 'doppler-integration' } });
    expect(secretList('development').railway).toBeUndefined();
  });

  it('lists, per service, each secret it needs and which targets read it', () => {
    const agentKeys = ['DEEPGRAM_API_KEY', 'ELEVENLABS_TTS_KEY', 'MCP_TEN_AGENT_TOKEN', 'OPENAI_API_KEY'];
    // Kubernetes runs the TEN agent as one StatefulSet; Railway runs each replica as a service of
    // its own, listed under its own name. The in-cluster Redis URL carries Redis's password.
    expect(needs('staging', 'ten-agent')).toEqual({ ...Object.fromEntries(agentKeys.map((key) => [key, ['kubernetes']])), REDIS_PASSWORD: ['kubernetes'] });
    expect(needs('staging', 'ten-agent-0')).toEqual(Object.fromEntries(agentKeys.map((key) => [key, ['railway']])));
    expect(needs('production', 'ten-agent-1')).toEqual(Object.fromEntries(agentKeys.map((key) => [key, ['railway']])));
    expect(needs('development', 'ten-agent-0')).toEqual({ ...Object.fromEntries(agentKeys.map((key) => [key, ['compose']])), REDIS_PASSWORD: ['compose'] });
    expect(needs('development', 'ten-agent')).toBeUndefined();
    // The media host runs the video bridge from `doppler run`, off Railway.
    expect(needs('staging', 'jitsi-jvb')).toEqual({ JVB_AUTH_PASSWORD: ['kubernetes', 'off-railway'] });
    // In-cluster databases: consumers' URLs carry the database passwords; Railway runs its own databases.
    expect(needs('staging', 'frontend')?.['POSTGRES_PASSWORD']).toEqual(['kubernetes']);
    expect(needs('staging', 'postgres')).toEqual({ POSTGRES_PASSWORD: ['kubernetes'] });
    // External databases: Kubernetes reads the connection URLs from Doppler, and nobody needs the passwords.
    expect(needs('production', 'frontend')?.['DATABASE_URL']).toEqual(['kubernetes']);
    expect(needs('production', 'mcp-server')?.['REDIS_URL']).toEqual(['kubernetes']);
    expect(needs('production', 'postgres')).toBeUndefined();
    expect(output.files.get('dist/secrets/production.json')).not.toContain('POSTGRES_PASSWORD');
    // Compose runs everything, databases included.
    expect(needs('development', 'frontend')).toEqual({
      AGENT_BRIDGE_TOKEN: ['compose'],
      CONSOLE_SESSION_SECRET: ['compose'],
      JWT_APP_SECRET: ['compose'],
      MCP_CONSOLE_TOKEN: ['compose'],
      OIDC_CLIENT_SECRET: ['compose'],
      POSTGRES_PASSWORD: ['compose'],
      REDIS_PASSWORD: ['compose'],
    });
  });

  it('is sorted and deterministic, and holds names only', async () => {
    const again = (await render()).output;
    for (const environment of ['development', 'staging', 'production']) {
      const path = `dist/secrets/${environment}.json`;
      const text = output.files.get(path) as string;
      expect(again.files.get(path)).toBe(text);
      const list = secretList(environment);
      expect(text).toBe(toJson(list));
      expect(Object.keys(list.services)).toEqual(Object.keys(list.services).sort());
      for (const byName of Object.values(list.services)) {
        expect(Object.keys(byName)).toEqual(Object.keys(byName).sort());
        for (const [name, consumers] of Object.entries(byName)) {
          expect(name).toMatch(/^[A-Z_][A-Z0-9_]*$/);
          expect(consumers.length).toBeGreaterThan(0);
          expect(consumers).toEqual([...new Set(consumers)].sort());
        }
      }
    }
  });

  it('agrees with what each target reads: DopplerSecrets, Railway shared variables and Compose interpolation', () => {
    for (const environment of ['development', 'staging', 'production']) {
      const list = secretList(environment);
      const expected = (consumer: SecretConsumer) =>
        Object.entries(list.services)
          .flatMap(([service, byName]) => Object.entries(byName).filter(([, consumers]) => consumers.includes(consumer)).map(([name]) => `${service} ${name}`))
          .sort();

      // Kubernetes: exactly the names each service's DopplerSecret copies.
      const kubernetes = [...output.files]
        .filter(([path]) => path.startsWith(`dist/kubernetes/${environment}/`))
        .flatMap(([, text]) => parseAllDocuments(text).map((document) => document.toJS() as { kind: string; metadata: { labels?: Record<string, string> }; spec: { secrets: string[] } }))
        .filter((object) => object.kind === 'DopplerSecret')
        .flatMap((object) => object.spec.secrets.map((name) => `${object.metadata.labels?.['app.kubernetes.io/name']} ${name}`))
        .sort();
      expect(kubernetes, environment).toEqual(expected('kubernetes'));

      // Railway: exactly the ${{shared.X}} references of each service in its graph.
      const graph = output.files.get(`dist/railway/${environment}.json`);
      const railway = graph === undefined ? [] : sharedReferences(JSON.parse(graph));
      expect(railway, environment).toEqual(expected('railway'));

      // Compose (and the media host's Compose file): every ${X:?…} that names a secret.
      const compose = output.files.get(`dist/compose/${environment}/compose.yaml`);
      if (compose !== undefined) expect(composeSecrets(compose), environment).toEqual(expected('compose'));
      const mediaHost = output.files.get(`dist/railway/${environment}-media-host/compose.yaml`);
      if (mediaHost !== undefined) expect(composeSecrets(mediaHost), environment).toEqual(expected('off-railway'));
    }
  });
});

/** `service NAME` for every shared variable a Railway graph's services read: `sharedReference`s and `${{shared.NAME}}` in literals. */
function sharedReferences(graph: unknown): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, service: string | undefined): void => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(/\$\{\{\s*shared\.([A-Z0-9_]+)\s*\}\}/g)) if (service !== undefined) found.add(`${service} ${match[1]}`);
    } else if (Array.isArray(value)) value.forEach((item) => walk(item, service));
    else if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (record['type'] === 'sharedReference' && service !== undefined) found.add(`${service} ${String(record['name'])}`);
      const name = typeof record['name'] === 'string' && record['type'] === 'service' ? (record['name'] as string) : service;
      for (const child of Object.values(record)) walk(child, name);
    }
  };
  walk(graph, undefined);
  return [...found].sort();
}

/** `service NAME` for every variable a Compose file interpolates, other than Railway's TCP proxy addresses. */
function composeSecrets(text: string): string[] {
  const document = parse(text) as { services: Record<string, { environment?: Record<string, string> }> };
  const found = new Set<string>();
  for (const [service, definition] of Object.entries(document.services)) {
    for (const value of Object.values(definition.environment ?? {})) {
      // Required (`:?`), or optional (`:-`) for the secrets only the voice profile reads.
      for (const match of String(value).matchAll(/\$\{([A-Z0-9_]+):[?-]/g)) if (!/_TCP_\d+_(DOMAIN|PORT)$/.test(match[1] as string)) found.add(`${service} ${match[1]}`);
    }
  }
  return [...found].sort();
}

describe('doppler.yaml', () => {
  it('maps the repository root and each built service\'s folder to the local environment\'s project and config', () => {
    const text = output.files.get(DOPPLER_REPO_CONFIG_PATH) as string;
    expect(text).toMatch(/^# Doppler repository config, generated by npm run synth from environments\/development\.ts; do not edit\.\n/);
    expect(parse(text)).toEqual({
      setup: [
        { project: 'voice-agent', config: 'dev', path: '.' },
        { project: 'voice-agent', config: 'dev', path: 'services/frontend' },
        { project: 'voice-agent', config: 'dev', path: 'services/jitsi-agent-bridge' },
        { project: 'voice-agent', config: 'dev', path: 'services/mcp-server' },
        { project: 'voice-agent', config: 'dev', path: 'services/ten-agent' },
      ],
    });
  });

  it('names folders that exist, once each, relative to the repository root where doppler setup reads it', () => {
    const setup = (parse(output.files.get(DOPPLER_REPO_CONFIG_PATH) as string) as { setup: Array<{ path: string }> }).setup;
    const paths = setup.map((entry) => entry.path);
    expect(new Set(paths).size).toBe(paths.length);
    for (const path of paths.slice(1)) expect(existsSync(join(REPO_ROOT, path, 'Dockerfile')), path).toBe(true);
  });

  it('is written at the root of the output, next to dist/, and is removed when no environment runs locally', async () => {
    const out = temporaryDirectory();
    await synth({ outDir: out, log: () => {} });
    expect(readTree(out).get(DOPPLER_REPO_CONFIG_PATH)).toBe(output.files.get(DOPPLER_REPO_CONFIG_PATH));
    await synth({ envFiles: [join(REPO_ROOT, 'environments/staging.ts')], outDir: out, log: () => {} });
    expect(existsSync(join(out, DOPPLER_REPO_CONFIG_PATH))).toBe(false);
    expect(readTree(join(out, 'dist')).has('secrets/staging.json')).toBe(true);
  });

  it('is committed as synth renders it (run `npm run synth` when this fails)', () => {
    expect(readFileSync(join(REPO_ROOT, DOPPLER_REPO_CONFIG_PATH), 'utf8')).toBe(output.files.get(DOPPLER_REPO_CONFIG_PATH));
  });
});

describe('Doppler config names', () => {
  it.each(['dev', 'stg', 'prd', 'prd_railway', 'dev_personal', 'stg_eu_west'])('accepts %s', (config) => {
    expect(testEnvironment({ doppler: { project: 'voice-agent', config } }).settings.doppler.config).toBe(config);
  });

  it.each(['frontend-prd', 'prd-railway', 'frontend_prd', 'production', 'PRD', 'prd_', 'prd__railway', 'railway_prd'])(
    'refuses %s, naming the environment and the field',
    (config) => {
      const error = specErrorOf(() => testEnvironment({ doppler: { project: 'voice-agent', config } }));
      expect(error.location).toEqual({ environment: 'test', field: 'doppler.config' });
      expect(error.message).toBe(
        `environment "test", field "doppler.config": must be a Doppler config name: a root config (dev, stg, prd) or a branch config named <root>_<suffix> such as prd_railway (lowercase letters, digits and _; the root comes first), got "${config}"`,
      );
    },
  );
});
