import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { synth } from '../../cli/synth.ts';
import { fixture, readTree, runCli, temporaryDirectory } from '../helpers/synth.ts';

/** Output left by a previous good synth; every failed run must leave it byte for byte. */
let previous: string;
let previousTree: Map<string, string>;

beforeAll(async () => {
  previous = temporaryDirectory();
  await synth({ envFiles: [fixture('minimal')], outDir: previous, log: () => {} });
  previousTree = readTree(previous);
  expect(previousTree.size).toBeGreaterThan(3);
});

describe('npm run synth -- --env-file <file> --out <dir>', () => {
  it.each([
    ['duplicate-service-name', 'service "api", field "name": duplicate service name: declared at "broken/team-a/api" and again at "broken/team-b/api"'],
    ['host-port-collision', 'service "admin", field "ports[0]": host port 8080/tcp is already published by service "web"; give one of them another hostPort'],
    ['unknown-dependency', 'service "worker", field "dependsOn[0]": depends on unknown service "queue" (not declared in this environment)'],
    ['dependency-cycle', 'service "api", field "dependsOn": dependency cycle: api → cache → api; no service in a cycle could ever start first'],
    ['floating-tag', 'service "web", field "image": image "nginx:latest" uses the floating tag "latest"; pin a release tag such as 1.2.3 or stable-NNNN'],
    [
      'declared-secret-literal',
      'service "ten-agent", field "env.DEEPGRAM_API_KEY": literal value for a variable declared secret; reference the Doppler secret with secret("DEEPGRAM_API_KEY") instead',
    ],
    [
      'credential-literal',
      'service "bot", field "env.LLM_CONFIG": the literal value looks like an OpenAI-style secret key (sk-…); never put secrets in the stack description, use secret("LLM_CONFIG") and store the value in Doppler',
    ],
    [
      'high-entropy-literal',
      'service "bot", field "env.WEBHOOK_TOKEN": the literal value under a credential-style name is a long random-looking string (32 characters); never put secrets in the stack description, use secret("WEBHOOK_TOKEN") and store the value in Doppler',
    ],
    [
      'jitsi-version-mismatch',
      'service "jitsi-web", field "image": Jitsi components must run one version: "jitsi-web" uses stable-10978 but "jitsi-prosody" uses stable-11146-2',
    ],
    [
      'ten-agent-unset-variable',
      'service "ten-agent", field "graph.voice_agent.nodes[5].property.url": ${env:MCP_SERVER_URL} has no default and the ten-agent service does not set MCP_SERVER_URL; give it in TenAgent\'s options or env',
    ],
    ['public-without-health-check', 'service "web", field "healthCheck": a public service needs a health check, so traffic only reaches it when it is ready'],
    [
      'railway-replicas-with-volume',
      'service "uploads", field "replicas": Railway cannot run replicas of a service with a volume, got 2 replicas and volume "files"',
    ],
    [
      'railway-public-udp',
      'service "jitsi-jvb", field "ports[0]": Railway has no public UDP, so public port 10000/udp cannot run there; list "jitsi-jvb" in railway.offRailway to render it for a UDP-capable host instead',
    ],
  ])('%s: exits 1 with one message naming environment, service and field, and writes nothing', (name, message) => {
    const result = runCli(['synth', '--env-file', fixture(name), '--out', previous]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`error: environment "broken", ${message}\nnothing was written.\n`);
    expect(readTree(previous)).toEqual(previousTree);
  });

  it('explains an environment file that does not load or does not build an environment', () => {
    const directory = temporaryDirectory();
    writeFileSync(join(directory, 'syntax.ts'), 'export default function (scope {\n');
    writeFileSync(join(directory, 'number.ts'), 'export default 42;\n');
    const syntax = runCli(['synth', '--env-file', join(directory, 'syntax.ts'), '--out', previous]);
    expect(syntax.status).toBe(1);
    expect(syntax.stderr).toMatch(/^error: .*syntax\.ts could not be loaded: .+\nnothing was written\.\n$/);
    const number = runCli(['synth', '--env-file', join(directory, 'number.ts'), '--out', previous]);
    expect(number.status).toBe(1);
    expect(number.stderr).toContain('number.ts must default-export a function (scope) => StackEnvironment');
    expect(readTree(previous)).toEqual(previousTree);
  });

  it('refuses --env-file without --out, which would replace the committed output with part of it', () => {
    const cwd = temporaryDirectory();
    const tsx = pathToFileURL(createRequire(join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
    const result = spawnSync(
      process.execPath,
      ['--import', tsx, join(REPO_ROOT, 'cli/index.ts'), 'synth', '--', '--env-file', join(REPO_ROOT, fixture('minimal'))],
      { cwd, encoding: 'utf8' },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--env-file renders only the files given, so it needs --out <dir>');
    expect(readTree(cwd).size).toBe(0);
  });

  it('says which environment file is missing', () => {
    const result = runCli(['synth', '--env-file', 'environments/nope.ts', '--out', previous]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('environment file environments/nope.ts does not exist');
    expect(readTree(previous)).toEqual(previousTree);
  });

  it('renders a good environment file into another directory and prints a summary', () => {
    const out = temporaryDirectory();
    const result = runCli(['synth', '--env-file', fixture('minimal'), '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('minimal  1 services × compose, kubernetes, railway');
    expect(result.stdout).toMatch(/wrote 8 files under .* in \d+\.\d+ s/);
    expect([...readTree(out).keys()]).toEqual([
      '.railway/railway.ts',
      'dist/compose/minimal/compose.yaml',
      'dist/kubernetes/minimal/_namespace.yaml',
      'dist/kubernetes/minimal/web.yaml',
      'dist/minimal.md',
      'dist/railway/minimal.json',
      'dist/secrets/minimal.json',
      'doppler.yaml',
    ]);
  });

  it('replaces the whole of dist/, so files of removed services disappear', async () => {
    const out = temporaryDirectory();
    await synth({ envFiles: [fixture('database-consumer')], outDir: out, log: () => {} });
    expect(readTree(out).has('dist/kubernetes/consumer/postgres.yaml')).toBe(true);
    await synth({ envFiles: [fixture('minimal')], outDir: out, log: () => {} });
    const files = [...readTree(out).keys()];
    expect(files.some((file) => file.includes('consumer'))).toBe(false);
    expect(files.some((file) => file.includes('.synth-'))).toBe(false);
  });

  it('produces byte-identical output on every run', async () => {
    const [first, second] = [temporaryDirectory(), temporaryDirectory()];
    await synth({ outDir: first, log: () => {} });
    await synth({ outDir: second, log: () => {} });
    expect(readTree(first)).toEqual(readTree(second));
    const text = [...readTree(first).values()].join('\n');
    expect(text).not.toMatch(/20\d\d-\d\d-\d\dT\d\d:\d\d/);
  });

  it('documents its options', () => {
    const result = runCli(['synth', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('--env-file <file...>');
    expect(result.stdout).toContain('--out <dir>');
  });
});
