import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * The allow-listed tool catalog: every MCP tool this server offers, each one a Pipedream
 * HTTP-triggered workflow or a Pipedream Connect action. Nothing outside it can be called.
 */

const toolName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be snake_case, start with a letter and have at most 64 characters');

const annotationsSchema = z.strictObject({
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});

const inputSchemaSchema = z
  .object({ type: z.literal('object') })
  .loose()
  .describe('a JSON Schema for the arguments, of type object');

const commonFields = {
  name: toolName,
  title: z.string().min(1),
  description: z.string().min(1),
  inputSchema: inputSchemaSchema,
  /** How long one call may take, in milliseconds. Voice conversations cannot wait long. */
  timeoutMs: z.number().int().min(100).max(300_000).default(8_000),
  annotations: annotationsSchema.default({}),
};

const workflowSchema = z.strictObject({
  ...commonFields,
  kind: z.literal('workflow'),
  url: z.url({ protocol: /^https?$/ }),
  /** Environment variable holding the workflow's static bearer token ("custom token" trigger auth). */
  tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must name an environment variable').optional(),
});

const actionSchema = z.strictObject({
  ...commonFields,
  kind: z.literal('action'),
  /** The app's slug, e.g. `slack`; the caller's connected account for it is used. */
  app: z.string().regex(/^[a-z0-9_]+$/, 'must be a Pipedream app slug'),
  /** The action component key, e.g. `slack-send-message`. */
  actionKey: z.string().min(1),
  /** Props fixed by us, merged over the model's arguments. */
  fixedProps: z.record(z.string(), z.unknown()).default({}),
  /** Runs may be retried only when the action is idempotent; by default none are. */
  retries: z.number().int().min(0).max(3).default(0),
});

const catalogSchema = z.strictObject({
  tools: z.array(z.discriminatedUnion('kind', [workflowSchema, actionSchema])).min(1, 'list at least one tool'),
});

export type WorkflowTool = z.output<typeof workflowSchema>;
export type ActionTool = z.output<typeof actionSchema>;
export type CatalogEntry = WorkflowTool | ActionTool;

/** A catalog entry ready to serve: its argument validator compiled, its token resolved. */
export interface CatalogTool {
  readonly entry: CatalogEntry;
  /** Checks arguments; returns a readable problem or undefined. */
  readonly checkArguments: (args: unknown) => string | undefined;
  /** The workflow's bearer token, read from `tokenEnv` at start. */
  readonly bearerToken?: string;
}

export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

/** Reads and validates a YAML or JSON catalog; the error names the file, the entry and the field. */
export function loadCatalog(path: string, env: Readonly<Record<string, string | undefined>> = process.env): CatalogTool[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new CatalogError(`tool catalog ${path} cannot be read`);
  }
  let data: unknown;
  try {
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new CatalogError(`tool catalog ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseCatalog(data, path, env);
}

/** The `$schema` of a draft-07 schema, with or without its trailing `#`. */
const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;

/** Validates catalog data already parsed. */
export function parseCatalog(data: unknown, source: string, env: Readonly<Record<string, string | undefined>> = process.env): CatalogTool[] {
  const parsed = catalogSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CatalogError(`tool catalog ${source}: ${describeIssue(data, issue)}`);
  }
  // MCP (2025-11-25) makes JSON Schema 2020-12 the dialect of a schema without `$schema`; a
  // schema that names draft-07 keeps it.
  const ajv2020 = new Ajv2020({ allErrors: false, strict: false });
  const ajvDraft07 = new Ajv({ allErrors: false, strict: false });
  const seen = new Set<string>();
  return parsed.data.tools.map((entry, index) => {
    const where = `tool catalog ${source}: entry ${index + 1} ("${entry.name}")`;
    if (seen.has(entry.name)) throw new CatalogError(`${where}: the name is used by an earlier entry`);
    seen.add(entry.name);
    let validate: ValidateFunction;
    const ajv = DRAFT_07.test(String(entry.inputSchema['$schema'] ?? '')) ? ajvDraft07 : ajv2020;
    try {
      validate = ajv.compile(entry.inputSchema);
    } catch (error) {
      throw new CatalogError(`${where}, field inputSchema: not a valid JSON Schema: ${(error as Error).message}`);
    }
    let bearerToken: string | undefined;
    if (entry.kind === 'workflow' && entry.tokenEnv !== undefined) {
      bearerToken = env[entry.tokenEnv];
      if (bearerToken === undefined || bearerToken === '') {
        throw new CatalogError(`${where}, field tokenEnv: environment variable ${entry.tokenEnv} is not set`);
      }
    }
    return {
      entry,
      checkArguments: (args: unknown) => (validate(args) ? undefined : ajv.errorsText(validate.errors, { dataVar: 'arguments' })),
      ...(bearerToken !== undefined ? { bearerToken } : {}),
    };
  });
}

function describeIssue(data: unknown, issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'invalid';
  const [section, index, ...field] = issue.path;
  if (section === 'tools' && typeof index === 'number') {
    const name = ((data as { tools?: Array<{ name?: unknown }> }).tools?.[index]?.name as string | undefined) ?? '?';
    const fieldText = field.length > 0 ? `, field ${field.join('.')}` : '';
    return `entry ${index + 1} ("${name}")${fieldText}: ${issue.message}`;
  }
  return `${issue.path.join('.') || 'top level'}: ${issue.message}`;
}
