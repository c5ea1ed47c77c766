import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import type { Adapter, AdapterPayload, Configuration, default as ProviderClass } from 'oidc-provider';

/**
 * A local OpenID Connect provider (oidc-provider 9) for end-to-end tests, on
 * `http://127.0.0.1:<random port>`. The issuer is exactly that origin, with no trailing slash
 * (discovery at `<issuer>/.well-known/openid-configuration`).
 *
 * - One confidential client: authorization code flow only, PKCE (S256) required for every request,
 *   client authentication by `client_secret_basic` or `client_secret_post` (oidc-provider accepts
 *   either for a client registered with one of them).
 * - Scopes `openid profile email`; any username signs in, or, with `users`, only those users, each
 *   with its password (the sign-in page then asks for one). Claims: `sub` = the username, `name` = the
 *   username, `preferred_username` = the username, `email` = `<username>@example.test`,
 *   `email_verified` = true. They are in the ID token too (conformIdTokenClaims is off), so
 *   openid-client's `tokens.claims()` has sub, name and email; `/me` (userinfo) answers the same.
 * - Consent is granted automatically (no page); RP-initiated logout (`end_session_endpoint`,
 *   `<issuer>/session/end`) is on and asks for one click.
 * - Quiet: every default that oidc-provider would announce on the console (adapter, keys, ttl,
 *   findAccount, pages, the Node 20 "unsupported runtime" notice) is replaced or filtered.
 *
 * openid-client 6 refuses plain-http issuers: pass `{ execute: [client.allowInsecureRequests] }`
 * as discovery's 5th argument (see fakes.test.ts).
 *
 * ## What a browser does (Playwright)
 *
 * Sign-in, on `<issuer>/interaction/<uid>`:
 * ```ts
 * await page.fill('input[name=login]', 'ada');   // any username; also [data-testid=oidc-login]
 * await page.fill('input[name=password]', pw);   // only with `users`; also [data-testid=oidc-password]
 * await page.click('button[type=submit]');       // "Sign in"; also [data-testid=oidc-submit]
 * // → consent is granted without a page → back to the client's redirect_uri with ?code=…&state=…&iss=…
 * ```
 * Sign-out, on `<issuer>/session/end?…` (the end_session_endpoint):
 * ```ts
 * await page.click('button[name=logout][value=yes]'); // "Yes, sign me out"; also [data-testid=oidc-logout]
 * // → redirected to post_logout_redirect_uri (when given and registered), else a "Signed out" page
 * ```
 * The sign-in page is an ordinary `<form method="post">` (no script): the same steps work with fetch
 * by POSTing `login=<username>` (and `password=<password>` with `users`) to the form's action,
 * carrying the cookies the provider set.
 */

export interface OidcProviderOptions {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** The client's registered token_endpoint_auth_method. Both work either way; default basic. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** The only users who may sign in, username → password. @default - any username, no password */
  users?: Readonly<Record<string, string>>;
  /** @default 0 (any free port) */
  port?: number;
}

export interface LocalOidcProvider {
  /** e.g. http://127.0.0.1:41234, no trailing slash. */
  readonly issuer: string;
  close(): Promise<void>;
}

type ProviderModule = typeof import('oidc-provider');
let providerModule: Promise<ProviderModule> | undefined;

/**
 * oidc-provider prints "Unsupported runtime. Use Node.js v22.x LTS…" once when it is first imported
 * on Node 20; that single line is dropped, every other warning passes through.
 */
function loadProviderModule(): Promise<ProviderModule> {
  providerModule ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
      warn(...args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })();
  return providerModule;
}

