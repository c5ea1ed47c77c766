/**
 * What the test suites need from the machine, checked before `npm test` runs anything (the README's
 * "Quick start" lists the same): `node --import tsx test/prerequisites.ts` exits 0 when all of it
 * is there; otherwise it prints one message naming every missing item, its Debian packages, a
 * single `apt-get install` line and how to start a stopped PostgreSQL or Redis, and exits 1.
 *
 * `--apt-packages` prints only the Debian packages of the missing tools, on one line, and exits 0:
 * .ci/run installs them from it, so the two lists cannot disagree.
 *
 * Only Node's own modules here (tsx runs it): it must run on a machine that has nothing else.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** One thing missing from the machine, as the message names it. */
export interface Missing {
  /** What is missing: "espeak-ng", "PostgreSQL at 127.0.0.1:5432". */
  readonly name: string;
  /** What is wrong and which tests need it. */
  readonly problem: string;
  /** Debian packages that provide it (none for a server that is installed but not running). */
  readonly packages: readonly string[];
  /** How to start it, for a server that is not running. */
  readonly start?: string;
  /** How to install it, where no Debian package does (Node). */
  readonly install?: string;
}

type Env = NodeJS.ProcessEnv;

interface Prerequisite {
  /** A tool can be installed from Debian; a service must also be running. */
  readonly kind: 'tool' | 'service';
  check(env: Env): Promise<Missing | undefined>;
}

const PYTHON_MIN = [3, 10] as const;
/** How .ci/run gets a supported Node on a machine whose own is older (Debian's nodejs is 18). */
export const NODE_INSTALL = 'npm ci --prefix tools/node, then put tools/node/node_modules/node/bin first on PATH (export PATH="$PWD/tools/node/node_modules/node/bin:$PATH"), as .ci/run does';
const PROBE_TIMEOUT_MS = 2_000;
const VERSION_TIMEOUT_MS = 30_000;
const POSTGRES_BINARIES = '/usr/lib/postgresql';
/** How .ci/run starts a stopped local Redis (test/prerequisites.test.ts checks the two agree). */
export const REDIS_START = 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log';

