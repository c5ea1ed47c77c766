/**
 * `npm run dev`: every service we build, natively on this machine against the local PostgreSQL and
 * Redis, with the repository's stand-ins for what cannot run here or needs a vendor account, all
 * started and stopped together. `--only <process>` starts one process and what it needs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpecError } from '../constructs/index.ts';
import { ensureDatabase } from './dev-database.ts';
import { preflight, preflightMessage } from './preflight.ts';
import { DEV_PROCESSES, readSettings, SettingsError, whereIs, type DevProcess } from './settings.ts';
import { planStack, processesFor } from './stack-plan.ts';
import { supervise } from './supervisor.ts';

const USAGE = `usage: npm run dev [-- --only <${DEV_PROCESSES.join('|')}>]`;

function parseOnly(args: readonly string[]): DevProcess | undefined {
  if (args.length === 0) return undefined;
  const [flag, name] = args;
  if (flag === '--only' && args.length === 2 && (DEV_PROCESSES as readonly string[]).includes(name ?? '')) return name as DevProcess;
  throw new SettingsError(`${USAGE}\ngot: ${args.join(' ')}`);
}

/** Writes, ignoring a reader that went away (`npm run dev | head`). */
const write = (stream: NodeJS.WriteStream) => {
  stream.on('error', () => undefined);
  return (text: string) => {
    if (stream.writable) stream.write(text);
  };
};

async function main(): Promise<number> {
  const settings = readSettings();
  const processes = processesFor(parseOnly(process.argv.slice(2).filter((arg) => arg !== '--')));
  const scratch = mkdtempSync(join(tmpdir(), 'voice-agent-dev-'));
  try {
    const plan = await planStack(settings, processes, scratch);
    const problems = await preflight(settings, processes, plan.tenWorkerPorts, plan.frontendMetricsPort);
    if (problems.length > 0) {
      process.stderr.write(preflightMessage(problems));
      return 1;
    }
    const database = await ensureDatabase(settings.postgresUrl);
    const databaseName = new URL(settings.postgresUrl).pathname.slice(1);
    const redisDatabase = new URL(settings.redisUrl).pathname.slice(1) || '0';
    process.stdout.write(
      `dev: PostgreSQL ${whereIs(settings.postgresUrl)}, database ${databaseName} (${database}); Redis ${whereIs(settings.redisUrl)}, database ${redisDatabase}\n` +
        `dev: starting ${processes.join(', ')}\n`,
    );
    const voiceConsole = plan.children.find((child) => child.name === 'frontend');
    const summary =
      voiceConsole === undefined
        ? `dev: all ${plan.children.length} are ready; Ctrl-C stops them all\n`
        : `dev: all ${plan.children.length} are ready. Open ${voiceConsole.listensAt} and sign in as "${plan.testUser.name}", password "${plan.testUser.password}". Ctrl-C stops them all.\n`;
    return await supervise(plan.children, { out: write(process.stdout), err: write(process.stderr) }, summary);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A setting or the model is wrong: say what, without a stack trace.
    const known = error instanceof SettingsError || error instanceof SpecError;
    process.stderr.write(`npm run dev: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
    process.exit(1);
  },
);
