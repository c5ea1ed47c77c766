import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { formatZodIssue, zodIssuePath } from '../../constructs/zod-issues.ts';
import { CliError } from '../cli-error.ts';
import type { Pins } from './pins.ts';
import type { UpdateCheck } from './update-check.ts';

// What renovate.json makes Renovate do with each pin check-updates compares, in words, for the
// updates issue: which pull request proposes it (its group), which versions it allows, whether a
// bump waits for approval or is turned off, and the limits that hold every PR back.

const PackageRule = z.record(z.string(), z.unknown());
const RenovateConfigSchema = z.object({
  schedule: z.array(z.string()).optional(),
  timezone: z.string().optional(),
  minimumReleaseAge: z.string().nullable().optional(),
  prConcurrentLimit: z.number().optional(),
  prHourlyLimit: z.number().optional(),
  dependencyDashboard: z.boolean().optional(),
  packageRules: z.array(PackageRule).optional(),
});

export type RenovateConfig = z.infer<typeof RenovateConfigSchema>;
type Rule = z.infer<typeof PackageRule>;

/** renovate.json at the repository root; a CliError when it is missing or not a Renovate configuration. */
export function readRenovateConfig(root: string): RenovateConfig {
  const file = join(root, 'renovate.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`renovate.json: cannot read it (${error instanceof Error ? error.message : String(error)}); --sync-issue says from it what Renovate covers`);
  }
  const parsed = RenovateConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(`renovate.json: ${zodIssuePath(issue) ?? 'the top level'}: ${formatZodIssue(issue)}`);
  }
  return parsed.data;
}

/** A pin as Renovate's rules see it. */
export interface RenovateDependency {
  /** Names Renovate knows it by: the depName of a `// renovate:` comment, an npm package. */
  readonly names: readonly string[];
  readonly datasource: string;
  /** Renovate's manager: `custom.regex` for environments/versions.ts, `npm` for package.json. */
  readonly manager: string;
  readonly file: string;
}

/** `ghcr.io/jitsi/{web,prosody}` → both names. */
function expandBraces(name: string): string[] {
  const match = /^(.*)\{([^{}]+)\}(.*)$/.exec(name);
  return match ? match[2]!.split(',').map((part) => `${match[1]}${part}${match[3]}`) : [name];
}

/** The pin of one check, as Renovate finds it: the `// renovate:` comment's datasource, or npm for a package.json. */
export function renovateDependency(check: UpdateCheck, pins: Pins): RenovateDependency {
  const file = check.pinnedIn.replace(/ \(.*\)$/, '');
  const names = expandBraces(check.package);
  if (file.endsWith('package.json')) return { names, datasource: 'npm', manager: 'npm', file };
  const pin = [pins.tenSources, ...pins.tenImages, pins.jitsi].find((candidate) => names.includes(candidate.depName));
  return { names, datasource: pin?.datasource ?? 'unknown', manager: 'custom.regex', file };
}

