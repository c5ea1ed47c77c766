/**
 * A small Dockerfile reader for tests, offline: instructions with their flags and arguments,
 * grouped into stages, each with the comment lines right above it (where a `# renovate:` comment
 * sits). It follows the Dockerfile reference's parsing rules as far as our Dockerfiles use them:
 * parser directives only before anything else, `#` comment lines (also inside continuations),
 * the default `\` line continuation, `--flag=value` options, JSON (exec) or shell form. Heredocs
 * and a changed escape character are refused, not guessed at.
 */

export interface Instruction {
  /** Upper case: FROM, RUN, COPY… */
  readonly keyword: string;
  /** Leading `--name=value` (or bare `--name`) options. */
  readonly flags: Readonly<Record<string, string>>;
  /** Everything after the flags, continuations joined with a space. */
  readonly args: string;
  /** Comment lines directly above the instruction, without the `#`. */
  readonly comments: readonly string[];
  /** 1-based line of the keyword. */
  readonly line: number;
}

export interface ImageRef {
  /** Repository with its registry, without tag or digest: `ghcr.io/ten-framework/ten_agent_build`. */
  readonly name: string;
  readonly tag: string | undefined;
  /** `sha256:…` when pinned by digest. */
  readonly digest: string | undefined;
}

export interface Stage {
  readonly index: number;
  /** The `AS` name, if any. */
  readonly alias: string | undefined;
  /** The FROM's argument: an image, or an earlier stage's alias. */
  readonly base: string;
  readonly from: Instruction;
  /** The instructions after FROM, up to the next FROM. */
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** Parser directives (`# syntax=…`), lower-case names. */
  readonly directives: Readonly<Record<string, string>>;
  /** ARGs before the first FROM. */
  readonly globalArgs: readonly Instruction[];
  readonly stages: readonly Stage[];
}

const FLAGGED = new Set(['FROM', 'RUN', 'COPY', 'ADD', 'HEALTHCHECK']);

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.split(/\r?\n/);
  const directives: Record<string, string> = {};
  let index = 0;
  // Parser directives: `# name=value` lines at the very top; the first other line ends them.
  for (; index < lines.length; index++) {
    const directive = /^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(lines[index]!);
    if (!directive) break;
    directives[directive[1]!.toLowerCase()] = directive[2]!;
  }
  if ((directives['escape'] ?? '\\') !== '\\') throw new Error(`unsupported escape directive "${directives['escape']}"`);

  const instructions: Instruction[] = [];
  let comments: string[] = [];
  while (index < lines.length) {
    const raw = lines[index]!;
    const trimmed = raw.trim();
    index++;
    if (trimmed === '') {
      comments = [];
      continue;
    }
    if (trimmed.startsWith('#')) {
      comments.push(trimmed.replace(/^#\s?/, ''));
      continue;
    }
    const line = index;
    let logical = trimmed;
    // Continuations: a trailing backslash joins the next line; comment and blank lines inside are dropped.
    while (logical.endsWith('\\')) {
      logical = logical.slice(0, -1);
      let next: string | undefined;
      while (index < lines.length) {
        const candidate = lines[index]!.trim();
        index++;
        if (candidate === '' || candidate.startsWith('#')) continue;
        next = candidate;
        break;
      }
      if (next === undefined) break;
      logical = `${logical.trimEnd()} ${next}`;
    }
    const match = /^([A-Za-z]+)(?:\s+(.*))?$/.exec(logical);
    if (!match) throw new Error(`line ${line}: not an instruction: ${logical}`);
    const keyword = match[1]!.toUpperCase();
    let args = (match[2] ?? '').trim();
    if (/<<-?["']?[A-Za-z_]/.test(args) && (keyword === 'RUN' || keyword === 'COPY')) throw new Error(`line ${line}: heredocs are not supported`);
    const flags: Record<string, string> = {};
    if (FLAGGED.has(keyword)) {
      for (;;) {
        const flag = /^--([a-z-]+)(?:=(\S*))?(?:\s+|$)/.exec(args);
        if (!flag) break;
        flags[flag[1]!] = flag[2] ?? 'true';
        args = args.slice(flag[0].length);
      }
    }
    instructions.push({ keyword, flags, args, comments, line });
    comments = [];
  }

  const globalArgs: Instruction[] = [];
  const stages: { index: number; alias: string | undefined; base: string; from: Instruction; instructions: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!from) throw new Error(`line ${instruction.line}: cannot read FROM ${instruction.args}`);
      stages.push({ index: stages.length, alias: from[2], base: from[1]!, from: instruction, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`line ${instruction.line}: ${instruction.keyword} before the first FROM`);
      globalArgs.push(instruction);
    } else {
      stages[stages.length - 1]!.instructions.push(instruction);
    }
  }
  return { directives, globalArgs, stages };
}

/** `name[:tag][@digest]`; a `:` before the last `/` belongs to a registry port. */
export function parseImageRef(reference: string): ImageRef {
  const [withoutDigest = '', digest] = reference.split('@');
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > withoutDigest.lastIndexOf('/');
  return {
    name: hasTag ? withoutDigest.slice(0, colon) : withoutDigest,
    tag: hasTag ? withoutDigest.slice(colon + 1) : undefined,
    digest,
  };
}

/** An ARG's name and default (`ARG NAME=value` or `ARG NAME`). */
export function argOf(instruction: Instruction): { name: string; value: string | undefined } {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(?:"([^"]*)"|'([^']*)'|(\S*)))?$/.exec(instruction.args);
  if (instruction.keyword !== 'ARG' || !match) throw new Error(`line ${instruction.line}: not a single ARG: ${instruction.args}`);
  return { name: match[1]!, value: match[2] ?? match[3] ?? match[4] };
}

/** The words of an exec-form (JSON array) argument, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const parsed = JSON.parse(args) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((word) => typeof word === 'string')) throw new Error(`not a JSON string array: ${args}`);
  return parsed;
}
