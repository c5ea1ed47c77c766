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
