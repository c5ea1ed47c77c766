/**
 * Every secret the stack can read, by its Doppler name: what it is for, the rule a value must
 * meet, and how to get one. Services name secrets with `secret('NAME')`; this catalog is what a
 * person filling them in needs to know, in one place. `.env.example`, `secrets check` and the
 * README read it, and synth notes a secret that has no entry here.
 *
 * The rules are the ones the services enforce at start (or, for passwords that go into
 * connection URLs and XMPP configuration, the characters that survive there), so a value that
 * passes here is one the service accepts.
 */

/** What a secret's value must be. */
export interface SecretRule {
  /** Fewest characters accepted. */
  readonly minLength?: number;
  /**
   * `url-safe`: letters, digits, `-`, `_`, `.` and `~` only, because the value is put into a URL
   * (a connection string, a path) or a `name:token` list without escaping.
   * `url`: a whole URL whose scheme is one of `schemes`.
   */
  readonly format?: 'url-safe' | 'url';
  readonly schemes?: readonly string[];
}

/** Where a value comes from. */
export type SecretSource =
  /** Made up by whoever runs the stack; `how` gives the command. */
  | { readonly kind: 'generate'; readonly how: string }
  /** Issued by a vendor, an identity provider or a database host; `how` says where. */
  | { readonly kind: 'issued'; readonly how: string };

export interface SecretEntry {
  readonly purpose: string;
  readonly rule: SecretRule;
  readonly source: SecretSource;
}

const HEX_32 = { kind: 'generate', how: 'openssl rand -hex 32' } as const;
const HEX_16 = { kind: 'generate', how: 'openssl rand -hex 16' } as const;