/** Renovate's matchPackageNames / matchFileNames patterns: exact, glob (`*`, `**`) or `/regex/`. */
function matchesPattern(pattern: string, value: string): boolean {
  const regex = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  if (regex) return new RegExp(regex[1]!, regex[2]).test(value);
  if (!pattern.includes('*')) return pattern === value;
  const source = pattern
    .split(/(\*\*\/?|\*)/)
    .map((part) => (part === '**/' ? '(?:.*/)?' : part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(value);
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

/** The match keys this file evaluates; a rule with any other `match…` key applies only to some updates. */
const EVALUATED = {
  matchPackageNames: (patterns: string[], dependency: RenovateDependency) =>
    dependency.names.some((name) => patterns.some((pattern) => !pattern.startsWith('!') && matchesPattern(pattern, name))),
  matchDatasources: (values: string[], dependency: RenovateDependency) => values.includes(dependency.datasource),
  // Renovate 37+ calls the regex custom manager `custom.regex`; older configurations say `regex`.
  matchManagers: (values: string[], dependency: RenovateDependency) => values.includes(dependency.manager) || (dependency.manager === 'custom.regex' && values.includes('regex')),
  matchFileNames: (patterns: string[], dependency: RenovateDependency) => patterns.some((pattern) => matchesPattern(pattern, dependency.file)),
} as const;

interface Applied {
  readonly rule: Rule;
  /** The `match…` keys not evaluated here, in words (`major updates`), when the rule has any. */
  readonly only: string | undefined;
}

function appliedRules(config: RenovateConfig, dependency: RenovateDependency): Applied[] {
  return (config.packageRules ?? []).flatMap((rule) => {
    const keys = Object.keys(rule).filter((key) => key.startsWith('match'));
    if (keys.length === 0) return [];
    const evaluated = keys.filter((key): key is keyof typeof EVALUATED => key in EVALUATED);
    if (!evaluated.every((key) => EVALUATED[key](strings(rule[key]), dependency))) return [];
    const others = keys.filter((key) => !(key in EVALUATED));
    const only = others.length === 0 ? undefined : others.map((key) => (key === 'matchUpdateTypes' ? `${strings(rule[key]).join('/')} updates` : `${key} ${strings(rule[key]).join(', ')}`)).join(', ');
    return [{ rule, only }];
  });
}

const code = (text: string) => `\`${text}\``;

/**
 * One line: what Renovate does with this pin under renovate.json's package rules, later rules
 * overriding earlier ones as in Renovate, e.g. `PR "TEN Framework", versions /^\d+\.\d+\.\d+$/`.
 */
export function renovateCoverage(config: RenovateConfig, dependency: RenovateDependency): string {
  const applied = appliedRules(config, dependency);
  const last = <T>(key: string, accept: (value: unknown) => value is T): { value: T; only: string | undefined } | undefined => {
    const found = applied.filter(({ rule }) => accept(rule[key])).at(-1);
    return found === undefined ? undefined : { value: found.rule[key] as T, only: found.only };
  };
  const isString = (value: unknown): value is string => typeof value === 'string';
  const isTrue = (value: unknown): value is true => value === true;
  const isFalse = (value: unknown): value is false => value === false;
  const when = (only: string | undefined) => (only === undefined ? '' : ` (${only})`);

  const disabled = last('enabled', isFalse);
  if (disabled !== undefined && disabled.only === undefined) return 'not proposed: a package rule sets `enabled: false`';
  const group = last('groupName', isString);
  const parts = [group !== undefined ? `PR "${group.value}"${when(group.only)}` : 'a PR of its own (no rule groups it)'];
  const allowed = last('allowedVersions', isString);
  if (allowed !== undefined) parts.push(`versions ${code(allowed.value)}${when(allowed.only)}`);
  const approval = last('dependencyDashboardApproval', isTrue);
  if (approval !== undefined) parts.push(`waits for approval on the Dependency Dashboard${when(approval.only)}`);
  const age = last('minimumReleaseAge', isString);
  if (age !== undefined) parts.push(`releases ${age.value} old${when(age.only)}`);
  if (disabled !== undefined) parts.push(`turned off${when(disabled.only)}`);
  if (applied.length === 0) parts.push('no rule in renovate.json names it');
  return parts.join(', ');
}

/** What holds every Renovate PR back, from renovate.json's top level, as sentences. */
export function renovateLimits(config: RenovateConfig): string[] {
  const limits: string[] = [];
  if (config.schedule !== undefined && config.schedule.length > 0) {
    limits.push(`it runs on its schedule (${config.schedule.map(code).join(', ')}${config.timezone !== undefined ? `, ${config.timezone}` : ''})`);
  }
  if (typeof config.minimumReleaseAge === 'string') limits.push(`it proposes a release once it is ${config.minimumReleaseAge} old (${code('minimumReleaseAge')})`);
  if (config.prConcurrentLimit !== undefined) limits.push(`it keeps at most ${config.prConcurrentLimit} PRs open (${code('prConcurrentLimit')})`);
  if (config.prHourlyLimit !== undefined) limits.push(`it opens at most ${config.prHourlyLimit} an hour (${code('prHourlyLimit')})`);
  return limits;
}
