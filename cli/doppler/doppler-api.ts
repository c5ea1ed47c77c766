import { CliError } from '../cli-error.ts';
import { describeNetworkError } from '../network-error.ts';

/** Doppler's API; `DOPPLER_API_URL` replaces it (tests point it at a local fake). */
export const DEFAULT_DOPPLER_API_URL = 'https://api.doppler.com';

/** How long one request may take before we give up. */
const REQUEST_TIMEOUT_MS = 30_000;

/** A Doppler project and config, e.g. `voice-agent` / `stg`. */
export interface DopplerConfigRef {
  readonly project: string;
  readonly config: string;
}

/** Where to reach Doppler and the token to show it. The token is never printed. */
export interface DopplerCredentials {
  readonly apiUrl: string;
  readonly token: string;
}

/**
 * Doppler tokens start with `dp.` and a type (`dp.st.` service token, `dp.sa.` service account,
 * `dp.pt.` personal, `dp.ct.` CLI) and contain no whitespace. Checking the shape locally keeps a
 * pasted quote or newline out of the Authorization header, where an error could echo it.
 */
const TOKEN_SHAPE = /^dp\.[a-z]+\.[A-Za-z0-9._-]+$/;

/**
 * Reads the token from `DOPPLER_TOKEN` (a service token for `target`'s config) and the API URL
 * from `DOPPLER_API_URL`. Throws a CliError that names what to fix, never the token itself.
 */
export function dopplerCredentialsFromEnv(env: NodeJS.ProcessEnv, target: DopplerConfigRef): DopplerCredentials {
  const token = env['DOPPLER_TOKEN']?.trim() ?? '';
  const where = describe(target);
  if (token === '') {
    throw new CliError(
      `DOPPLER_TOKEN is not set: give a Doppler service token for ${where} (Doppler dashboard: the config's Access tab; a service token reads exactly one config)`,
    );
  }
  if (!TOKEN_SHAPE.test(token)) {
    throw new CliError(
      `DOPPLER_TOKEN does not look like a Doppler token (they start with dp., a service token with dp.st., and contain no spaces or quotes); give a service token for ${where}`,
    );
  }
  const rawUrl = env['DOPPLER_API_URL']?.trim() || DEFAULT_DOPPLER_API_URL;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new CliError(`DOPPLER_API_URL is not a URL: "${rawUrl}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliError(`DOPPLER_API_URL must be an http(s) URL, got "${rawUrl}"`);
  return { apiUrl: url.href.replace(/\/+$/, ''), token };
}

/**
 * Downloads a config's secrets: `GET /v3/configs/config/secrets/download?project=…&config=…&format=json`
 * with `Authorization: Bearer <token>`, which answers a flat JSON object of names to computed
 * values (references resolved), as `doppler secrets download --no-file --format json` prints it.
 *
 * The values are returned to the caller only; nothing here prints or logs them, and errors name
 * the HTTP status and Doppler's own messages, never the token or a value.
 */
export async function downloadDopplerSecrets(credentials: DopplerCredentials, target: DopplerConfigRef): Promise<Map<string, string>> {
  const url = new URL(`${credentials.apiUrl}/v3/configs/config/secrets/download`);
  url.searchParams.set('project', target.project);
  url.searchParams.set('config', target.config);
  url.searchParams.set('format', 'json');
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${credentials.token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw new CliError(`could not reach the Doppler API at ${credentials.apiUrl}: ${describeNetworkError(error, REQUEST_TIMEOUT_MS)}`);
  }
  const text = await response.text();
  if (!response.ok) throw statusError(response.status, dopplerMessages(text, credentials.token), target);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // The body holds secret values: say what is wrong with it, never what it says.
    throw new CliError(`the Doppler API answered HTTP ${response.status} with a body that is not JSON; is DOPPLER_API_URL (${credentials.apiUrl}) Doppler's API?`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new CliError(`the Doppler API answered HTTP ${response.status} with JSON that is not an object of secrets`);
  }
  const secrets = new Map<string, string>();
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    // format=json gives every value as a string; a null stands for a secret without a value.
    if (typeof value === 'string') secrets.set(name, value);
    else if (value === null) secrets.set(name, '');
    else throw new CliError(`the Doppler API answered a non-string value for secret ${name}; expected format=json's flat object of strings`);
  }
  return secrets;
}

function describe(target: DopplerConfigRef): string {
  return `Doppler project "${target.project}", config "${target.config}"`;
}

function statusError(status: number, messages: string, target: DopplerConfigRef): CliError {
  const detail = `HTTP ${status}${messages !== '' ? `: ${messages}` : ''}`;
  const where = describe(target);
  switch (status) {
    case 401:
      return new CliError(`Doppler rejected DOPPLER_TOKEN (${detail}): it is not a valid, current token; give a service token for ${where}`);
    case 403:
      return new CliError(`DOPPLER_TOKEN may not read ${where} (${detail}); a service token reads only the config it was created for`);
    case 404:
      return new CliError(`Doppler has no ${where} (${detail}); check the environment's doppler settings`);
    case 429:
      return new CliError(`the Doppler API is rate limiting requests (${detail}); try again in a minute`);
    default:
      return new CliError(`the Doppler API failed for ${where} (${detail})`);
  }
}

/** Doppler's error body is `{"messages": [...], "success": false}`; its messages, with the token cut out, shortened. */
function dopplerMessages(text: string, token: string): string {
  let messages: unknown;
  try {
    messages = (JSON.parse(text) as { messages?: unknown }).messages;
  } catch {
    return '';
  }
  if (!Array.isArray(messages)) return '';
  const joined = messages.filter((message): message is string => typeof message === 'string').join('; ').replaceAll(token, '<token>');
  return joined.length > 300 ? `${joined.slice(0, 300)}…` : joined;
}
