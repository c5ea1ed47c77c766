/**
 * Compose's variable interpolation, as much of it as our renderings use: `$$` (a literal `$`),
 * `${NAME}`, `${NAME:-default}` / `${NAME-default}` and `${NAME:?message}` / `${NAME?message}`,
 * which stops with the message when NAME is unset (or, with the colon, empty), as
 * `docker compose` does. For tests that need what a service's environment becomes with a .env.
 */
export function interpolateCompose(text: string, variables: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([?-])([^}]*))?\}/g, (whole, name: string | undefined, colon: string | undefined, operator: string | undefined, argument: string | undefined) => {
    if (whole === '$$') return '$';
    const value = variables[name as string];
    const missing = value === undefined || (colon === ':' && value === '');
    if (operator === '?' && missing) throw new Error(`required variable ${name} is missing a value: ${argument ?? ''}`);
    if (operator === '-' && missing) return argument ?? '';
    return value ?? '';
  });
}

/** Every value of a service's environment interpolated. */
export function interpolateEnvironment(environment: Readonly<Record<string, string>>, variables: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, interpolateCompose(value, variables)]));
}
