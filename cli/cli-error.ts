/**
 * A problem the user can fix (a missing token, an unknown environment, an unreachable API), or an
 * operation that failed as reported (a deploy rolled back). The CLI prints the message without a
 * stack trace and exits with `exitCode`.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * A bug in the generator that an environment file reached: the constructs threw something other
 * than a located SpecError. The message names the line of the environment file and where the
 * generator threw, which is all a bug report needs; the CLI prints it as an internal error
 * (exit 2), without a stack trace.
 */
export class GeneratorBug extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GeneratorBug';
  }
}
