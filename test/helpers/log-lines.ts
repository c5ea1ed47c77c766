/**
 * The log format every service we build shares (each one's logger.ts says so): one JSON object
 * per line with `time` (ISO 8601, UTC), `level` (its name), `service` and `msg`, and no pid or
 * hostname; `requestId` on the lines of an HTTP request, `room` and `session` on the lines of an
 * agent session.
 */

export interface LogLine {
  readonly time: string;
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  readonly service: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
/** pino's defaults that the shared format leaves out (`name` was the console's `service`). */
const LEFT_OUT = ['pid', 'hostname', 'name'];

/** What keeps `text` from being one log line of `service`, or undefined when it is one. */
export function logLineProblem(text: string, service: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'not a JSON object';
  const line = parsed as Record<string, unknown>;
  if (typeof line['time'] !== 'string' || !ISO_TIME.test(line['time'])) return `time ${JSON.stringify(line['time'])} is not an ISO 8601 UTC time`;
  if (typeof line['level'] !== 'string' || !LEVELS.has(line['level'])) return `level ${JSON.stringify(line['level'])} is not a level's name`;
  if (line['service'] !== service) return `service is ${JSON.stringify(line['service'])}, not "${service}"`;
  if (typeof line['msg'] !== 'string') return 'it has no msg';
  const extra = LEFT_OUT.find((field) => field in line);
  return extra === undefined ? undefined : `it has ${extra}`;
}

/** A service's log lines, parsed; throws naming the first line that is not one of its log lines. */
export function logLines(output: string | readonly string[], service: string): LogLine[] {
  const texts = (typeof output === 'string' ? [output] : output).flatMap((chunk) => chunk.split('\n')).filter((text) => text.trim() !== '');
  return texts.map((text, index) => {
    const problem = logLineProblem(text, service);
    if (problem !== undefined) throw new Error(`line ${index + 1} of the ${service} log is not in the shared log format (${problem}): ${text.slice(0, 300)}`);
    return JSON.parse(text) as LogLine;
  });
}
