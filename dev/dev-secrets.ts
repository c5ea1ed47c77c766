import { randomBytes } from 'node:crypto';

/**
 * The secrets of one `npm run dev`, the same for every service that reads one (the MCP server and
 * the console share MCP_CONSOLE_TOKEN): the value `npm run dev`'s own environment gives under the
 * secret's name (to call the MCP server with a token you know, say), or else 48 random characters
 * made when first asked for, beyond every rule the services have (tokens of 16 and secrets of 32
 * at least) and without the , : @ / that the variables holding them would take for separators.
 * Never printed and never written to a file: they live only in the environments of the processes
 * started.
 */
export class DevSecrets {
  private readonly values = new Map<string, string>();

  /** `fixed`: secrets a stand-in checks against values of its own (the fake Pipedream's client). */
  constructor(
    fixed: Readonly<Record<string, string>> = {},
    private readonly given: NodeJS.ProcessEnv = process.env,
  ) {
    for (const [name, value] of Object.entries(fixed)) this.values.set(name, value);
  }

  get(name: string): string {
    let value = this.values.get(name);
    if (value === undefined) {
      value = this.given[name] || randomBytes(36).toString('base64url');
      this.values.set(name, value);
    }
    return value;
  }
}

/** The test user's password: printed for the person signing in, so short enough to type. */
export function testUserPassword(): string {
  return randomBytes(9).toString('base64url');
}
