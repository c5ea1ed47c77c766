import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { buildInputs, gitCommit, inputsChanged, workingTree, type RepositoryFiles } from '../../charts/build-context.ts';
import { imageOf, imagePlatforms } from '../../charts/images.ts';
import { lockfileSlice } from '../../charts/lockfile-slice.ts';
import { renderEnvironments } from '../../charts/render.ts';
import { rootPackageSlice } from '../../charts/root-package-slice.ts';
import { findInstance, findService, instancesOf, servicesOf, startOrder, type StackEnvironment, type StackService, type Target } from '../../constructs/index.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { ENVIRONMENT_FILES } from '../../environments/index.ts';
import { CliError } from '../cli-error.ts';
import { loadEnvironments } from '../load-environments.ts';
import { changeReasons } from './change-reasons.ts';
import type { DeployPlan, EnvironmentPlan, ImageBuild, ServiceChange } from './plan-types.ts';
import { environmentFiles, renderedUnits, type RenderedFiles, type RenderedUnit } from './rendered-units.ts';
import { restartsWorkload } from './restarts.ts';
import { sameContent } from './unit-content.ts';

export interface PlanOptions {
  /** Where progress lines go. @default - nowhere */
  readonly log?: (line: string) => void;
  /** The repository. @default - this one */
  readonly cwd?: string;
}

/** Both sides of a comparison: the base commit's committed output, the working tree freshly rendered. */
export interface Comparison {
  readonly baseCommit: string | undefined;
  readonly base: RenderedFiles;
  readonly head: RenderedFiles;
  readonly baseFiles: RepositoryFiles | undefined;
  readonly environments: StackEnvironment[];
}

const NO_COMMIT = /^0+$/;

/**
 * Resolves a ref to a commit. GitHub's `before` of a branch's first push is all zeros: there is
 * no base, and everything counts as new.
 */
function resolveCommit(ref: string, cwd: string): string | undefined {
  if (NO_COMMIT.test(ref)) return undefined;
  try {
    return execFileSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    throw new CliError(`unknown git ref "${ref}": give a commit, branch or tag of this repository (in CI, check out enough history: actions/checkout with fetch-depth: 0)`);
  }
}

/**
 * Renders the working tree in memory and reads the base commit's rendered output from git. The
 * committed output of a commit on main is exactly what it renders (CI fails on drift), so the
 * base never needs rendering with its own code and dependencies.
 */
export async function compareWith(baseRef: string, options: PlanOptions = {}): Promise<Comparison> {
  const cwd = options.cwd ?? REPO_ROOT;
  const log = options.log ?? (() => undefined);
  const baseCommit = resolveCommit(baseRef, cwd);
  log(`rendering the working tree…`);
  const environments = await loadEnvironments(ENVIRONMENT_FILES.map((file) => join(REPO_ROOT, file)));
  const head = renderEnvironments(environments).files;
  const base = new Map<string, string>();
  let baseFiles: RepositoryFiles | undefined;
  if (baseCommit !== undefined) {
    log(`reading the rendered output of ${baseCommit.slice(0, 12)}…`);
    baseFiles = gitCommit(baseCommit, cwd);
    for (const file of [...baseFiles.list('dist'), ...baseFiles.list('.railway')]) base.set(file, baseFiles.read(file).toString('utf8'));
  }
  return { baseCommit, base, head, baseFiles, environments };
}

/** Package name of a lock file path: the part after its last `node_modules/`. */
function packageName(path: string): string {
  const index = path.lastIndexOf('node_modules/');
  return index === -1 ? path : path.slice(index + 'node_modules/'.length);
}

/** Which packages of a workspace's slice moved: `@modelcontextprotocol/server 2.4.0 → 2.5.0`. */
function dependencyChanges(before: string, after: string): string[] {
  const versions = (slice: string) => new Map((JSON.parse(slice) as Array<[string, { version?: string }]>).map(([path, entry]) => [packageName(path), entry.version ?? '']));
  const was = versions(before);
  const now = versions(after);
  const changes: string[] = [];
  for (const name of [...new Set([...was.keys(), ...now.keys()])].sort()) {
    if (was.get(name) === now.get(name)) continue;
    changes.push(was.has(name) ? (now.has(name) ? `${name} ${was.get(name)} → ${now.get(name)}` : `${name} removed`) : `${name} ${now.get(name)} added`);
  }
  return changes;
}

