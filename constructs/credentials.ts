/**
 * Heuristics that catch a credential typed into the stack description as a literal value.
 * Rendered files are committed, so a literal secret would leak into git history; every secret
 * must be a reference to a Doppler secret instead.
 */

/** Prefixes that well-known providers put on their keys and tokens. */
const CREDENTIAL_PREFIXES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^sk-[A-Za-z0-9_-]{16,}/, 'an OpenAI-style secret key (sk-…)'],
  [/^sk_(live|test)_[A-Za-z0-9]{16,}/, 'a Stripe-style secret key'],
  [/^gh[pousr]_[A-Za-z0-9]{30,}/, 'a GitHub token'],
  [/^github_pat_[A-Za-z0-9_]{30,}/, 'a GitHub token'],
  [/^xox[abposr]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/^AKIA[0-9A-Z]{16}$/, 'an AWS access key id'],
  [/^dp\.(st|sa|ct|pt|scim|audit)\.[A-Za-z0-9._-]{20,}/, 'a Doppler token'],
  [/^glpat-[A-Za-z0-9_-]{20,}/, 'a GitLab token'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
];

/** Variable names that conventionally hold credentials. */
const SECRET_NAME_PATTERN = /(^|_)(KEY|SECRET|TOKEN|PASSWORD|PASSWD|PASS|CREDENTIALS?|PRIVATE_KEY|API_KEY)$/;

/** Shortest value under a secret-looking name that we treat as a real credential. */
const MIN_SECRET_LENGTH = 16;
/** Bits of entropy per character above which a string looks random rather than a word or id. */
const MIN_SECRET_ENTROPY_BITS = 3;

/**
 * Literals accepted under a credential's name because they are known placeholders, not
 * credentials: TEN's agent server will not start without a 32-character AGORA_APP_ID, even
 * though our graph never joins Agora (see constructs/ten-agent.ts). Any other literal under
 * these names is refused.
 */
export const KNOWN_PLACEHOLDERS: Readonly<Record<string, string>> = {
  AGORA_APP_ID: 'unused-websocket-transport-00000',
};

/** Shannon entropy of the string's characters, in bits per character. */
export function entropyBitsPerChar(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/** True when the variable name conventionally holds a credential (`*_KEY`, `*_SECRET`, ...). */
export function isSecretLookingName(name: string): boolean {
  return SECRET_NAME_PATTERN.test(name);
}

/**
 * Explains why a literal value for the variable `name` looks like a credential, or returns
 * undefined when it does not. The explanation never repeats the value.
 */
export function whyLooksLikeCredential(name: string, value: string): string | undefined {
  const placeholder = KNOWN_PLACEHOLDERS[name];
  if (placeholder !== undefined) {
    return value === placeholder ? undefined : `${name} takes only its documented placeholder as a literal; a real value is a credential, give it as secret('${name}')`;
  }
  for (const [pattern, description] of CREDENTIAL_PREFIXES) {
    if (pattern.test(value)) return `the literal value looks like ${description}`;
  }
  if (
    isSecretLookingName(name) &&
    value.length >= MIN_SECRET_LENGTH &&
    !/\s/.test(value) &&
    entropyBitsPerChar(value) >= MIN_SECRET_ENTROPY_BITS
  ) {
    return `the literal value under a credential-style name is a long random-looking string (${value.length} characters)`;
  }
  return undefined;
}
