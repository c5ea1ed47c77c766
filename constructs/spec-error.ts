/**
 * Where in the stack description a problem was found. Every field is optional because some
 * problems belong to a whole environment (for example two Railway project names).
 */
export interface SpecLocation {
  readonly environment?: string;
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

function describeLocation(location: SpecLocation): string {
  const parts: string[] = [];
  if (location.environment !== undefined) parts.push(`environment "${location.environment}"`);
  if (location.service !== undefined) parts.push(`service "${location.service}"`);
  if (location.field !== undefined) parts.push(`field "${location.field}"`);
  return parts.join(', ');
}