/** The first executable called `name` on the PATH of `env`, as a shell would find it. */
export function onPath(name: string, env: Env): string | undefined {
  for (const directory of (env['PATH'] ?? '').split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A tool the tests spawn by name from PATH. */
function tool(name: string, packages: readonly string[], neededBy: string): Prerequisite {
  return {
    kind: 'tool',
    check: async (env) => (onPath(name, env) === undefined ? { name, problem: `not found on PATH; ${neededBy}`, packages } : undefined),
  };
}

const chromium: Prerequisite = {
  kind: 'tool',
  check: async (env) => {
    const fromEnv = env['CHROMIUM_PATH'];
    const path = fromEnv ?? '/usr/bin/chromium';
    const where = fromEnv === undefined ? `${path} (set CHROMIUM_PATH to use another)` : `${path} (CHROMIUM_PATH)`;
    const neededBy = "the console's and the Jitsi agent bridge's browser tests drive it with playwright-core";
    const packages = ['chromium', 'fonts-dejavu-core'];
    if (!isExecutable(path)) return { name: 'Chromium', problem: `nothing executable at ${where}; ${neededBy}`, packages };
    // Ubuntu's /usr/bin/chromium-browser, say, is only a wrapper that fails without snapd.
    const run = spawnSync(path, ['--version'], { env, encoding: 'utf8', timeout: VERSION_TIMEOUT_MS });
    if (run.status !== 0) return { name: 'Chromium', problem: `${where} --version failed (${run.error?.message ?? `exit ${run.status}`}); ${neededBy}`, packages };
    return undefined;
  },
};

/** Why a Python `major.minor` cannot run the TEN drain step, or undefined when it can. */
export function pythonVersionProblem(version: string): string | undefined {
  const [major, minor] = version.trim().split('.').map(Number);
  if (major === undefined || minor === undefined || Number.isNaN(major) || Number.isNaN(minor)) return `python3 reports no version ("${version.trim()}")`;
  const [needMajor, needMinor] = PYTHON_MIN;
  return major > needMajor || (major === needMajor && minor >= needMinor) ? undefined : `python3 is ${major}.${minor}, older than ${needMajor}.${needMinor}`;
}

const python: Prerequisite = {
  kind: 'tool',
  check: async (env) => {
    const neededBy = `the TEN drain step (services/ten-agent/drain) runs in its tests and the voice tier's, and needs ${PYTHON_MIN.join('.')} or newer`;
    const name = `python3 ${PYTHON_MIN.join('.')}+`;
    const path = onPath('python3', env);
    if (path === undefined) return { name, problem: `not found on PATH; ${neededBy}`, packages: ['python3'] };
    const run = spawnSync(path, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { env, encoding: 'utf8', timeout: VERSION_TIMEOUT_MS });
    const problem = run.status === 0 ? pythonVersionProblem(run.stdout) : `python3 failed (${run.error?.message ?? `exit ${run.status}`})`;
    return problem === undefined ? undefined : { name, problem: `${problem}; ${neededBy}`, packages: ['python3'] };
  },
};

/**
 * Why a Node version is outside package.json's `engines.node` (`^22.13.0 || >=24`), or undefined
 * when it is inside; written out because this file may use only Node's own modules
 * (test/node-engines.test.ts holds it to the declared range with semver).
 */
export function nodeVersionProblem(version: string): string | undefined {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major >= 24 || (major === 22 && minor >= 13) ? undefined : `this is Node ${version.replace(/^v/, '')}, and the repository supports 22.13 or newer on the 22 line, and 24 or newer`;
}

const node: Prerequisite = {
  kind: 'tool',
  check: async () => {
    const problem = nodeVersionProblem(process.versions.node);
    return problem === undefined ? undefined : { name: 'Node 22.13+', problem, packages: [], install: NODE_INSTALL };
  },
};

/** The newest installed PostgreSQL major under /usr/lib/postgresql, as the audit-outage test picks it. */
function postgresMajor(): string | undefined {
  return existsSync(POSTGRES_BINARIES) ? readdirSync(POSTGRES_BINARIES).sort().pop() : undefined;
}

const postgresBinaries: Prerequisite = {
  kind: 'tool',
  check: async () => {
    const major = postgresMajor();
    const bin = major === undefined ? undefined : join(POSTGRES_BINARIES, major, 'bin');
    const absent = bin === undefined ? ['initdb', 'pg_ctl'] : ['initdb', 'pg_ctl'].filter((name) => !isExecutable(join(bin, name)));
    if (absent.length === 0) return undefined;
    const where = bin ?? `${POSTGRES_BINARIES}/<version>/bin`;
    return {
      name: 'PostgreSQL server binaries',
      problem: `no ${absent.join(' or ')} in ${where}; the MCP server's audit-outage test starts a private PostgreSQL from them so it can stop and restart it`,
      packages: ['postgresql'],
    };
  },
};

/** host:port of a service URL, never its user or password (they stay out of the message). */
function address(url: string | undefined, defaultPort: number): { host: string; port: number; where: string } | undefined {
  if (url === undefined) return { host: '127.0.0.1', port: defaultPort, where: `127.0.0.1:${defaultPort}` };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const port = parsed.port === '' ? defaultPort : Number(parsed.port);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port, where: `${parsed.hostname}:${port}` };
}

/**
 * Opens a TCP connection, sends `hello` and resolves with the first bytes answered, or with why
 * nothing answered ("connection refused", "no answer within 2 s").
 */
function probe(host: string, port: number, hello: Buffer): Promise<{ reply: Buffer } | { error: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: { reply: Buffer } | { error: string }) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done({ error: `no answer within ${PROBE_TIMEOUT_MS / 1000} s` }));
    socket.once('connect', () => socket.write(hello));
    socket.once('data', (reply: Buffer) => done({ reply }));
    socket.once('error', (error: NodeJS.ErrnoException) => done({ error: error.code === 'ECONNREFUSED' ? 'connection refused' : error.message }));
    socket.once('end', () => done({ error: 'the connection closed without an answer' }));
  });
}

/** How to start the local cluster, as .ci/run does (the first under /etc/postgresql), or create one. */
function postgresStart(): string {
  const cluster = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort()[0] : undefined;
  if (cluster !== undefined) return `pg_ctlcluster --skip-systemctl-redirect ${cluster} main start`;
  const major = postgresMajor();
  if (major !== undefined) return `pg_createcluster --start ${major} main, then allow trust auth for 127.0.0.1 in its pg_hba.conf`;
  return 'install the Debian package postgresql first, then start its cluster';
}

