/**
 * What a renderer produces: file contents keyed by path relative to the output root (the
 * repository root by default), and notes on what a target could not express.
 */
export interface RenderedOutput {
  readonly files: Map<string, string>;
  readonly warnings: TargetWarning[];
}

/** Something a target could not express for an environment; printed by synth and listed in dist/<env>.md. */
export interface TargetWarning {
  readonly environment: string;
  /** Starts with the target, e.g. `railway: …`. */
  readonly message: string;
}

/** An empty output to fill. */
export function emptyOutput(): RenderedOutput {
  return { files: new Map(), warnings: [] };
}

/** Adds everything from `source` into `target`; a path written twice is a generator bug. */
export function mergeOutput(target: RenderedOutput, source: RenderedOutput): void {
  for (const [path, content] of source.files) {
    if (target.files.has(path)) throw new Error(`two renderers wrote ${path}`);
    target.files.set(path, content);
  }
  target.warnings.push(...source.warnings);
}
