import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A service's README documents its metrics in a "## Metrics" section, as a table
 * `| series | type | labels | meaning |`; alerts and dashboards are written from it. These helpers
 * hold a live scrape of the service against that table, so the two cannot drift: every row must
 * be exposed with its type and exactly its labels, and nothing else may be (prom-client's default
 * process metrics aside, which the table leaves out).
 */

export interface DocumentedSeries {
  readonly name: string;
  readonly type: string;
  /** Label names, sorted. */
  readonly labels: readonly string[];
}

/** The rows of the README's Metrics table. Throws when the section or its table is missing. */
export function documentedSeries(readmePath: string): DocumentedSeries[] {
  const text = readFileSync(readmePath, 'utf8');
  const section = /^## Metrics\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(text)?.[1];
  if (section === undefined) throw new Error(`${readmePath} has no "## Metrics" section`);
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  if (!section.includes('| series | type | labels | meaning |') || rows.length === 0) throw new Error(`${readmePath}'s Metrics section has no | series | type | labels | meaning | table`);
  return rows.map((row) => {
    const [name = '', type = '', labels = ''] = row
      .split('|')
      .slice(1, 4)
      .map((cell) => cell.trim());
    return {
      name: name.replaceAll('`', ''),
      type,
      labels: labels
        .replaceAll('`', '')
        .split(',')
        .map((label) => label.trim())
        .filter((label) => label !== '' && label !== '—')
        .sort(),
    };
  });
}

/** What one scrape exposes: each family's type, and the label sets its samples carry (`le` left out). */
export interface ScrapedFamily {
  readonly type: string;
  readonly labelSets: ReadonlySet<string>;
}

export function parseExposition(text: string): Map<string, ScrapedFamily> {
  const families = new Map<string, { type: string; labelSets: Set<string> }>();
  for (const line of text.split('\n')) {
    const declared = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (declared !== null) {
      families.set(declared[1]!, { type: declared[2]!, labelSets: new Set() });
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (sample === null) continue;
    const family = familyOf(sample[1]!, families);
    const labels = [...(sample[2] ?? '').matchAll(/([a-zA-Z_]\w*)="(?:[^"\\]|\\.)*"/g)].map((match) => match[1]!).filter((label) => label !== 'le');
    family?.labelSets.add(labels.sort().join(','));
  }
  return families;
}

/** A histogram's samples are `<name>_bucket`, `_sum`, `_count`. */
function familyOf(sampleName: string, families: Map<string, { type: string; labelSets: Set<string> }>) {
  return families.get(sampleName) ?? families.get(sampleName.replace(/_(bucket|sum|count)$/, ''));
}

/** The names prom-client's collectDefaultMetrics registers under `prefix`, from prom-client itself. */
export async function defaultMetricNames(prefix: string): Promise<Set<string>> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  return new Set((await registry.getMetricsAsJSON()).map((metric) => metric.name));
}

/**
 * Every way a scrape and the README's table disagree, as sentences (none when they agree). A
 * documented series with labels must have at least one sample, or its labels cannot be checked.
 */
export function contractProblems(scrape: string, documented: readonly DocumentedSeries[], defaults: ReadonlySet<string>): string[] {
  const scraped = parseExposition(scrape);
  const problems: string[] = [];
  for (const row of documented) {
    const family = scraped.get(row.name);
    if (family === undefined) {
      problems.push(`${row.name} is documented but not exposed`);
      continue;
    }
    if (family.type !== row.type) problems.push(`${row.name} is a ${family.type}, documented as a ${row.type}`);
    if (family.labelSets.size === 0) problems.push(`${row.name} has no sample to check its labels on`);
    for (const labels of family.labelSets) {
      if (labels !== row.labels.join(',')) problems.push(`${row.name} has a sample labelled {${labels}}, documented as {${row.labels.join(',')}}`);
    }
  }
  const names = new Set(documented.map((row) => row.name));
  for (const name of scraped.keys()) {
    if (!names.has(name) && !defaults.has(name)) problems.push(`${name} is exposed but not documented`);
  }
  return problems;
}

/** One sample's value in a scrape (`name{labels}` exactly as exposed), 0 when it is not there. */
export function sampleValue(scrape: string, sample: string): number {
  const line = scrape.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}