/** PostgreSQL's SSLRequest: any PostgreSQL answers it with one byte, S or N, before authentication. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

const postgresServer: Prerequisite = {
  kind: 'service',
  check: async (env) => {
    const url = env['TEST_POSTGRES_URL'];
    const at = address(url, 5432);
    // Its value may hold a password: say only that it does not parse.
    if (at === undefined) return { name: 'TEST_POSTGRES_URL', problem: 'is set but is not a URL (postgresql://user@host:port/database)', packages: [] };
    const { host, port, where } = at;
    const result = await probe(host, port, SSL_REQUEST);
    if ('reply' in result && (result.reply[0] === 0x53 || result.reply[0] === 0x4e)) return undefined;
    const what = 'error' in result ? result.error : 'something answers, but not PostgreSQL';
    const neededBy = "the MCP server's and the console's tests use it (trust auth for user postgres; each suite creates and drops its own database)";
    const name = `PostgreSQL at ${where}`;
    if (url !== undefined) return { name, problem: `${what} (TEST_POSTGRES_URL); ${neededBy}`, packages: [] };
    return { name, problem: `${what}; ${neededBy}; set TEST_POSTGRES_URL to use another server`, packages: [], start: postgresStart() };
  },
};

const redisServer: Prerequisite = {
  kind: 'service',
  check: async (env) => {
    const url = env['TEST_REDIS_URL'];
    const at = address(url, 6379);
    // Its value may hold a password: say only that it does not parse.
    if (at === undefined) return { name: 'TEST_REDIS_URL', problem: 'is set but is not a URL (redis://host:port)', packages: [] };
    const { host, port, where } = at;
    const result = await probe(host, port, Buffer.from('PING\r\n'));
    // +PONG, or an error reply such as -NOAUTH: either way a Redis answers.
    if ('reply' in result && (result.reply[0] === 0x2b || result.reply[0] === 0x2d)) return undefined;
    const what = 'error' in result ? result.error : 'something answers, but not Redis';
    const neededBy = "the MCP server's, the console's, the bridge's and the TEN drain step's tests use it";
    const name = `Redis at ${where}`;
    if (url !== undefined) return { name, problem: `${what} (TEST_REDIS_URL); ${neededBy}`, packages: [] };
    return { name, problem: `${what}; ${neededBy}; set TEST_REDIS_URL to use another server`, packages: [], start: REDIS_START };
  },
};

/** Everything the suites need from the machine, in the order the message lists it. */
const PREREQUISITES: readonly Prerequisite[] = [
  node,
  chromium,
  tool('espeak-ng', ['espeak-ng'], "the fake TEN agent speaks its test speech with it (test/fakes/ten-agent)"),
  tool('sox', ['sox'], 'the TEN and bridge tests convert test speech and tones to 16 kHz PCM with it'),
  python,
  tool('redis-server', ['redis-server'], "the fault tests start private Redis servers they can restart"),
  tool('redis-cli', ['redis-tools'], "the TEN drain step's tests read the drain marks with it"),
  tool('git', ['git'], 'the plan, diff and Renovate tests read and copy the repository with it'),
  // Debian's package is the whole server; its postinst may start a Prometheus on :9090 where an init system runs.
  tool('promtool', ['prometheus'], "the observability tests check the alert rules and the dashboard's queries with it and run the rules' unit tests"),
  postgresBinaries,
  postgresServer,
  redisServer,
];

/** Every missing item, checked at once. */
export async function findMissing(env: Env, kinds: readonly Prerequisite['kind'][] = ['tool', 'service']): Promise<Missing[]> {
  const results = await Promise.all(PREREQUISITES.filter((prerequisite) => kinds.includes(prerequisite.kind)).map((prerequisite) => prerequisite.check(env)));
  return results.filter((missing): missing is Missing => missing !== undefined);
}

/** The Debian packages that install what is missing, each once, in list order. */
export function aptPackages(missing: readonly Missing[]): string[] {
  return [...new Set(missing.flatMap((item) => item.packages))];
}

/** The one message `npm test` prints when something is missing. */
export function report(missing: readonly Missing[]): string {
  const lines = ['npm test cannot start: this machine lacks what the test suites need.'];
  for (const item of missing) {
    const fix = [
      item.packages.length > 0 ? `Debian: ${item.packages.join(' ')}` : '',
      item.install === undefined ? '' : `install it: ${item.install}`,
      item.start === undefined ? '' : `start it: ${item.start}`,
    ]
      .filter(Boolean)
      .join('; ');
    lines.push(`  - ${item.name}: ${item.problem}${fix === '' ? '' : `. ${fix}`}`);
  }
  const packages = aptPackages(missing);
  if (packages.length > 0) lines.push('Install the missing packages (as root):', `  apt-get install -y ${packages.join(' ')}`);
  lines.push('Nothing was run. README.md, "Quick start", lists what npm test needs.');
  return `${lines.join('\n')}\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--apt-packages')) {
    process.stdout.write(`${aptPackages(await findMissing(process.env, ['tool'])).join(' ')}\n`);
    return 0;
  }
  const missing = await findMissing(process.env);
  if (missing.length === 0) return 0;
  process.stderr.write(report(missing));
  return 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