/** Which fields of the root package.json's slice differ: `overrides, workspaces`. */
function rootPackageChanges(before: RepositoryFiles, after: RepositoryFiles): string {
  const fields = (files: RepositoryFiles) => JSON.parse(rootPackageSlice(files.read('package.json').toString('utf8'))) as Record<string, unknown>;
  const was = fields(before);
  const now = fields(after);
  return [...new Set([...Object.keys(was), ...Object.keys(now)])]
    .filter((field) => JSON.stringify(was[field]) !== JSON.stringify(now[field]))
    .sort()
    .join(', ');
}

/** Why a built service's image changes: its files, its dependencies in the lock file, or what npm reads of the root package.json. */
function codeReasons(service: StackService, baseFiles: RepositoryFiles | undefined): string[] {
  const build = service.data.build;
  if (build === undefined) return [];
  if (baseFiles === undefined) return ['new image'];
  const changed = inputsChanged(buildInputs(build, baseFiles), buildInputs(build, workingTree));
  if (changed.length === 0) return [];
  const reasons: string[] = [];
  // A workspace build counts the root package.json by its fields, named below; otherwise it is a file like any other.
  const rootPackageSliced = build.npmWorkspace !== undefined && changed.includes('package.json');
  const files = changed.filter((file) => file !== 'package-lock.json' && !(rootPackageSliced && file === 'package.json'));
  if (files.length > 0) reasons.push(`code: ${files.slice(0, 3).join(', ')}${files.length > 3 ? ` and ${files.length - 3} more files` : ''}`);
  if (changed.includes('package-lock.json')) {
    const lock = (files: RepositoryFiles) => {
      try {
        const text = files.read('package-lock.json').toString('utf8');
        return build.npmWorkspace === undefined ? text : lockfileSlice(text, build.npmWorkspace.path, { includeDev: build.npmWorkspace.devDependencies });
      } catch {
        return '[]';
      }
    };
    const moved = build.npmWorkspace === undefined ? [] : dependencyChanges(lock(baseFiles), lock(workingTree));
    reasons.push(moved.length === 0 ? 'dependencies changed' : `dependencies: ${moved.slice(0, 4).join(', ')}${moved.length > 4 ? ` and ${moved.length - 4} more` : ''}`);
  }
  if (rootPackageSliced) reasons.push(`root package.json: ${rootPackageChanges(baseFiles, workingTree)} changed`);
  return reasons;
}

function isCodeReason(reason: string): boolean {
  return reason.startsWith('code:') || reason.startsWith('dependencies') || reason.startsWith('root package.json:') || reason === 'new image';
}

/** A rendered image tag that only moved because the code did: the code reasons say it better. */
const BUILT_IMAGE_MOVE = /^image \S+:sha-[0-9a-f]+ → \S+:sha-[0-9a-f]+$/;

/**
 * Every name a service has in rendered units: its own, and on Compose and Railway each replica's
 * when its replicas are addressed one by one (`ten-agent-0`, in replica order).
 */
function unitNames(service: StackService): string[] {
  return [...new Set([service.name, ...instancesOf(service).map((instance) => instance.name)])];
}

/** The service a rendered unit belongs to, by the unit's name. */
function serviceOfUnit(environment: StackEnvironment, name: string): StackService | undefined {
  return findService(environment, name) ?? findInstance(environment, name)?.service;
}

/** The services named, each after everything it depends on (the model's start order); removed ones last. */
function dependencyOrder(environment: StackEnvironment, names: Set<string>): string[] {
  const ordered = startOrder(servicesOf(environment)).flatMap(unitNames).filter((name) => names.has(name));
  const placed = new Set(ordered);
  return [...ordered, ...[...names].filter((name) => !placed.has(name)).sort()];
}

/** Code reasons by build: each environment builds a service's image from the same files, so read and hash them once. */
type CodeReasons = (service: StackService) => string[];

function codeReasonsOnce(baseFiles: RepositoryFiles | undefined): CodeReasons {
  const known = new Map<string, string[]>();
  return (service) => {
    const key = JSON.stringify(service.data.build ?? null);
    let reasons = known.get(key);
    if (reasons === undefined) {
      reasons = codeReasons(service, baseFiles);
      known.set(key, reasons);
    }
    return reasons;
  };
}

