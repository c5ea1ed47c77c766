import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { GeneratorBug } from '../../cli/cli-error.ts';
import { environmentFileError } from '../../cli/environment-file-errors.ts';
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
    [
      'dependency-used-before-creation',
      'service "worker", field "dependsOn[0]": must be a service or the name of one, got undefined (a service used before it was created, or a property that does not exist?)',
    ],
    ['service-declared-twice', 'service "api", field "name": "broken/api" is declared twice in the same scope; give each construct its own id'],
    ['dockerfile-outside-repository', 'service "api", field "build.dockerfile": must not leave the repository, got "../../../etc/passwd"'],
    [
      'credential-in-url',
      'service "bot", field "env.UPSTREAM_URL": the literal value contains an OpenAI-style secret key (sk-…); never put secrets in the stack description, use secret("UPSTREAM_URL") and store the value in Doppler',
    ],
    [
      'credential-in-interpolation',
      'service "bot", field "env.UPSTREAM": the literal value contains an HTTP Bearer credential; never put secrets in the stack description, use secret("UPSTREAM") and store the value in Doppler',
    ],
    [
      'off-railway-variable-name',
      'field "railway.offRailwayEnv.media.ADVERTISE-IPS": must be an environment variable name (letters, digits and _, not starting with a digit), got key "ADVERTISE-IPS"',
    ],
    [
      'off-railway-variables-unused',
      'service "media", field "railway.offRailwayEnv.media": "media" does not run off Railway, so these variables would never be used; list it in railway.offRailway or remove them',
    ],
    ['domain-ip-address', 'field "domain": must be a DNS name, not an IP address, got "203.0.113.7"'],
    ['public-hostname-ip-address', 'field "publicHostnames.web": must be a DNS name, not an IP address, got "198.51.100.4"'],
    [
      'udp-health-check',
      'service "media", field "healthCheck.http.port": health check port 10000 is UDP only, and an HTTP health check needs a TCP listener; give the TCP port the service answers HTTP on (10000/udp)',
    ],
    [
      'dependency-scaled-to-zero',
      'service "worker", field "env.QUEUE_URL": depends on "queue", which runs 0 replicas, so it would wait for a service that never starts; give "queue" replicas, or scale "worker" to 0 too',
    ],
    [
      'singleton-replicas',
      'service "postgres", field "replicas": PostgreSQL here is one server that owns its data volume, and replicas would be separate servers with separate data, so it must run 1 replica, got 2',
    ],
    [
      'jitsi-mirror-version-mismatch',
      'service "jitsi-web", field "image": Jitsi components must run one version: "jitsi-web" uses stable-10978 but "jitsi-prosody" uses stable-11146-2',
    ],
  ])('%s: exits 1 with one message naming environment, service and field, and writes nothing', (name, message) => {
    const result = runCli(['synth', '--env-file', fixture(name), '--out', previous]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`error: environment "broken", ${message}\nnothing was written.\n`);
    expect(readTree(previous)).toEqual(previousTree);
  });

  it.each([
    ['runtime-error', 'test/fixtures/environments/runtime-error.ts:12:113: TypeError: Cannot read properties of undefined (reading \'url\')'],
    [
      'construct-id-refused',
      "test/fixtures/environments/construct-id-refused.ts:12:3: the constructs library refused it: There is already a Construct with name 'team' in StackEnvironment [broken]",
    ],
    ['empty-environment-name', 'environment "": environment name must be a lowercase DNS label of at most 32 characters, got ""'],
    [
      'two-environments',
      'test/fixtures/environments/two-environments.ts builds 2 environments ("forgotten", "broken"); an environment file builds exactly one, so give each its own file',
    ],
    ['returns-promise', 'test/fixtures/environments/returns-promise.ts: its default export returned a Promise; build the environment synchronously and return it'],
  ])('%s: one message naming the file (and line and column where the file threw), no stack trace, nothing written', (name, message) => {
    const result = runCli(['synth', '--env-file', fixture(name), '--out', previous]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`error: ${message}\nnothing was written.\n`);
    expect(readTree(previous)).toEqual(previousTree);
  });

  it('explains an environment file that does not load or does not build an environment, with the line and column of a syntax error', () => {
    const directory = temporaryDirectory();
    const files = {
      // esbuild counts the column in bytes from 0; editors count characters from 1.
      'syntax.ts': "// one line before\nconst label = 'éé'; export default function (scope {\n",
      'helper-syntax.ts': "import { settings } from './broken-helper.ts';\nexport default () => settings;\n",
      'broken-helper.ts': "export const settings = { domain: 'localhost' ;\n",
      'top-level.ts': "const environments: string[] = [];\nconst first = environments[0]!.trim();\nexport default () => first;\n",
      'throws-string.ts': "export default function () {\n  throw 'no environment today';\n}\n",
      'missing-import.ts': "import './nowhere.ts';\nexport default () => undefined;\n",
      'number.ts': 'export default 42;\n',
      'returns-undefined.ts': 'export default function () {}\n',
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
    const stderr = (name: string) => {
      const result = runCli(['synth', '--env-file', join(directory, name), '--out', previous]);
      expect(result.status, result.stderr).toBe(1);
      return result.stderr;
    };
    const at = (name: string) => join(directory, name);
    expect(stderr('syntax.ts')).toBe(`error: ${at('syntax.ts')}:2:52: syntax error: Expected ")" but found "{"\nnothing was written.\n`);
    expect(stderr('helper-syntax.ts')).toBe(`error: ${at('broken-helper.ts')}:1:47: syntax error: Expected "}" but found ";"\nnothing was written.\n`);
    expect(stderr('top-level.ts')).toBe(`error: ${at('top-level.ts')}:2:32: TypeError: Cannot read properties of undefined (reading 'trim')\nnothing was written.\n`);
    expect(stderr('throws-string.ts')).toBe(`error: ${at('throws-string.ts')}: threw "no environment today", which is not an Error, so no line is known\nnothing was written.\n`);
    expect(stderr('missing-import.ts')).toMatch(/^error: \/.*\/missing-import\.ts could not be loaded: Cannot find module '[^']*nowhere\.ts'.*\nnothing was written\.\n$/);
    expect(stderr('number.ts')).toBe(`error: ${at('number.ts')} must default-export a function (scope) => StackEnvironment\nnothing was written.\n`);
    expect(stderr('returns-undefined.ts')).toBe(
      `error: ${at('returns-undefined.ts')}: its default export must return the StackEnvironment it builds, got undefined (a missing return?)\nnothing was written.\n`,
    );
    expect(readTree(previous)).toEqual(previousTree);
  });

  it('reports an error the generator itself throws as its bug, with the line of the file that reached it, not as a stack trace', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'name')");
    bug.stack = [
      `TypeError: ${bug.message}`,
      `    at checkDependencies (${REPO_ROOT}/constructs/stack-validation.ts:10:5)`,
      `    at new StackService (file://${REPO_ROOT}/constructs/stack-service.ts:20:7)`,
      `    at staging (${REPO_ROOT}/environments/staging.ts:30:3)`,
      `    at loadEnvironments (${REPO_ROOT}/cli/load-environments.ts:40:1)`,
    ].join('\n');
    const reported = environmentFileError(bug, join(REPO_ROOT, 'environments/staging.ts'));
    expect(reported).toBeInstanceOf(GeneratorBug);
    expect(reported.message).toBe(
      "environments/staging.ts:30:3: TypeError: Cannot read properties of undefined (reading 'name') (thrown at constructs/stack-validation.ts:10:5; the generator should have said what is wrong with the value given here, please report it)",
    );
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
    expect(result.stdout).toMatch(/wrote 9 files under .* in \d+\.\d+ s/);
    expect([...readTree(out).keys()]).toEqual([
      '.railway/railway.ts',
      'dist/compose/minimal/.env.example',
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
