import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './rendered-mcp-server.ts';

const PACKAGE_ROOT = join(REPO_ROOT, 'tools/mcp-conformance');
/** Node 22 from the npm package `node` (the suite needs it, whatever Node runs the tests). */
export const NODE_22 = join(PACKAGE_ROOT, 'node_modules/node/bin/node');
const SUITE = join(PACKAGE_ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');

/** One check of a scenario, as the suite writes it to checks.json. */
export interface Check {
  readonly id: string;
  readonly status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  readonly description: string;
  readonly errorMessage?: string;
}

export interface SuiteRun {
  readonly exitCode: number;
  readonly output: string;
  /** Each scenario's checks, by scenario name. */
  readonly scenarios: ReadonlyMap<string, readonly Check[]>;
}

/** Says how to install the suite when it is missing (`npm test` installs it first). */
export function requireSuite(): void {
  if (!existsSync(SUITE) || !existsSync(NODE_22)) {
    throw new Error('the MCP conformance suite is not installed: run `npm ci --prefix tools/mcp-conformance` (npm test does it first)');
  }
}

/**
 * Runs `conformance server` against a URL, asynchronously (the server and the proxy under test
 * live in this process), and reads back every scenario's checks.
 */
export async function runSuite(url: string, args: readonly string[]): Promise<SuiteRun> {
  const results = mkdtempSync(join(tmpdir(), 'mcp-conformance-'));
  try {
    const { exitCode, output } = await new Promise<{ exitCode: number; output: string }>((resolve) => {
      execFile(NODE_22, [SUITE, 'server', '--url', url, '--output-dir', results, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 180_000 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ exitCode: code, output: `${stdout}${stderr}` });
      });
    });
    const scenarios = new Map<string, Check[]>();
    for (const directory of readdirSync(results)) {
      const name = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(directory)?.[1];
      if (name === undefined) continue;
      scenarios.set(name, JSON.parse(readFileSync(join(results, directory, 'checks.json'), 'utf8')) as Check[]);
    }
    return { exitCode, output, scenarios };
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
}

/** The specification versions the suite is run for (`--spec-version`). */
export const SPEC_VERSIONS = ['2025-11-25', '2026-07-28'] as const;
export type SpecVersion = (typeof SPEC_VERSIONS)[number];

/** What a run for one specification version is expected to report (expected-failures.yaml). */
export interface Baseline {
  /** Scenarios expected to fail. */
  readonly server: readonly string[];
  /** Scenarios expected to fail only in checks the suite could not exercise ("Not testable"). */
  readonly untestable: readonly string[];
  /** Scenario → the ids of the checks that warn. */
  readonly warnings: Readonly<Record<string, readonly string[]>>;
}

export function readBaseline(path: string, version: SpecVersion): Baseline {
  const parsed = (parse(readFileSync(path, 'utf8')) as Record<string, Partial<Baseline> | undefined> | null)?.[version];
  if (parsed === undefined) throw new Error(`${path} has no entry for specification version ${version}`);
  return { server: parsed.server ?? [], untestable: parsed.untestable ?? [], warnings: parsed.warnings ?? {} };
}

/** A check the suite could not run against this server (it reports those as failures). */
export function untestable(check: Check): boolean {
  return check.status === 'FAILURE' && (check.errorMessage ?? '').startsWith('Not testable');
}

/** The scenarios of a run with at least one failed check. */
export function failedScenarios(run: SuiteRun): string[] {
  return [...run.scenarios].filter(([, checks]) => checks.some((check) => check.status === 'FAILURE')).map(([name]) => name).sort();
}

/** Each warning of a run as `scenario: check id`. */
export function warnings(run: SuiteRun): string[] {
  return [...run.scenarios].flatMap(([name, checks]) => checks.filter((check) => check.status === 'WARNING').map((check) => `${name}: ${check.id}`)).sort();
}
