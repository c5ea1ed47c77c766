/**
 * Where in the stack description a problem was found. Every field is optional because some
 * problems belong to a whole environment (for example two Railway project names), and some to a
 * construct that is not a service (the props of `JitsiMeet` or `VoiceAgentStack`).
 */
export interface SpecLocation {
  readonly environment?: string;
  /** Path of a construct that is not a service, relative to its environment, e.g. `voice-agent/jitsi`. */
  readonly construct?: string;
  readonly service?: string;
  readonly field?: string;
}

/**
 * An error in the stack description that a user can fix. Its message names the environment,
 * the service and the field, so synth can print it as is, without a stack trace.
 */
export class SpecError extends Error {
  public readonly location: SpecLocation;
  public readonly problem: string;

  constructor(location: SpecLocation, problem: string) {
    const where = describeLocation(location);
    super(where === '' ? problem : `${where}: ${problem}`);
    this.name = 'SpecError';
    this.location = location;
    this.problem = problem;
  }

  /** True for errors thrown by the model, as opposed to bugs in the generator. */
  public static isSpecError(error: unknown): error is SpecError {
    return error instanceof SpecError;
  }
}

/**
 * A name or value as a message shows it: in double quotes, with control characters (a NUL byte,
 * a newline) escaped, and cut short when it is very long, so one bad value cannot flood or garble
 * the terminal.
 */
export function quoted(text: string, maxLength = 80): string {
  const shown = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  const escaped = JSON.stringify(shown);
  return text.length > maxLength ? `${escaped} (${text.length} characters)` : escaped;
}

function describeLocation(location: SpecLocation): string {
  const parts: string[] = [];
  const show = (text: string) => quoted(text, 120);
  if (location.environment !== undefined) parts.push(`environment ${show(location.environment)}`);
  if (location.construct !== undefined) parts.push(`construct ${show(location.construct)}`);
  if (location.service !== undefined) parts.push(`service ${show(location.service)}`);
  if (location.field !== undefined) parts.push(`field ${show(location.field)}`);
  return parts.join(', ');
}
