/**
 * TEN's `${env:VAR}` placeholders in graph properties, resolved as the runtime does
 * (`core/src/ten_utils/lib/sys/general/placeholder.c`, walked by
 * `ten_extension_resolve_properties_in_graph` in `core/src/ten_runtime/extension/metadata.c`):
 * - only a string that is a whole placeholder (`${` … `}`) is one; text around it is literal;
 * - `${env:VAR|default}` takes everything after the first `|` as the default (`${env:VAR|}` is "");
 * - a variable that is set, even to "", gives its value;
 * - an unset variable without a default logs an error and the process exits with EXIT_FAILURE.
 */

export class MissingEnvironmentVariable extends Error {
  constructor(readonly variable: string) {
    // The runtime's own log line (TEN_LOGE) before exit(EXIT_FAILURE).
    super(`Environment variable ${variable} is not found, neither default value is provided.`);
  }
}

/** Resolves every placeholder in a node's property, recursively; throws MissingEnvironmentVariable. */
export function resolvePlaceholders(value: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  if (typeof value === 'string') return resolveString(value, env);
  if (Array.isArray(value)) return value.map((item) => resolvePlaceholders(item, env));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolvePlaceholders(item, env)]));
  }
  return value;
}

function resolveString(text: string, env: Readonly<Record<string, string | undefined>>): string {
  if (!text.startsWith('${') || !text.endsWith('}')) return text;
  const content = text.slice(2, -1);
  const colon = content.indexOf(':');
  // No scope delimiter: not a placeholder, the string stays as it is.
  if (colon === -1) return text;
  const scope = content.slice(0, colon);
  // The runtime asserts on any other scope; a fake cannot crash more usefully than by saying so.
  if (scope !== 'env') throw new Error(`unsupported placeholder scope "${scope}" in ${text}`);
  const rest = content.slice(colon + 1);
  const unescaped = rest.replace(/\\(.)/g, '$1');
  const bar = unescaped.indexOf('|');
  const variable = bar === -1 ? rest : unescaped.slice(0, bar);
  const fallback = bar === -1 ? undefined : unescaped.slice(bar + 1);
  const found = env[variable];
  if (found !== undefined) return found;
  if (fallback === undefined) throw new MissingEnvironmentVariable(variable);
  return fallback;
}