export const SECRET_CATALOG: Readonly<Record<string, SecretEntry>> = {
  AGENT_BRIDGE_TOKEN: {
    purpose: 'bearer token the console sends the Jitsi agent bridge (both read it)',
    rule: { minLength: 32 },
    source: HEX_32,
  },
  CONSOLE_SESSION_SECRET: {
    purpose: "signs the console's session cookies (HMAC-SHA256)",
    rule: { minLength: 32 },
    source: HEX_32,
  },
  JWT_APP_SECRET: {
    purpose: 'signs the Jitsi room tokens (JWT, HS256) the console and the bridge make and prosody checks',
    rule: { minLength: 16 },
    source: HEX_32,
  },
  JICOFO_AUTH_PASSWORD: {
    purpose: "jicofo's XMPP account on prosody",
    rule: { minLength: 16, format: 'url-safe' },
    source: HEX_16,
  },
  JVB_AUTH_PASSWORD: {
    purpose: "the video bridge's XMPP account on prosody",
    rule: { minLength: 16, format: 'url-safe' },
    source: HEX_16,
  },
  MCP_CONSOLE_TOKEN: {
    purpose: 'bearer token the console presents to the MCP server',
    rule: { minLength: 16, format: 'url-safe' },
    source: HEX_32,
  },
  MCP_TEN_AGENT_TOKEN: {
    purpose: "the TEN agent's token for the MCP server (it travels in the SSE URL's path)",
    rule: { minLength: 16, format: 'url-safe' },
    source: HEX_32,
  },
  POSTGRES_PASSWORD: {
    purpose: "the self-hosted PostgreSQL's password (it goes into connection URLs unescaped)",
    rule: { minLength: 16, format: 'url-safe' },
    source: HEX_32,
  },
  REDIS_PASSWORD: {
    purpose: "the self-hosted Redis's password (it goes into connection URLs unescaped)",
    rule: { minLength: 16, format: 'url-safe' },
    source: HEX_32,
  },
  DATABASE_URL: {
    purpose: 'connection URL of an external PostgreSQL (Kubernetes with databases: "external")',
    rule: { format: 'url', schemes: ['postgres', 'postgresql'] },
    source: { kind: 'issued', how: 'your PostgreSQL provider: postgres://user:password@host:5432/database' },
  },
  REDIS_URL: {
    purpose: 'connection URL of an external Redis (Kubernetes with databases: "external")',
    rule: { format: 'url', schemes: ['redis', 'rediss'] },
    source: { kind: 'issued', how: 'your Redis provider: rediss://default:password@host:6379' },
  },
  OIDC_CLIENT_SECRET: {
    purpose: "the console's OpenID Connect client secret",
    rule: { minLength: 1 },
    source: { kind: 'issued', how: "your identity provider, when you register the console's client (redirect URI: PUBLIC_URL + /api/auth/callback)" },
  },
  PIPEDREAM_CLIENT_ID: {
    purpose: "the MCP server's Pipedream OAuth client (Connect actions)",
    rule: { minLength: 1 },
    source: { kind: 'issued', how: 'Pipedream: workspace settings, API, OAuth clients' },
  },
  PIPEDREAM_CLIENT_SECRET: {
    purpose: "the MCP server's Pipedream OAuth client secret",
    rule: { minLength: 1 },
    source: { kind: 'issued', how: 'Pipedream: shown once when you create the OAuth client' },
  },
  PIPEDREAM_PROJECT_ID: {
    purpose: 'the Pipedream Connect project the actions run in',
    rule: { minLength: 1 },
    source: { kind: 'issued', how: "Pipedream: the project's settings (proj_…)" },
  },
  PIPEDREAM_WORKFLOW_TOKEN: {
    purpose: "bearer token of the Pipedream workflows' HTTP triggers",
    rule: { minLength: 16 },
    source: { kind: 'generate', how: "openssl rand -hex 32, then set it as each workflow trigger's custom token in Pipedream" },
  },
  DEEPGRAM_API_KEY: {
    purpose: 'speech to text (the TEN agent; voice profile only)',
    rule: { minLength: 1 },
    source: { kind: 'issued', how: 'Deepgram console: API keys' },
  },
  OPENAI_API_KEY: {
    purpose: 'the language model (the TEN agent; voice profile only)',
    rule: { minLength: 1 },
    source: { kind: 'issued', how: 'OpenAI platform: API keys' },
  },
  ELEVENLABS_TTS_KEY: {
    purpose: 'text to speech (the TEN agent; voice profile only)',
    rule: { minLength: 1 },
    source: { kind: 'issued', how: 'ElevenLabs: profile, API keys' },
  },
};

const URL_SAFE = /^[A-Za-z0-9._~-]*$/;

/** The rule in words, for `.env.example` and messages: "at least 32 characters, URL-safe". */
export function describeRule(rule: SecretRule): string {
  const parts: string[] = [];
  if (rule.format === 'url') parts.push(`a ${(rule.schemes ?? []).map((scheme) => `${scheme}://`).join(' or ')} URL`);
  if (rule.minLength !== undefined && rule.minLength > 1) parts.push(`at least ${rule.minLength} characters`);
  if (rule.format === 'url-safe') parts.push('letters, digits and - _ . ~ only');
  return parts.length === 0 ? 'not empty' : parts.join(', ');
}

/**
 * Why `value` breaks the secret's rule, or undefined when it meets it. Never quotes the value nor
 * gives its length: the answer goes to terminals and logs.
 */
export function secretValueProblem(name: string, value: string): string | undefined {
  const entry = SECRET_CATALOG[name];
  if (value === '') return 'is empty';
  if (entry === undefined) return undefined;
  const { rule } = entry;
  if (rule.minLength !== undefined && value.length < rule.minLength) return `is shorter than ${rule.minLength} characters`;
  if (rule.format === 'url-safe' && !URL_SAFE.test(value)) return 'has characters other than letters, digits and - _ . ~';
  if (rule.format === 'url') {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
    if (scheme === undefined || !(rule.schemes ?? []).includes(scheme)) return `is not ${describeRule(rule)}`;
  }
  return undefined;
}

