import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The steps of README.md's "Adding a service", as test/readme-add-service.test.ts applies them.
 *
 * A fenced block the test applies carries an HTML comment on the line right before it, which
 * GitHub does not render (the prose around the block says the same for a reader):
 *
 *   <!-- file: services/notes/Dockerfile -->
 *     the block is that whole new file.
 *   <!-- insert: constructs/index.ts after: export * from './mcp-server.ts'; -->
 *     the block's lines go right after the one line of that file that contains the text after
 *     `after: ` (an HTML comment cannot hold `--`, so neither can an anchor).
 *
 * Shell blocks are commands for the reader; the test runs its own equivalent of each.
 */

interface StepText {
  readonly path: string;
  /** The block's text, ending with a newline. */
  readonly content: string;
  /** The fence's info string: `ts`, `json`, `dockerfile`. */
  readonly language: string;
  /** The prose between the previous block and this one: what a reader is told about it. */
  readonly prose: string;
}

export type ReadmeStep = (StepText & { readonly kind: 'file' }) | (StepText & { readonly kind: 'insert'; readonly anchor: string });

export interface ReadmeSection {
  readonly text: string;
  readonly steps: readonly ReadmeStep[];
  /** Fenced blocks with no marker, by language: the test applies none of them. */
  readonly unmarkedLanguages: readonly string[];
  /** The contents of the unmarked shell blocks. */
  readonly shellBlocks: readonly string[];
}

/** The text of a `## ` section, from its heading to the next `## ` heading. */
export function sectionOf(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`README.md has no "## ${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start + 1, end === -1 ? undefined : end + 1);
}

const FENCE = /^```([^\n`]*)\n([\s\S]*?)^```[ \t]*$/gm;
const FILE_MARKER = /^<!-- file: (\S+) -->$/;
const INSERT_MARKER = /^<!-- insert: (\S+) after: (.+?) -->$/;

/**
 * Each fenced block of the section with the marker line before it. Fails on a marker that is not
 * right before a block, or that has neither form, naming it: a step the test would skip silently
 * is a step nobody checks.
 */
export function parseSection(text: string): ReadmeSection {
  const steps: ReadmeStep[] = [];
  const unmarkedLanguages: string[] = [];
  const shellBlocks: string[] = [];
  let usedMarkers = 0;
  let previousEnd = 0;
  for (const match of text.matchAll(FENCE)) {
    const language = match[1]!.trim();
    const content = match[2]!;
    const before = text.slice(0, match.index).replace(/\n$/, '');
    const markerLine = before.slice(before.lastIndexOf('\n') + 1);
    const prose = text.slice(previousEnd, match.index - markerLine.length - 1);
    previousEnd = match.index + match[0].length;
    const file = FILE_MARKER.exec(markerLine);
    const insert = INSERT_MARKER.exec(markerLine);
    if (file) steps.push({ kind: 'file', path: file[1]!, content, language, prose });
    else if (insert) steps.push({ kind: 'insert', path: insert[1]!, anchor: insert[2]!, content, language, prose });
    else {
      if (markerLine.startsWith('<!--')) throw new Error(`README marker ${JSON.stringify(markerLine)} is neither "<!-- file: <path> -->" nor "<!-- insert: <path> after: <text> -->"`);
      unmarkedLanguages.push(language);
      if (language === 'sh') shellBlocks.push(content);
      continue;
    }
    usedMarkers++;
  }
  const markers = text.split('\n').filter((line) => line.startsWith('<!-- file:') || line.startsWith('<!-- insert:')).length;
  if (markers !== usedMarkers) throw new Error(`README "Adding a service" has ${markers} markers but only ${usedMarkers} stand right before a fenced block`);
  return { text, steps, unmarkedLanguages, shellBlocks };
}

/** Writes a new file of the copy; fails if it already exists there, since the README says "new". */
function writeNewFile(root: string, step: Extract<ReadmeStep, { kind: 'file' }>): void {
  mkdirSync(dirname(join(root, step.path)), { recursive: true });
  writeFileSync(join(root, step.path), step.content, { flag: 'wx' });
}

/** Inserts the block's lines after the one line that holds the anchor; fails if none does, or several. */
function insertAfterAnchor(root: string, step: Extract<ReadmeStep, { kind: 'insert' }>): void {
  const path = join(root, step.path);
  const lines = readFileSync(path, 'utf8').split('\n');
  const found = lines.flatMap((line, index) => (line.includes(step.anchor) ? [index] : []));
  if (found.length !== 1) {
    throw new Error(
      `README step for ${step.path}: the line to insert after, ${JSON.stringify(step.anchor)}, ${found.length === 0 ? 'is not in the file' : `is on ${found.length} lines (${found.map((index) => index + 1).join(', ')}); name one`}`,
    );
  }
  lines.splice(found[0]! + 1, 0, ...step.content.replace(/\n$/, '').split('\n'));
  writeFileSync(path, lines.join('\n'));
}

/** Applies every step to the copy of the repository at `root`, in README order. */
export function applySteps(root: string, steps: readonly ReadmeStep[]): void {
  for (const step of steps) {
    if (step.kind === 'file') writeNewFile(root, step);
    else insertAfterAnchor(root, step);
  }
}