export async function startOidcProvider(options: OidcProviderOptions): Promise<LocalOidcProvider> {
  const { default: Provider } = await loadProviderModule();

  let provider: ProviderClass | undefined;
  let providerCallback: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;

  const server: Server = createServer((req, res) => {
    if (provider === undefined || providerCallback === undefined) {
      res.writeHead(503).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://local');
    const match = /^\/interaction\/([^/]+)(?:\/(login|abort))?$/.exec(url.pathname);
    if (match === null) {
      void providerCallback(req, res);
      return;
    }
    interaction(provider, req, res, match[2], options.users).catch((error: unknown) => {
      if (!res.headersSent) page(res, 400, 'Sign-in error', `<p data-testid="oidc-error">${escapeHtml(error instanceof Error ? error.message : String(error))}</p>`);
      else res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'local-rs256', alg: 'RS256', use: 'sig' };

  const configuration: Configuration = {
    adapter: memoryAdapter(),
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.postLogoutRedirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: options.tokenEndpointAuthMethod ?? 'client_secret_basic',
      },
    ],
    responseTypes: ['code'],
    pkce: { required: () => true },
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    // Put the scope's claims into the ID token as well, so tokens.claims() carries name and email.
    conformIdTokenClaims: false,
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, name: sub, preferred_username: sub, email: `${sub}@example.test`, email_verified: true }),
    }),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clientBasedCORS: () => true,
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = 'html';
          ctx.body = html(
            'Sign out',
            `<h1>Sign out of the local identity provider?</h1>
    ${form}
    <button type="submit" form="op.logoutForm" name="logout" value="yes" data-testid="oidc-logout" autofocus>Yes, sign me out</button>
    <button type="submit" form="op.logoutForm" data-testid="oidc-stay">No, stay signed in</button>`,
          );
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html';
          ctx.body = html('Signed out', '<h1 data-testid="oidc-signed-out">Signed out</h1>');
        },
      },
    },
    interactions: { url: (_ctx, interactionState) => `/interaction/${interactionState.uid}` },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = html(
        'Error',
        `<h1>Sign-in error</h1>${Object.entries(out)
          .map(([key, value]) => `<p data-testid="oidc-error-${escapeHtml(key)}">${escapeHtml(String(value))}</p>`)
          .join('')}`,
      );
    },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      BackchannelAuthenticationRequest: 600,
      ClientCredentials: 600,
      DeviceCode: 600,
      Grant: 86_400,
      IdToken: 3600,
      Interaction: 3600,
      PreAuthorizedCode: 600,
      RefreshToken: 86_400,
      Session: 86_400,
    },
  };

  provider = new Provider(issuer, configuration);
  providerCallback = provider.callback();

  return {
    issuer,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The sign-in and consent steps (`/interaction/<uid>`, `/interaction/<uid>/login`, `/…/abort`). */
async function interaction(
  provider: ProviderClass,
  req: IncomingMessage,
  res: ServerResponse,
  action: string | undefined,
  users: Readonly<Record<string, string>> | undefined,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;

  if (action === 'abort') {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user cancelled the sign-in' }, { mergeWithLastSubmission: false });
    return;
  }

  if (action === 'login') {
    if (req.method !== 'POST' || prompt.name !== 'login') throw new Error('unexpected sign-in submission');
    const form = new URLSearchParams(await readBody(req));
    const login = (form.get('login') ?? '').trim();
    if (login === '') {
      loginPage(res, uid, String(params.client_id ?? ''), users, 'Enter a username.');
      return;
    }
    if (users !== undefined && (!Object.hasOwn(users, login) || users[login] !== (form.get('password') ?? ''))) {
      loginPage(res, uid, String(params.client_id ?? ''), users, 'Wrong username or password.');
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return;
  }

  if (prompt.name === 'login') {
    loginPage(res, uid, String(params.client_id ?? ''), users);
    return;
  }

  if (prompt.name === 'consent') {
    // Auto-consent: grant whatever the client asked for that is still missing.
    const accountId = session?.accountId;
    if (accountId === undefined) throw new Error('consent without a signed-in session');
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: String(params.client_id) });
    if (grant === undefined) throw new Error('grant not found');
    const missing = prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: details.grantId ? {} : { grantId } }, { mergeWithLastSubmission: true });
    return;
  }

  throw new Error(`unsupported prompt ${prompt.name}`);
}

function loginPage(res: ServerResponse, uid: string, clientId: string, users: Readonly<Record<string, string>> | undefined, problem?: string): void {
  const action = `/interaction/${encodeURIComponent(uid)}/login`;
  page(
    res,
    200,
    'Sign in',
    `<h1>Sign in to the local identity provider</h1>
    <p>Client: <code>${escapeHtml(clientId)}</code>. ${users === undefined ? 'Any username signs in.' : 'Sign in as a test user.'}</p>
    ${problem ? `<p role="alert">${escapeHtml(problem)}</p>` : ''}
    <form method="post" action="${escapeHtml(action)}" autocomplete="off">
      <label for="login">Username</label>
      <input id="login" name="login" type="text" required autofocus data-testid="oidc-login">
      ${users === undefined ? '' : '<label for="password">Password</label>\n      <input id="password" name="password" type="password" required data-testid="oidc-password">'}
      <button type="submit" data-testid="oidc-submit">Sign in</button>
    </form>
    <p><a href="/interaction/${escapeHtml(encodeURIComponent(uid))}/abort" data-testid="oidc-cancel">Cancel</a></p>`,
  );
}

function page(res: ServerResponse, status: number, title: string, body: string): void {
  res
    .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    .end(html(title, body));
}

function html(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
  <head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
  <body>
    ${body}
  </body>
</html>`;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * An in-memory adapter, one store per provider (oidc-provider's own in-memory adapter announces
 * itself on the console). Expiry is checked on read.
 */
function memoryAdapter(): new (name: string) => Adapter {
  const store = new Map<string, { payload: AdapterPayload; expiresAt: number | undefined }>();
  const byUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();
  const byGrant = new Map<string, Set<string>>();

  return class MemoryAdapter implements Adapter {
    constructor(private readonly name: string) {}

    private key(id: string): string {
      return `${this.name}:${id}`;
    }

    private read(key: string): AdapterPayload | undefined {
      const entry = store.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
        store.delete(key);
        return undefined;
      }
      return structuredClone(entry.payload);
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const key = this.key(id);
      store.set(key, { payload: structuredClone(payload), expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
      if (payload.uid) byUid.set(this.key(payload.uid), id);
      if (payload.userCode) byUserCode.set(this.key(payload.userCode), id);
      if (payload.grantId) {
        const keys = byGrant.get(payload.grantId) ?? new Set<string>();
        keys.add(key);
        byGrant.set(payload.grantId, keys);
      }
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return this.read(this.key(id));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = byUid.get(this.key(uid));
      return id === undefined ? undefined : this.find(id);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = byUserCode.get(this.key(userCode));
      return id === undefined ? undefined : this.find(id);
    }

    async consume(id: string): Promise<void> {
      const entry = store.get(this.key(id));
      if (entry !== undefined) entry.payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      store.delete(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const key of byGrant.get(grantId) ?? []) store.delete(key);
      byGrant.delete(grantId);
    }
  };
}
