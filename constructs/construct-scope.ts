import { Construct } from 'constructs';
import { quoted, SpecError, type SpecLocation } from './spec-error.ts';
import { StackEnvironment } from './stack-environment.ts';
import { describeValue } from './zod-issues.ts';

/** What is about to be created: a service (its id is its name everywhere) or a grouping construct. */
export interface NewChild {
  readonly kind: 'service' | 'construct';
  /** Ids the child accepts, and how to say so. */
  readonly id: { readonly pattern: RegExp; readonly rule: string };
}

/** Service names: the construct id of a service is its name in every target. */
export const SERVICE_ID = { pattern: /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/, rule: 'service name must be a lowercase DNS label of at most 32 characters' };

/** The ids grouping constructs (JitsiMeet, VoiceAgentStack) accept: what the constructs library keeps as is. */
export const CONSTRUCT_ID = { pattern: /^[^/\x00-\x1f\x7f]+$/, rule: 'a construct id must be a non-empty name without / or control characters' };

/**
 * Checks, before a construct is created, that `scope` is inside an environment and can take a
 * child named `id`, and returns that environment. Without it the constructs library throws a bare
 * Error (an empty id, an id used twice, an id that is not a string), which names no environment.
 */
export function environmentForNewChild(scope: unknown, id: unknown, child: NewChild): StackEnvironment {
  const shownId = typeof id === 'string' ? id : describeValue(id);
  if (!(scope instanceof Construct)) {
    throw new SpecError(
      child.kind === 'service' ? { service: shownId } : { construct: shownId },
      `${quoted(shownId)} is not inside a StackEnvironment (its scope is ${describeValue(scope)}); create it under the environment your environment file builds`,
    );
  }
  const environment = StackEnvironment.of(scope, shownId);
  const where = (field: string): SpecLocation =>
    child.kind === 'service' ? { environment: environment.name, service: shownId, field } : { environment: environment.name, construct: pathIn(environment, scope, shownId), field };
  if (typeof id !== 'string' || !child.id.pattern.test(id)) {
    throw new SpecError(where(child.kind === 'service' ? 'name' : 'id'), `${child.id.rule}, got ${typeof id === 'string' ? quoted(id) : shownId}`);
  }
  const taken = scope.node.tryFindChild(id);
  if (taken !== undefined) {
    throw new SpecError(
      where(child.kind === 'service' ? 'name' : 'id'),
      `${quoted(taken.node.path)} is declared twice in the same scope; give each construct its own id`,
    );
  }
  return environment;
}

/** A construct's path below its environment, e.g. `voice-agent/jitsi`. */
export function pathIn(environment: StackEnvironment, scope: Construct, id: string): string {
  const below = scope.node.scopes.slice(scope.node.scopes.indexOf(environment) + 1).map((construct) => construct.node.id);
  return [...below, id].join('/');
}
