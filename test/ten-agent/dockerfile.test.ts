/**
 * services/ten-agent/Dockerfile, read offline (no Docker engine here): the rules the image must
 * keep, each checked against the real file and, to prove the check can fail, against a copy of
 * the file with that rule broken.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { TEN_METRICS_PORT, TEN_METRICS_PORT_VARIABLE } from '../../constructs/ten/ten-telemetry.ts';
import { TEN_AGENT_BUILD_VERSION, TEN_VERSION } from '../../environments/versions.ts';
import { argOf, execForm, parseDockerfile, parseImageRef, type Dockerfile, type Instruction, type Stage } from '../helpers/dockerfile.ts';

const DOCKERFILE = 'services/ten-agent/Dockerfile';
const SOURCE = readFileSync(join(REPO_ROOT, DOCKERFILE), 'utf8');

const BUILD_IMAGE = 'ghcr.io/ten-framework/ten_agent_build';
const TEN_REPOSITORY = 'TEN-framework/ten-framework';
const TEN_GIT_URL = `https://github.com/${TEN_REPOSITORY}.git`;
const RENOVATE_TEN = `renovate: datasource=github-tags depName=${TEN_REPOSITORY}`;
/** Where TEN's websocket-example tenapp sits in TEN's tree: our manifest's relative paths start there. */
const EXAMPLE_TENAPP = 'ai_agents/agents/examples/websocket-example/tenapp/';
/** The worker websocket ports: one per session, at most 100 sessions (constructs/ten-agent.ts). */
const WORKER_PORTS = '8800-8899';
const API_PORT = 8080;
/** The drain step (services/ten-agent/drain/), which the ENTRYPOINT runs the server under. */
const DRAIN_SCRIPT = '/app/drain/ten_drain.py';
const DRAIN_RUN = ['python3', DRAIN_SCRIPT, 'run', '--'];
/** The supervisor that runs TEN's metrics collector beside the server (services/ten-agent/telemetry/). */
const COLLECTOR_RUN = ['python3', '/app/telemetry/with_collector.py', '--'];
const COLLECTOR_IMAGE = 'otel/opentelemetry-collector';
/** What the image holds of the collector, each from where (constructs/ten/ten-telemetry.ts says why). */
const TELEMETRY_FILES = ['telemetry/otelcol.yaml', 'telemetry/with_collector.py'];

