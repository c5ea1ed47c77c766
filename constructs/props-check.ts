import type { Construct } from 'constructs';
import { z } from 'zod';
import { CONSTRUCT_ID, environmentForNewChild, pathIn, SERVICE_ID } from './construct-scope.ts';
import { isReference } from './references.ts';
import { SpecError } from './spec-error.ts';
import { formatZodIssue, zodIssuePath } from './zod-issues.ts';

// The props of the L3 constructs (JitsiMeet, TenAgent, Postgres, ...) are checked against a schema
// before anything is built from them, so a wrong type is a located error instead of a TypeError
// deep inside the construct, or a value quietly rendered wrong.

/** Throws a located SpecError. */
export type Fail = (field: string | undefined, problem: string) => never;

/** Checks `props` (or any value, such as a file synth writes) against `schema`; the first issue fails, at its field. */
export function checkProps(schema: z.ZodType, props: unknown, fail: Fail): void {
  const parsed = schema.safeParse(props, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(zodIssuePath(issue), formatZodIssue(issue));
  }
}

/** Where a service subclass reports problems with its props, before its `super()` call has made it. */
export function failForNewService(scope: Construct, id: string): Fail {
  const environment = environmentForNewChild(scope, id, { kind: 'service', id: SERVICE_ID });
  return (field, problem) => {
    throw new SpecError({ environment: environment.name, service: id, ...(field !== undefined ? { field } : {}) }, problem);
  };
}

/**
 * Checks that a grouping construct can be created under `scope` as `id`, and returns where it
 * reports problems with its props: the environment and the construct's path in it.
 */
export function failForNewConstruct(scope: Construct, id: string): Fail {
  const environment = environmentForNewChild(scope, id, { kind: 'construct', id: CONSTRUCT_ID });
  const construct = pathIn(environment, scope, id);
  return (field, problem) => {
    throw new SpecError({ environment: environment.name, construct, ...(field !== undefined ? { field } : {}) }, problem);
  };
}

/** An environment variable value: a literal or a reference. */
export const envValueSchema = z.custom<string>((value) => typeof value === 'string' || isReference(value), {
  message: 'must be a string or a reference (secret(), service.url(), ...)',
});

/** An object literal, as props and maps of variables are: not null, an array, a string or a class instance such as a Map. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

export const plainObjectSchema = z.custom<Record<string, unknown>>(isPlainObject, { message: 'must be an object' });

/**
 * The tag of a third-party image an L3 runs, such as `18.4-alpine`: Docker's tag syntax. Whether
 * it pins a release is checked once the image is a service's, with every other image.
 */
export const imageTagSchema = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be an image tag such as 18.4-alpine (letters, digits, _, . and -)');

/** A short piece of text the construct puts in a variable: not empty, no NUL byte. */
export const textSchema = z.string().min(1, 'must not be empty').regex(/^[^\0]*$/, 'must not contain a NUL byte');
