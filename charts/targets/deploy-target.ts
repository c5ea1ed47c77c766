import type { StackEnvironment, StackService, Target } from '../../constructs/index.ts';
import type { RenderedOutput } from '../rendered-output.ts';
import type { TargetFields } from '../target-fields.ts';

/**
 * One place the stack is deployed to, and everything the rest of the generator and the CLI may
 * ask of it. Renderers of other outputs (the Doppler lists, the review page) and the commands
 * (health, plan, diff, deploy) go through this interface; none of them imports a target's
 * internals or spells its paths, so adding a target is one module and its registration.
 */
export interface DeployTarget {
  /** Also where the Doppler lists say a secret is read. */
  readonly name: TargetName;
  /** The environment's `targets` entry that turns this target on; health and plan report under it. */
  readonly setting: Target;
  /** How this target treats every field of the service model (rendered, not needed, or lost with a note). */
  readonly fields: TargetFields;
  /** Files it writes outside `dist/`, where the tool that reads each one looks for it. */
  readonly filesOutsideDist: readonly string[];
  /** Whether it renders anything for this environment. */
  renders(environment: StackEnvironment): boolean;
  /** Renders the environments it renders (all at once: Railway writes one file for all of them). */
  render(environments: readonly StackEnvironment[]): RenderedOutput;
  /** The Doppler secrets each service it runs reads, by the name it runs under (a replica addressed on its own has its own). */
  secretNames(environment: StackEnvironment): Map<string, Set<string>>;
  /**
   * The public HTTP origin of each public service it runs, or why there is none to check from outside:
   * what `health` checks, and the scheme the review page labels a public entry with.
   */
  publicEndpoints(environment: StackEnvironment): PublicEndpoints;
  /** Where it places a service, for the review page's diagrams and table; undefined when it has no place for it. */
  placement(service: StackService): ServicePlacement | undefined;
  /** One line for synth's summary of the environment, when this target places something unusually. */
  summary(environment: StackEnvironment): string | undefined;
  /** The units a deploy acts on, read back from rendered files (synth's in memory, or a commit's). */
  units(files: RenderedFiles, environment: string): RenderedUnit[];
  /**
   * Checks its rendered files offline, against the schemas or the real SDK of the tool that
   * reads them. `root` is where they are on disk, for a check that must load a file from there.
   */
  validate(files: RenderedFiles, root: string): Promise<TargetValidation[]>;
}

/**
 * Where one target places one service. The review page draws one box per place, so every service
 * a target places in one place gets the same `place` text.
 */
export interface ServicePlacement {
  /** The place, as the diagram's box names it: `Kubernetes cluster, namespace voice-agent-staging`. */
  readonly place: string;
  /** Short, for the table: `kubernetes`, `railway as ten-agent-0`, `kubernetes: external (Doppler)`. */
  readonly note: string;
  /** False for a service the target reaches but does not run (a database outside the cluster). */
  readonly runs: boolean;
  /**
   * How the services placed here reach those in other places, where not over a private network:
   * `through a Railway TCP proxy, over the internet`. @default - no such note
   */
  readonly reachesOtherPlacesThrough?: string;
}

/** One offline check of a target's files: `kubernetes`, `24 objects in 20 files`, and what is wrong. */
export interface TargetValidation {
  readonly label: string;
  readonly checked: string;
  readonly problems: string[];
}

/**
 * The targets by name: the three an environment's `targets` can list, and `off-railway`, the
 * separate host an environment that renders Railway runs its public-UDP services on.
 */
export type TargetName = 'kubernetes' | 'compose' | 'railway' | 'off-railway';

/** Rendered output by path (`dist/...`), from a synth in memory or from a commit. */
export type RenderedFiles = ReadonlyMap<string, string>;

/**
 * One service as one target renders it in one environment: the unit a deploy acts on. Its
 * content is parsed and its keys sorted, so two renderings compare by meaning.
 */
export interface RenderedUnit {
  readonly environment: string;
  readonly service: string;
  readonly target: Target;
  /**
   * What its content is: Kubernetes objects keyed `Kind/name`, one Compose service entry, or one
   * Railway resource. Not always its target's: the services off Railway are Railway's units,
   * rendered as Compose services for the separate host.
   */
  readonly format: 'kubernetes' | 'compose' | 'railway';
  /** The rendered file it comes from. */
  readonly file: string;
  readonly content: unknown;
}

export interface PublicEndpoints {
  readonly endpoints: PublicEndpoint[];
  readonly unchecked: UncheckedService[];
}

/** A public service's HTTP origin on one target, and the port that origin reaches. */
export interface PublicEndpoint {
  readonly service: StackService;
  readonly origin: string;
  readonly port: number;
}

/** A public service whose health cannot be checked from outside on this target, and why. */
export interface UncheckedService {
  readonly service: StackService;
  readonly reason: string;
}

/** Adds every secret `names` holds to `service`'s set. */
export function addSecrets(into: Map<string, Set<string>>, service: string, names: Iterable<string>): void {
  const set = into.get(service) ?? new Set<string>();
  for (const name of names) set.add(name);
  if (set.size > 0) into.set(service, set);
}