/** A tag that names one release: `0.7.14`, `22.04`, `26.11.1-bookworm-slim`; never `latest`, `22` or a variable. */
const EXACT_TAG = /^\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z]+(?:[.-][0-9A-Za-z]+)*)?$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const PIPE_TO_SHELL = [
  /\b(?:curl|wget)\b[^|;&]*\|\s*(?:sudo\s+)?(?:env\s+\S+=\S+\s+)*(?:\S*\/)?(?:ba|da|z|k)?sh\b/,
  /\b(?:ba|da|z)?sh\s+-c\s+["']?\$\(\s*(?:curl|wget)\b/,
  /<\(\s*(?:curl|wget)\b/,
];
const JAVASCRIPT_TOOLING = /\b(?:node|nodejs|npm|npx|bun|yarn|pnpm|corepack|nvm|playground)\b/i;

const finalStage = (dockerfile: Dockerfile): Stage => dockerfile.stages[dockerfile.stages.length - 1]!;
const stageNamed = (dockerfile: Dockerfile, alias: string) => dockerfile.stages.find((stage) => stage.alias === alias);
const only = (stage: Stage | undefined, keyword: string): Instruction[] => stage?.instructions.filter((instruction) => instruction.keyword === keyword) ?? [];
const at = (instruction: Instruction) => `line ${instruction.line}`;

interface Rule {
  name: string;
  /** What is wrong; empty when the rule holds. */
  check(dockerfile: Dockerfile): string[];
  /** Ways to break exactly this rule, each applied to the real file on its own. */
  breaks: Array<[what: string, mutate: (source: string) => string]>;
}

const RULES: Rule[] = [
  {
    name: 'every FROM names an exact tag (and, where pinned, a sha256 digest)',
    check(dockerfile) {
      const aliases = new Set<string>();
      const problems: string[] = [];
      for (const stage of dockerfile.stages) {
        if (!aliases.has(stage.base)) {
          const image = parseImageRef(stage.base);
          if (image.tag === undefined || !EXACT_TAG.test(image.tag)) problems.push(`${at(stage.from)}: ${stage.base} has no exact tag`);
          if (image.digest !== undefined && !DIGEST.test(image.digest)) problems.push(`${at(stage.from)}: ${stage.base} has a digest that is not sha256:<64 hex>`);
        }
        if (stage.alias !== undefined) aliases.add(stage.alias);
      }
      if (dockerfile.stages.length === 0) problems.push('no FROM');
      return problems;
    },
    breaks: [
      ['the runtime on ubuntu:latest', (source) => source.replace('FROM ubuntu:22.04', 'FROM ubuntu:latest')],
      ['the runtime on a bare major', (source) => source.replace('FROM ubuntu:22.04', 'FROM ubuntu:22')],
      ['the builder without a tag', (source) => source.replace(`FROM ${BUILD_IMAGE}:${TEN_AGENT_BUILD_VERSION}`, `FROM ${BUILD_IMAGE}`)],
      ['the builder from a variable', (source) => source.replace(`FROM ${BUILD_IMAGE}:${TEN_AGENT_BUILD_VERSION}`, `FROM ${BUILD_IMAGE}:\${BUILD}`)],
      ['a truncated digest', (source) => source.replace('FROM ubuntu:22.04', 'FROM ubuntu:22.04@sha256:0123abcd')],
    ],
  },
  {
    name: 'the dockerfile frontend is pinned to an exact x.y.z release',
    check(dockerfile) {
      const syntax = dockerfile.directives['syntax'];
      if (syntax === undefined) return ['no # syntax= directive'];
      const image = parseImageRef(syntax);
      return image.name === 'docker/dockerfile' && /^\d+\.\d+\.\d+$/.test(image.tag ?? '') ? [] : [`# syntax=${syntax} is not docker/dockerfile:x.y.z`];
    },
    breaks: [
      ['a floating major', (source) => source.replace(/^# syntax=docker\/dockerfile:\S+/, '# syntax=docker/dockerfile:1')],
      ['no directive', (source) => source.replace(/^# syntax=\S+\n/, '')],
    ],
  },
  {
    name: `the builder is ${BUILD_IMAGE} at TEN_AGENT_BUILD_VERSION from versions.ts`,
    check(dockerfile) {
      const builder = stageNamed(dockerfile, 'builder');
      if (builder === undefined) return ['no stage named builder'];
      const image = parseImageRef(builder.base);
      return image.name === BUILD_IMAGE && image.tag === TEN_AGENT_BUILD_VERSION ? [] : [`${at(builder.from)}: builder is ${builder.base}, expected ${BUILD_IMAGE}:${TEN_AGENT_BUILD_VERSION}`];
    },
    breaks: [
      ['another build image tag', (source) => source.replace(`${BUILD_IMAGE}:${TEN_AGENT_BUILD_VERSION}`, `${BUILD_IMAGE}:0.0.1`)],
      ['another image', (source) => source.replace(`${BUILD_IMAGE}:${TEN_AGENT_BUILD_VERSION}`, 'ubuntu:22.04')],
    ],
  },
  {
    name: "TEN's sources come from the git tag TEN_VERSION (versions.ts), in one Renovate-managed ARG",
    check(dockerfile) {
      const problems: string[] = [];
      const fetches = dockerfile.stages.flatMap((stage) => only(stage, 'ADD').filter((add) => add.args.includes(TEN_GIT_URL)).map((add) => ({ stage, add })));
      if (fetches.length !== 1) return [`expected one ADD of ${TEN_GIT_URL}, found ${fetches.length}`];
      const { stage, add } = fetches[0]!;
      const [url = ''] = add.args.split(/\s+/);
      if (url !== `${TEN_GIT_URL}#\${TEN_VERSION}` && url !== `${TEN_GIT_URL}#$TEN_VERSION`) problems.push(`${at(add)}: ADD fetches ${url}, not the ref \${TEN_VERSION}`);
      const args = only(stage, 'ARG').filter((arg) => argOf(arg).name === 'TEN_VERSION' && arg.line < add.line);
      if (args.length !== 1) return [...problems, `expected one ARG TEN_VERSION before ${at(add)} in its stage, found ${args.length}`];
      const arg = args[0]!;
      if (argOf(arg).value !== TEN_VERSION) problems.push(`${at(arg)}: ARG TEN_VERSION=${argOf(arg).value}, versions.ts says ${TEN_VERSION}`);
      if (arg.comments[arg.comments.length - 1] !== RENOVATE_TEN) problems.push(`${at(arg)}: the line above ARG TEN_VERSION is not "# ${RENOVATE_TEN}"`);
      for (const run of dockerfile.stages.flatMap((candidate) => only(candidate, 'RUN'))) {
        if (/\bgit\s+(?:clone|fetch|submodule)\b/.test(run.args)) problems.push(`${at(run)}: fetches sources with git outside the pinned ADD`);
      }
      return problems;
    },
    breaks: [
      ['another version', (source) => source.replace(`ARG TEN_VERSION=${TEN_VERSION}`, 'ARG TEN_VERSION=0.0.1')],
      ['a branch instead of the ARG', (source) => source.replace(`${TEN_GIT_URL}#\${TEN_VERSION}`, `${TEN_GIT_URL}#main`)],
      ['no renovate comment', (source) => source.replace(`# ${RENOVATE_TEN}\n`, '')],
      ['a clone in a RUN', (source) => source.replace('RUN cp ', `RUN git clone ${TEN_GIT_URL} /tmp/ten && cp `)],
    ],
  },
  {
    name: `our tenapp is copied over TEN's ${EXAMPLE_TENAPP} before task install && task release`,
    check(dockerfile) {
      const builder = stageNamed(dockerfile, 'builder');
      const overlay = only(builder, 'COPY').find((copy) => copy.flags['from'] === undefined && /^tenapp\/?\s/.test(copy.args));
      if (overlay === undefined) return ['no COPY tenapp/ in the builder stage'];
      const problems: string[] = [];
      const destination = overlay.args.split(/\s+/).pop() ?? '';
      if (!destination.endsWith(`/${EXAMPLE_TENAPP}`)) problems.push(`${at(overlay)}: tenapp goes to ${destination}, not onto TEN's ${EXAMPLE_TENAPP}`);
      const build = only(builder, 'RUN').find((run) => /\btask install\b/.test(run.args) && /\btask release\b/.test(run.args));
      if (build === undefined) problems.push('no RUN task install && task release in the builder stage');
      else if (build.line < overlay.line) problems.push(`${at(build)}: builds before the tenapp is copied`);
      return problems;
    },
    breaks: [
      ['no overlay', (source) => source.replace(/^COPY tenapp\/ .*\n/m, '')],
      ['another destination', (source) => source.replace(/^(COPY tenapp\/ )\S+/m, '$1/app/tenapp/')],
      ['no release', (source) => source.replace('task install && task release', 'task install')],
    ],
  },
  {
    name: 'the runtime stage ends as a non-root user, uid:gid 1000:1000',
    check(dockerfile) {
      const user = only(finalStage(dockerfile), 'USER').pop();
      if (user === undefined) return ['the runtime stage sets no USER, so it runs as root'];
      const [uid = '', gid] = user.args.split(':');
      if (uid === '0' || uid === 'root' || gid === '0' || gid === 'root') return [`${at(user)}: USER ${user.args} is root`];
      return user.args === '1000:1000' ? [] : [`${at(user)}: USER ${user.args}, expected 1000:1000 (the uid Kubernetes runs it as)`];
    },
    breaks: [
      ['root', (source) => source.replace('USER 1000:1000', 'USER root')],
      ['uid 0', (source) => source.replace('USER 1000:1000', 'USER 0:0')],
      ['no USER', (source) => source.replace('USER 1000:1000\n', '')],
    ],
  },
  {
    name: `the runtime stage has a HEALTHCHECK on http://127.0.0.1:${API_PORT}/health`,
    check(dockerfile) {
      const healthcheck = only(finalStage(dockerfile), 'HEALTHCHECK').pop();
      if (healthcheck === undefined) return ['no HEALTHCHECK in the runtime stage'];
      const command = healthcheck.args.replace(/^CMD\s+/, '');
      const words = execForm(command) ?? command.split(/\s+/);
      return words.some((word) => word === `http://127.0.0.1:${API_PORT}/health` || word === `http://localhost:${API_PORT}/health`)
        ? []
        : [`${at(healthcheck)}: HEALTHCHECK ${healthcheck.args} does not ask /health on ${API_PORT}`];
    },
    breaks: [
      ['another port', (source) => source.replace(`127.0.0.1:${API_PORT}/health`, '127.0.0.1:3000/health')],
      ['no HEALTHCHECK', (source) => source.replace(/^HEALTHCHECK .*\\\n.*\n/m, '')],
    ],
  },
  {
    name: `the runtime stage EXPOSEs ${API_PORT}, the metrics port ${TEN_METRICS_PORT} and the worker range ${WORKER_PORTS}`,
    check(dockerfile) {
      const exposed = only(finalStage(dockerfile), 'EXPOSE').flatMap((expose) => expose.args.split(/\s+/).map((port) => port.replace(/\/tcp$/, '')));
      return [String(API_PORT), String(TEN_METRICS_PORT), WORKER_PORTS].filter((port) => !exposed.includes(port)).map((port) => `EXPOSE ${port} is missing (exposed: ${exposed.join(' ') || 'nothing'})`);
    },
    breaks: [
      ['a shorter range', (source) => source.replace(`EXPOSE ${WORKER_PORTS}`, 'EXPOSE 8800-8809')],
      ['no API port', (source) => source.replace(`EXPOSE ${API_PORT}\n`, '')],
      ['no metrics port', (source) => source.replace(`EXPOSE ${TEN_METRICS_PORT}\n`, '')],
    ],
  },
  {
    name: 'no RUN pipes a download into a shell',
    check(dockerfile) {
      return dockerfile.stages
        .flatMap((stage) => only(stage, 'RUN'))
        .filter((run) => PIPE_TO_SHELL.some((pattern) => pattern.test(run.args)))
        .map((run) => `${at(run)}: ${run.args}`);
    },
    breaks: [
      ['curl | sh', (source) => source.replace('RUN groupadd', 'RUN curl -fsSL https://example.invalid/install.sh | sh && groupadd')],
      ['wget | bash', (source) => source.replace('RUN groupadd', 'RUN wget -qO- https://example.invalid/install.sh | /bin/bash && groupadd')],
      ['sh -c "$(curl …)"', (source) => source.replace('RUN groupadd', 'RUN sh -c "$(curl --location https://example.invalid/install.sh)" && groupadd')],
    ],
  },
  {
    name: 'the runtime stage installs or copies no Node, npm, bun or playground',
    check(dockerfile) {
      return finalStage(dockerfile)
        .instructions.filter((instruction) => ['RUN', 'COPY', 'ADD'].includes(instruction.keyword) && JAVASCRIPT_TOOLING.test(instruction.args))
        .map((instruction) => `${at(instruction)}: ${instruction.keyword} ${instruction.args}`);
    },
    breaks: [
      ['apt-get install nodejs', (source) => source.replace('      procps \\\n', '      procps \\\n      nodejs \\\n')],
      ['the playground copied', (source) => source.replace('ENV SERVER_PORT', 'COPY --from=builder /src/ten-framework/ai_agents/playground/ /app/playground/\nENV SERVER_PORT')],
    ],
  },
  {
    name: 'the runtime starts the agent server on the released tenapp under the drain step, with tman to spawn workers',
    check(dockerfile) {
      const runtime = finalStage(dockerfile);
      const problems: string[] = [];
      const entrypoint = only(runtime, 'ENTRYPOINT').pop();
      const words = entrypoint === undefined ? undefined : execForm(entrypoint.args);
      if (JSON.stringify(words) !== JSON.stringify([...DRAIN_RUN, ...COLLECTOR_RUN, '/app/server/bin/api', '-tenapp_dir=/app/agents'])) problems.push(`ENTRYPOINT is ${entrypoint?.args ?? 'missing'}`);
      const copies = only(runtime, 'COPY').map((copy) => copy.args.split(/\s+/));
      if (!copies.some(([source = '', destination]) => source.endsWith(`/${EXAMPLE_TENAPP}.release/`) && destination === '/app/agents/')) problems.push("the release tenapp is not copied to /app/agents/");
      if (!copies.some(([, destination]) => destination === '/app/server/bin/api')) problems.push('the agent server is not copied to /app/server/bin/api');
      if (!copies.some(([source, destination]) => source === '/usr/local/bin/tman' && destination === '/usr/local/bin/tman')) problems.push('tman is not copied (the server runs `tman run start`)');
      return problems;
    },
    breaks: [
      ['another tenapp directory', (source) => source.replace('-tenapp_dir=/app/agents', '-tenapp_dir=/app')],
      ['no tman', (source) => source.replace(/^COPY --from=builder \/usr\/local\/bin\/tman .*\n/m, '')],
      ['the server started without the drain step', (source) => source.replace(/^ENTRYPOINT .*$/m, 'ENTRYPOINT ["/app/server/bin/api", "-tenapp_dir=/app/agents"]')],
      ['the drain step in shell form', (source) => source.replace(/^ENTRYPOINT .*$/m, 'ENTRYPOINT python3 /app/drain/ten_drain.py run -- /app/server/bin/api -tenapp_dir=/app/agents')],
      ['the server without the collector', (source) => source.replace(/^ENTRYPOINT .*$/m, 'ENTRYPOINT ["python3", "/app/drain/ten_drain.py", "run", "--", "/app/server/bin/api", "-tenapp_dir=/app/agents"]')],
      ['the collector in front of the drain step', (source) => source.replace(/^ENTRYPOINT .*$/m, 'ENTRYPOINT ["python3", "/app/telemetry/with_collector.py", "--", "python3", "/app/drain/ten_drain.py", "run", "--", "/app/server/bin/api", "-tenapp_dir=/app/agents"]')],
    ],
  },
  {
    // Every worker pushes its metrics to the collector, which the image must hold and configure.
    name: `the runtime stage holds the collector from ${COLLECTOR_IMAGE} at an exact tag, its configuration and its supervisor (root-owned, read-only), and serves ${TEN_METRICS_PORT_VARIABLE}=${TEN_METRICS_PORT}`,
    check(dockerfile) {
      const runtime = finalStage(dockerfile);
      const problems: string[] = [];
      const collectorStage = stageNamed(dockerfile, 'collector');
      const image = collectorStage === undefined ? undefined : parseImageRef(collectorStage.base);
      if (image?.name !== COLLECTOR_IMAGE) problems.push(`no stage named collector from ${COLLECTOR_IMAGE} (found ${collectorStage?.base ?? 'none'})`);
      const copies = only(runtime, 'COPY');
      const binary = copies.find((copy) => copy.flags['from'] === 'collector');
      if (binary === undefined || binary.args !== '/otelcol /usr/local/bin/otelcol') problems.push(`the collector binary is not copied from the collector stage to /usr/local/bin/otelcol (${binary?.args ?? 'no COPY --from=collector'})`);
      else if (binary.flags['chown'] !== '0:0' || (parseInt(binary.flags['chmod'] ?? '0777', 8) & 0o222) !== 0) problems.push(`${at(binary)}: the collector binary is not root-owned and read-only`);
      const files = copies.find((copy) => copy.flags['from'] === undefined && copy.args.split(/\s+/).pop() === '/app/telemetry/');
      const sources = files?.args.split(/\s+/).slice(0, -1) ?? [];
      if (JSON.stringify(sources) !== JSON.stringify(TELEMETRY_FILES)) problems.push(`/app/telemetry/ gets ${sources.join(' ') || 'nothing'}, expected ${TELEMETRY_FILES.join(' ')}`);
      else if (files?.flags['chown'] !== '0:0' || files.flags['chmod'] !== '0444') problems.push(`${at(files!)}: the telemetry files are not root-owned with mode 0444`);
      for (const source of sources) if (!existsSync(join(REPO_ROOT, 'services/ten-agent', source))) problems.push(`services/ten-agent/${source} is not in the build context`);
      const env = only(runtime, 'ENV').map((instruction) => instruction.args).join(' ');
      if (!new RegExp(`\\b${TEN_METRICS_PORT_VARIABLE}=${TEN_METRICS_PORT}\\b`).test(env)) problems.push(`no ENV ${TEN_METRICS_PORT_VARIABLE}=${TEN_METRICS_PORT} (the collector's configuration reads it)`);
      return problems;
    },
    breaks: [
      ['no collector stage', (source) => source.replace(/^FROM otel\/opentelemetry-collector:\S+ AS collector\n/m, '')],
      ['the binary not copied', (source) => source.replace(/^COPY --from=collector .*\n/m, '')],
      ['the binary writable', (source) => source.replace('--chmod=0555 /otelcol', '--chmod=0755 /otelcol')],
      ['no supervisor', (source) => source.replace(' telemetry/with_collector.py /app/telemetry/', ' /app/telemetry/')],
      ['the files owned by the runtime user', (source) => source.replace('COPY --chown=0:0 --chmod=0444 telemetry/', 'COPY --chown=1000:1000 --chmod=0444 telemetry/')],
      ['another metrics port', (source) => source.replace(`${TEN_METRICS_PORT_VARIABLE}=${TEN_METRICS_PORT}`, `${TEN_METRICS_PORT_VARIABLE}=9999`)],
    ],
  },
  {
    // TEN cannot drain itself, and Compose and Railway have no preStop: the image carries the step.
    name: `the runtime stage holds the drain step at ${DRAIN_SCRIPT}, from the build context, owned by root and read-only`,
    check(dockerfile) {
      const copies = only(finalStage(dockerfile), 'COPY').filter((copy) => copy.args.split(/\s+/).pop() === DRAIN_SCRIPT);
      if (copies.length !== 1) return [`expected one COPY to ${DRAIN_SCRIPT}, found ${copies.length}`];
      const copy = copies[0]!;
      const problems: string[] = [];
      if (copy.flags['from'] !== undefined || copy.args.split(/\s+/)[0] !== 'drain/ten_drain.py') problems.push(`${at(copy)}: copies ${copy.args}, not drain/ten_drain.py from the build context`);
      else if (!existsSync(join(REPO_ROOT, 'services/ten-agent', 'drain/ten_drain.py'))) problems.push('services/ten-agent/drain/ten_drain.py is not in the build context');
      const owner = copy.flags['chown'];
      if (owner !== undefined && !/^(?:0|root)(?::(?:0|root))?$/.test(owner)) problems.push(`${at(copy)}: --chown=${owner}: the runtime user could rewrite the drain step`);
      const mode = copy.flags['chmod'];
      if (mode === undefined || !/^0?[0-7]{3}$/.test(mode) || (parseInt(mode, 8) & 0o222) !== 0) problems.push(`${at(copy)}: --chmod=${mode ?? '(none)'} is not a read-only octal mode`);
      return problems;
    },
    breaks: [
      ['no drain step', (source) => source.replace(/^COPY --chown=0:0 --chmod=0444 drain\/ten_drain\.py .*\n/m, '')],
      ['owned by the runtime user', (source) => source.replace('COPY --chown=0:0 --chmod=0444 drain/', 'COPY --chown=1000:1000 --chmod=0444 drain/')],
      ['writable', (source) => source.replace('--chmod=0444 drain/', '--chmod=0644 drain/')],
      ['no mode (the build context\'s, which may be writable)', (source) => source.replace('--chmod=0444 drain/', 'drain/')],
      ['another place', (source) => source.replace(`drain/ten_drain.py ${DRAIN_SCRIPT}`, 'drain/ten_drain.py /app/ten_drain.py')],
    ],
  },
];

describe(`${DOCKERFILE} (read offline)`, () => {
  const dockerfile = parseDockerfile(SOURCE);

  it('has a builder stage, the collector stage and a final runtime stage', () => {
    expect(dockerfile.stages.map((stage) => stage.alias)).toEqual(['builder', 'collector', 'runtime']);
  });

  for (const rule of RULES) {
    describe(rule.name, () => {
      it('holds', () => {
        expect(rule.check(dockerfile)).toEqual([]);
      });

      it.each(rule.breaks)('fails on a copy with %s', (_, mutate) => {
        const broken = mutate(SOURCE);
        expect(broken, 'the mutation changes the file').not.toBe(SOURCE);
        expect(rule.check(parseDockerfile(broken)).length).toBeGreaterThan(0);
      });
    });
  }
});

describe('the Dockerfile reader', () => {
  it('joins continuations, drops comment lines inside them, keeps the comment block above an instruction and the flags', () => {
    const parsed = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1.6.0',
        'ARG GLOBAL=1',
        'FROM example.com:5000/base:1.2.3@sha256:' + 'a'.repeat(64) + ' AS one',
        '',
        '# first',
        '# renovate: here',
        'ARG NAME="quoted value"',
        'RUN apt-get install \\',
        '  # a comment inside',
        '  curl',
        'COPY --from=one --chown=1000:1000 a b',
        'FROM one',
      ].join('\n'),
    );
    expect(parsed.directives).toEqual({ syntax: 'docker/dockerfile:1.6.0' });
    expect(parsed.globalArgs.map((arg) => argOf(arg))).toEqual([{ name: 'GLOBAL', value: '1' }]);
    expect(parseImageRef(parsed.stages[0]!.base)).toEqual({ name: 'example.com:5000/base', tag: '1.2.3', digest: `sha256:${'a'.repeat(64)}` });
    const [arg, run, copy] = parsed.stages[0]!.instructions;
    expect(arg).toMatchObject({ keyword: 'ARG', comments: ['first', 'renovate: here'], line: 7 });
    expect(argOf(arg!)).toEqual({ name: 'NAME', value: 'quoted value' });
    expect(run).toMatchObject({ keyword: 'RUN', args: 'apt-get install curl', comments: [] });
    expect(copy).toMatchObject({ flags: { from: 'one', chown: '1000:1000' }, args: 'a b' });
    expect(parsed.stages[1]).toMatchObject({ base: 'one', alias: undefined, instructions: [] });
    expect(parseImageRef('ubuntu')).toEqual({ name: 'ubuntu', tag: undefined, digest: undefined });
  });

  it('refuses what it does not read: heredocs, another escape character, instructions before FROM', () => {
    expect(() => parseDockerfile('FROM a:1.0\nRUN <<EOF\necho\nEOF\n')).toThrow(/heredocs/);
    expect(() => parseDockerfile('# escape=`\nFROM a:1.0\n')).toThrow(/escape/);
    expect(() => parseDockerfile('RUN true\nFROM a:1.0\n')).toThrow(/before the first FROM/);
  });
});