function planEnvironment(environment: StackEnvironment, comparison: Comparison, reasonsFor: CodeReasons): EnvironmentPlan {
  const byKey = (units: RenderedUnit[]) => new Map(units.map((unit) => [`${unit.service}\0${unit.target}`, unit]));
  const baseUnits = renderedUnits(comparison.base, environment.name);
  const headUnits = renderedUnits(comparison.head, environment.name);
  const before = byKey(baseUnits);
  const after = byKey(headUnits);
  const changes = new Map<string, { targets: Set<Target>; restartsOn: Set<Target>; reasons: string[] }>();
  const note = (service: string, target: Target, reasons: string[], restarts: boolean) => {
    const change = changes.get(service) ?? { targets: new Set<Target>(), restartsOn: new Set<Target>(), reasons: [] };
    change.targets.add(target);
    if (restarts) change.restartsOn.add(target);
    for (const reason of reasons) if (!change.reasons.includes(reason)) change.reasons.push(reason);
    changes.set(service, change);
  };
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const was = before.get(key);
    const now = after.get(key);
    if (sameContent(was?.content, now?.content)) continue;
    const unit = (now ?? was)!;
    const layout = unit.format;
    note(unit.service, unit.target, changeReasons(layout, was?.content, now?.content), restartsWorkload(layout, was?.content, now?.content));
  }
  // A built service's image follows its code, which Railway builds from git and Compose builds
  // locally: neither rendering shows it, so the code itself decides there. A new image restarts
  // the workload on every target.
  for (const service of servicesOf(environment)) {
    const reasons = reasonsFor(service);
    if (reasons.length === 0) continue;
    const names = unitNames(service);
    for (const unit of after.values()) if (names.includes(unit.service)) note(unit.service, unit.target, reasons, true);
  }
  const planned: ServiceChange[] = dependencyOrder(environment, new Set(changes.keys())).map((name) => {
    const change = changes.get(name)!;
    const codeChanged = change.reasons.some(isCodeReason);
    const reasons = codeChanged ? change.reasons.filter((reason) => !BUILT_IMAGE_MOVE.test(reason)) : change.reasons;
    return { service: name, targets: [...change.targets].sort(), restartsOn: [...change.restartsOn].sort(), reasons };
  });
  const otherFiles = [...new Set([...environmentFiles(comparison.base, environment.name, baseUnits), ...environmentFiles(comparison.head, environment.name, headUnits)])].filter(
    (file) => comparison.base.get(file) !== comparison.head.get(file),
  );
  return { environment: environment.name, targets: [...environment.settings.targets], changes: planned, otherFiles };
}

/**
 * The images CI pushes: each changed built service once per registry, named as rendered. Only
 * environments with a registry (those Kubernetes pulls from) need one.
 */
function imagesToBuild(environments: StackEnvironment[], plans: EnvironmentPlan[]): ImageBuild[] {
  const images = new Map<string, ImageBuild>();
  environments.forEach((environment, index) => {
    if (environment.settings.repository?.imageRegistry === undefined) return;
    for (const change of plans[index]!.changes) {
      const service = serviceOfUnit(environment, change.service);
      const build = service?.data.build;
      if (service === undefined || build === undefined || !change.reasons.some(isCodeReason)) continue;
      const image = imageOf(service);
      images.set(image, { service: service.name, image, context: build.context, dockerfile: build.dockerfile, platforms: imagePlatforms(service) });
    }
  });
  return [...images.values()].sort((a, b) => a.image.localeCompare(b.image));
}

/**
 * Which services each environment must redeploy to go from `baseRef` to the working tree, in
 * dependency order: those whose rendering changed on any target, and built services whose code
 * or own dependencies changed. Anything else (docs, tests, another workspace's tools) plans nothing.
 */
export async function planDeploy(baseRef: string, options: PlanOptions = {}): Promise<DeployPlan> {
  const comparison = await compareWith(baseRef, options);
  const reasonsFor = codeReasonsOnce(comparison.baseFiles);
  const environments = comparison.environments.map((environment) => planEnvironment(environment, comparison, reasonsFor));
  return { baseRef, baseCommit: comparison.baseCommit, environments, images: imagesToBuild(comparison.environments, environments) };
}
