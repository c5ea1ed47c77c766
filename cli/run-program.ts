import type { Command } from 'commander';
import { SpecError } from '../constructs/index.ts';
import { CliError, GeneratorBug } from './cli-error.ts';

/**
 * Node 20 scans its whole command line for `--env-file` (its own dotenv flag) up to the first
 * `--`, and exits when the file is missing, before our code runs. The npm scripts therefore put
 * a `--` right after the command; drop that one separator before parsing.
 */
function withoutScriptSeparator(argv: string[]): string[] {
  const separator = argv.indexOf('--', 2);
  return separator === 3 ? [...argv.slice(0, separator), ...argv.slice(separator + 1)] : argv;
}

/**
 * Runs the command `argv` names and turns what it throws into one message on stderr and the exit
 * code: 1 for a problem the user can fix, 2 for a bug, a `CliError`'s own code otherwise.
 */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(withoutScriptSeparator(argv));
  } catch (error) {
    if (SpecError.isSpecError(error)) {
      process.stderr.write(`error: ${error.message}\nnothing was written.\n`);
      process.exitCode = 1;
    } else if (error instanceof GeneratorBug) {
      process.stderr.write(`internal error: ${error.message}\nnothing was written.\n`);
      process.exitCode = 2;
    } else if (error instanceof CliError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 2;
    }
  }
}
