/**
 * Runs Debian's promtool (package `prometheus`; test/prerequisites.ts checks it is on PATH) on
 * files written to a fresh temporary directory, as the tests here need it: rule files to
 * check, rule unit tests to run.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { RecordingRuleGroup, RuleGroup } from '../../../charts/observability/index.ts';
import { temporaryDirectory } from '../../helpers/synth.ts';

export interface PromtoolRun {
  readonly status: number | null;
  /** stdout and stderr together, as a person reads them. */
  readonly output: string;
}

/** A rules file's groups: ours, or recording rules (how the dashboard's expressions get checked, since promtool parses rule files only). */
export type RuleFileGroups = readonly (RuleGroup | RecordingRuleGroup)[];

export function promtool(args: readonly string[], cwd: string): PromtoolRun {
  const run = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 120_000 });
  if (run.error !== undefined) throw new Error(`promtool did not run (${run.error.message}); install the Debian package prometheus`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** YAML as Prometheus reads it; no folding, so an expression in the file reads as written. */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

/** Writes `files` (name → YAML text) into a new directory and returns it. */
export function writeFiles(files: Record<string, string>): string {
  const directory = temporaryDirectory('promtool-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  return directory;
}

/** `promtool check rules` on the groups, written as one rules file. */
export function checkRules(groups: RuleFileGroups): PromtoolRun {
  const directory = writeFiles({ 'rules.yml': toYaml({ groups }) });
  return promtool(['check', 'rules', 'rules.yml'], directory);
}
