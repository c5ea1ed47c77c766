import { beforeAll, describe, expect, it } from 'vitest';
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
    ['duplicate-service-name', 'api', 'name', 'duplicate service name: declared at "broken/team-a/api" and again at "broken/team-b/api"'],
    ['host-port-collision', 'admin', 'ports[0]', 'host port 8080/tcp is already published by service "web"'],
    ['unknown-dependency', 'worker', 'dependsOn[0]', 'depends on unknown service "queue"'],
    ['dependency-cycle', 'api', 'dependsOn', 'dependency cycle: api → cache → api'],
    ['floating-tag', 'web', 'image', 'image "nginx:latest" uses the floating tag "latest"'],
    ['declared-secret-literal', 'ten-agent', 'env.DEEPGRAM_API_KEY', 'literal value for a variable declared secret'],
    ['credential-literal', 'bot', 'env.LLM_CONFIG', 'looks like an OpenAI-style secret key'],
    ['high-entropy-literal', 'bot', 'env.WEBHOOK_TOKEN', 'long random-looking string'],
    ['jitsi-version-mismatch', 'jitsi-web', 'image', 'Jitsi components must run one version: "jitsi-web" uses stable-10978 but "jitsi-prosody" uses stable-11146-2'],
    ['public-without-health-check', 'web', 'healthCheck', 'a public service needs a health check'],
    ['railway-replicas-with-volume', 'uploads', 'replicas', 'Railway cannot run replicas of a service with a volume, got 2 replicas and volume "files"'],
    ['railway-public-udp', 'jitsi-jvb', 'ports[0]', 'Railway has no public UDP, so public port 10000/udp cannot run there; list "jitsi-jvb" in railway.offRailway'],
  ])('%s: exits 1 with one message naming environment, service and field, and writes nothing', (name, service, field, message) => {
    const result = runCli(['synth', '--env-file', fixture(name), '--out', previous]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`error: environment "broken", service "${service}", field "${field}": ${result.stderr.split(`field "${field}": `)[1]?.split('\n')[0]}\nnothing was written.\n`);
    expect(result.stderr).toContain(message);
    expect(readTree(previous)).toEqual(previousTree);
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
    expect(result.stdout).toMatch(/wrote 6 files under .* in \d+\.\d+ s/);
    expect([...readTree(out).keys()]).toEqual([
      '.railway/railway.ts',
      'dist/compose/minimal/compose.yaml',
      'dist/kubernetes/minimal/_namespace.yaml',
      'dist/kubernetes/minimal/web.yaml',
      'dist/minimal.md',
      'dist/railway/minimal.json',
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
