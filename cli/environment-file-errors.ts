import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpecError } from '../constructs/index.ts';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { GeneratorBug } from './cli-error.ts';

/** A place in a source file; line and column count from 1, as editors do. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** The packages that load TypeScript files (tsx, and esbuild under it): what they throw is about loading a file. */
const MODULE_SYSTEM = new Set(['tsx', 'esbuild']);

/** Folders of this repository that hold the generator itself; everything else is the user's. */
const GENERATOR_FOLDERS = ['constructs', 'charts', 'cli'].map((folder) => resolve(REPO_ROOT, folder) + sep);

/**
 * Turns anything thrown while an environment file is imported or its default export runs into
 * one located error, never a stack trace:
 * - a SpecError that names its place in the model stays as it is; one that does not gets the
 *   line of the environment file that caused it;
 * - a syntax error (tsx compiles the file with esbuild) names file, line and column;
 * - an error the file's own code throws (a TypeError, a ReferenceError), or a library it calls
 *   (the constructs library refusing an id), names the line of the file;
 * - an error thrown by the generator's own code is a bug in the generator (it should have said
 *   what is wrong with the value), reported as a `GeneratorBug` with both places.
 */
export function environmentFileError(error: unknown, environmentFile: string): Error {
  const shownFile = show(environmentFile);
  if (SpecError.isSpecError(error)) {
    const { environment, construct, service, field } = error.location;
    if (environment !== undefined || construct !== undefined || service !== undefined || field !== undefined) return error;
    const where = userFrame(framesOf(error));
    return new SpecError({}, `${where !== undefined ? describe(where) : shownFile}: ${error.problem}`);
  }
  const syntax = syntaxErrorOf(error);
  if (syntax !== undefined) return new SpecError({}, `${describe(syntax.location)}: syntax error: ${syntax.problem}`);
  if (!(error instanceof Error)) {
    return new SpecError({}, `${shownFile}: threw ${typeof error === 'string' ? JSON.stringify(error) : String(error)}, which is not an Error, so no line is known`);
  }
  const frames = framesOf(error);
  const thrownAt = frames[0];
  const where = userFrame(frames);
  const place = where !== undefined ? describe(where) : shownFile;
  const message = firstLine(error.message);
  const library = thrownAt === undefined ? undefined : libraryOf(thrownAt.file);
  if (thrownAt === undefined || (library !== undefined && MODULE_SYSTEM.has(library))) {
    return new SpecError({}, `${shownFile} could not be loaded: ${message}`);
  }
  if (library !== undefined) return new SpecError({}, `${place}: the ${library} library refused it: ${message}`);
  if (isGeneratorCode(thrownAt.file)) {
    return new GeneratorBug(
      `${place}: ${error.name}: ${message} (thrown at ${describe(thrownAt)}; the generator should have said what is wrong with the value given here, please report it)`,
    );
  }
  return new SpecError({}, `${place}: ${error.name}: ${message}`);
}

/**
 * tsx compiles TypeScript with esbuild, whose failure reads
 * `Transform failed with 1 error:\n<file>:<line>:<column>: ERROR: <text>`; the column counts
 * bytes from 0, so it is turned into characters from 1.
 */
export function syntaxErrorOf(error: unknown): { location: SourceLocation; problem: string } | undefined {
  if (!(error instanceof Error) || !error.message.startsWith('Transform failed with')) return undefined;
  const match = /^(?<file>.+):(?<line>\d+):(?<column>\d+): ERROR: (?<problem>.*)$/m.exec(error.message);
  if (match?.groups === undefined) return undefined;
  const { file = '', line = '0', column = '0', problem = '' } = match.groups;
  const lineNumber = Number(line);
  return { location: { file, line: lineNumber, column: characterColumn(file, lineNumber, Number(column)) }, problem };
}

function characterColumn(file: string, line: number, byteColumn: number): number {
  try {
    const text = readFileSync(file, 'utf8').split('\n')[line - 1] ?? '';
    return Buffer.from(text, 'utf8').subarray(0, byteColumn).toString('utf8').length + 1;
  } catch {
    return byteColumn + 1;
  }
}

/**
 * The loader's own frame is where it imports the file or calls its default export; an error
 * thrown there (an import the file names that does not exist) comes from the module system.
 */
const LOADER = resolve(REPO_ROOT, 'cli/load-environments.ts');

/**
 * The stack frames of an error that point into files, innermost first (tsx maps them to the
 * TypeScript source), up to the loader.
 */
function framesOf(error: Error): SourceLocation[] {
  const frames: SourceLocation[] = [];
  for (const line of (error.stack ?? '').split('\n').slice(1)) {
    const match = /^\s*at (?:.*? \()?(?<file>(?:file:\/\/)?\/[^()]*?):(?<line>\d+):(?<column>\d+)\)?$/.exec(line);
    if (match?.groups === undefined) continue;
    const { file = '', line: lineNumber = '0', column = '0' } = match.groups;
    const path = file.startsWith('file://') ? fileURLToPath(file) : file;
    if (path === LOADER) break;
    frames.push({ file: path, line: Number(lineNumber), column: Number(column) });
  }
  return frames;
}

/** The innermost frame in the user's own files: an environment file, or a module it imports. */
function userFrame(frames: SourceLocation[]): SourceLocation | undefined {
  return frames.find((frame) => !isGeneratorCode(frame.file) && libraryOf(frame.file) === undefined);
}

function isGeneratorCode(file: string): boolean {
  return GENERATOR_FOLDERS.some((folder) => file.startsWith(folder));
}

/** The npm package a file belongs to, e.g. `constructs`. */
function libraryOf(file: string): string | undefined {
  const match = /[\\/]node_modules[\\/](?<name>@[^\\/]+[\\/][^\\/]+|[^\\/]+)[\\/]/.exec(file);
  return match?.groups?.name?.split('\\').join('/');
}

function describe(location: SourceLocation): string {
  return `${show(location.file)}:${location.line}:${location.column}`;
}

/** A path as messages show it: relative to the repository when inside it, absolute otherwise. */
export function show(file: string): string {
  const absolute = isAbsolute(file) ? file : resolve(file);
  const inside = relative(REPO_ROOT, absolute);
  return inside.startsWith('..') ? absolute : inside.split(sep).join('/');
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').split(`${REPO_ROOT}/`).join('');
}
