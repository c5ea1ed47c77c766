/**
 * Heuristics that catch a credential typed into the stack description as a literal value.
 * Rendered files are committed, so a literal secret would leak into git history; every secret
 * must be a reference to a Doppler secret instead.
 */

/**
 * Shapes that well-known providers give their keys and tokens. Each may sit anywhere in a longer
 * value (`Authorization: Bearer sk-…`, `https://user:ghp_…@host`), as long as it starts a word.
 */
const CREDENTIAL_SHAPES: ReadonlyArray<readonly [RegExp, string]> = [
  [/(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{16,}/, 'an OpenAI-style secret key (sk-…)'],
  [/(?<![A-Za-z0-9])sk_(live|test)_[A-Za-z0-9]{16,}/, 'a Stripe-style secret key'],
  [/(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{30,}/, 'a GitHub token'],
  [/(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{30,}/, 'a GitHub token'],
  [/(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/(?<![A-Za-z0-9])AKIA[0-9A-Z]{16}(?![A-Za-z0-9])/, 'an AWS access key id'],
  [/(?<![A-Za-z0-9])dp\.(st|sa|ct|pt|scim|audit)\.[A-Za-z0-9._-]{20,}/, 'a Doppler token'],
  [/(?<![A-Za-z0-9])glpat-[A-Za-z0-9_-]{20,}/, 'a GitLab token'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
];

/**
 * `scheme://user:password@host`: a password in a URL. A password written as a variable
 * (`${DB_PASSWORD}`, Kubernetes' `$(DB_PASSWORD)`) is a reference, not a credential.
 */
const URL_PASSWORD = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@:]*:(?<password>[^\s/?#@]+)@/g;

/** An HTTP Authorization value: `Bearer <token>` or `Basic <base64 of user:password>`. */
const AUTHORIZATION = /(?<![A-Za-z0-9])(?<scheme>Bearer|Basic)\s+(?<token>[A-Za-z0-9._~+/-]+=*)/gi;

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
 * undefined when it does not. The explanation never repeats the value. Without a name (a command
 * line, an annotation) only the shapes of known credentials count.
 */
export function whyLooksLikeCredential(name: string | undefined, value: string): string | undefined {
  const placeholder = name !== undefined && Object.hasOwn(KNOWN_PLACEHOLDERS, name) ? KNOWN_PLACEHOLDERS[name] : undefined;
  if (name !== undefined && placeholder !== undefined) {
    return value === placeholder ? undefined : `${name} takes only its documented placeholder as a literal; a real value is a credential, give it as secret('${name}')`;
  }
  for (const [pattern, description] of CREDENTIAL_SHAPES) {
    const match = pattern.exec(value);
    if (match !== null) return `the literal value ${match.index === 0 ? 'looks like' : 'contains'} ${description}`;
  }
  for (const match of value.matchAll(URL_PASSWORD)) {
    if (!/^\$[{(]/.test(match.groups?.password ?? '')) return 'the literal value contains a URL with a password in it (scheme://user:password@host)';
  }
  for (const match of value.matchAll(AUTHORIZATION)) {
    const { scheme = '', token = '' } = match.groups ?? {};
    if (scheme.toLowerCase() === 'basic' ? isBasicCredential(token) : looksRandom(token)) {
      return `the literal value contains an HTTP ${scheme.toLowerCase() === 'basic' ? 'Basic' : 'Bearer'} credential`;
    }
  }
  if (name !== undefined && isSecretLookingName(name) && value.length >= MIN_SECRET_LENGTH && !/\s/.test(value) && looksRandom(value)) {
    return `the literal value under a credential-style name is a long random-looking string (${value.length} characters)`;
  }
  return undefined;
}

function looksRandom(text: string): boolean {
  return text.length >= MIN_SECRET_LENGTH && entropyBitsPerChar(text) >= MIN_SECRET_ENTROPY_BITS;
}

/** Base64 of `user:password`, as HTTP Basic sends it. */
function isBasicCredential(token: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token) || token.length % 4 !== 0) return false;
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  return /^[^:\s]*:\S+$/.test(decoded);
}
