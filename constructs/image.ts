/** A container image reference split into its parts. */
export interface ImageReference {
  /** Registry and path, e.g. `ghcr.io/jitsi/web` or `postgres`. */
  readonly repository: string;
  /** The tag, e.g. `stable-11146-2`; undefined when the reference has none. */
  readonly tag?: string;
  /** The digest, e.g. `sha256:…`; undefined when the reference has none. */
  readonly digest?: string;
}

const IMAGE_PATTERN =
  /^(?<repository>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+(?=\/))?(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

/**
 * Tags that move: a deployment pinned to one of them changes without a commit, so a reviewer
 * never sees the change and a rollback cannot restore the old image.
 */
const FLOATING_TAGS = new Set([
  'latest',
  'stable',
  'unstable',
  'edge',
  'nightly',
  'main',
  'master',
  'dev',
  'develop',
  'current',
  'lts',
  'alpine',
  'slim',
  'bookworm',
  'bookworm-slim',
  'trixie',
]);

/**
 * A tag counts as pinned when it names one release: at least major.minor of a version
 * (`18.4-alpine`, `0.11.71`), a Jitsi stable release (`stable-11146`, `stable-11146-2`), or a
 * build-context hash we generate ourselves (`sha-…`).
 */
const PINNED_TAG_PATTERNS = [/^v?\d+\.\d+(?:[.-][A-Za-z0-9.-]+)?$/, /^stable-\d+(?:-\d+)?$/, /^sha-[a-f0-9]{12,64}$/];

/** Parses `repository[:tag][@digest]`; returns undefined when the text is not an image reference. */
export function parseImage(text: string): ImageReference | undefined {
  const match = IMAGE_PATTERN.exec(text);
  if (!match?.groups) return undefined;
  const { repository, tag, digest } = match.groups;
  if (repository === undefined) return undefined;
  return { repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/**
 * Explains why an image reference is not pinned, or returns undefined when it is.
 * A digest always pins; otherwise the tag must name one release.
 */
export function whyNotPinned(text: string): string | undefined {
  const image = parseImage(text);
  if (image === undefined) return `"${text}" is not a valid image reference (expected repository:tag)`;
  if (image.digest !== undefined) return undefined;
  if (image.tag === undefined) return `image "${text}" has no tag, so it floats on "latest"; pin a release tag`;
  if (FLOATING_TAGS.has(image.tag) || image.tag.startsWith('unstable')) {
    return `image "${text}" uses the floating tag "${image.tag}"; pin a release tag such as 1.2.3 or stable-NNNN`;
  }
  if (!PINNED_TAG_PATTERNS.some((pattern) => pattern.test(image.tag ?? ''))) {
    return `image "${text}" uses the tag "${image.tag}", which does not name one release; pin major.minor at least (e.g. 18.4-alpine) or a digest`;
  }
  return undefined;
}
