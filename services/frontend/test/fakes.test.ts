import { createContext, runInContext } from 'node:vm';
import * as client from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeJitsi, type FakeJitsi } from './fakes/fake-jitsi.ts';
import { startFakeTenAgent, TEN_CODES, type FakeTenAgent } from '../../../test/fakes/ten-agent/index.ts';
import { browserSignIn, CookieJar } from './helpers/http-sign-in.ts';
import { startOidcProvider, type LocalOidcProvider } from './helpers/oidc-provider.ts';

/** Every stand-in, proven to speak its protocol over real HTTP on 127.0.0.1. */

interface Envelope {
  code: string;
  msg: string;
  data: unknown;
}

async function call(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; envelope: Envelope; text: string; headers: Headers }> {
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, envelope: JSON.parse(text) as Envelope, text, headers: response.headers };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** /list data without the leading nulls the real handler produces. */
function listed(data: unknown): Array<{ channelName: string; createTs: number }> {
  return (data as Array<{ channelName: string; createTs: number } | null>).filter((entry) => entry !== null);
}

describe('fake TEN agent server', () => {
  let ten: FakeTenAgent;
  beforeAll(async () => {
    ten = await startFakeTenAgent({ graphs: ['voice_assistant', { name: 'voice_assistant_gemini', auto_start: true }], workersMax: 3 });
  });
  afterEach(() => ten.reset());
  afterAll(() => ten.close());

  it('answers health on / and /health with the ok envelope, byte for byte', async () => {
    for (const path of ['/', '/health']) {
      const { status, text, headers } = await call(ten.url, 'GET', path);
      expect(status).toBe(200);
      expect(text).toBe('{"code":"0","data":null,"msg":"ok"}');
      expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(headers.get('access-control-allow-origin')).toBe('*');
    }
  });

  it('lists the graphs as name, graph_id and auto_start', async () => {
    const { envelope } = await call(ten.url, 'GET', '/graphs');
    expect(envelope).toEqual({
      code: '0',
      msg: 'success',
      data: [
        { name: 'voice_assistant', graph_id: 'voice_assistant', auto_start: false },
        { name: 'voice_assistant_gemini', graph_id: 'voice_assistant_gemini', auto_start: true },
      ],
    });
  });

  it('starts a worker, lists it, keeps it alive with a ping and stops it', async () => {
    const before = Math.floor(Date.now() / 1000);
    const start = await call(ten.url, 'POST', '/start', {
      request_id: 'r1',
      channel_name: 'room-1',
      graph_name: 'voice_assistant',
      user_uid: 1234,
      bot_uid: 5678,
      timeout: 120,
      properties: { llm: { model: 'gpt-4o-mini' } },
    });
    expect(start.status).toBe(200);
    expect(start.envelope).toEqual({ code: '0', msg: 'success', data: null });
    expect(ten.workers.get('room-1')).toMatchObject({ graphName: 'voice_assistant', requestId: 'r1', quitTimeoutSeconds: 120 });

    const list = await call(ten.url, 'GET', '/list');
    expect(list.envelope.code).toBe('0');
    // The real handler's make-then-append: one null per worker, then the workers.
    expect(list.envelope.data).toEqual([null, { channelName: 'room-1', createTs: expect.any(Number) }]);
    expect(listed(list.envelope.data)[0]!.createTs).toBeGreaterThanOrEqual(before);

    const ping = await call(ten.url, 'POST', '/ping', { request_id: 'r2', channel_name: 'room-1' });
    expect(ping.envelope).toEqual({ code: '0', msg: 'success', data: null });

    const stop = await call(ten.url, 'POST', '/stop', { request_id: 'r3', channel_name: 'room-1' });
    expect(stop.envelope).toEqual({ code: '0', msg: 'success', data: null });
    expect((await call(ten.url, 'GET', '/list')).envelope.data).toEqual([]);

    const stopAgain = await call(ten.url, 'POST', '/ping', { request_id: 'r4', channel_name: 'room-1' });
    expect(stopAgain.envelope.code).toBe('10002');

    expect(ten.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /start',
      'GET /list',
      'POST /ping',
      'POST /stop',
      'GET /list',
      'POST /ping',
    ]);
    expect(ten.requests[0]!.body).toMatchObject({ channel_name: 'room-1', graph_name: 'voice_assistant', properties: { llm: { model: 'gpt-4o-mini' } } });
  });

  it('refuses a second start for the same channel: 10003 "channel existed" (HTTP 200, data 400)', async () => {
    const body = { request_id: 'a', channel_name: 'twice', graph_name: 'voice_assistant' };
    expect((await call(ten.url, 'POST', '/start', body)).envelope.code).toBe('0');
    const second = await call(ten.url, 'POST', '/start', body);
    expect(second.status).toBe(200);
    expect(second.envelope).toEqual({ code: '10003', msg: 'channel existed', data: 400 });
  });

  it('refuses stop and ping of an unknown channel: 10002 "channel not existed"', async () => {
    for (const path of ['/stop', '/ping']) {
      const { status, envelope } = await call(ten.url, 'POST', path, { request_id: 'x', channel_name: 'nobody-here' });
      expect(status).toBe(200);
      expect(envelope).toEqual({ code: '10002', msg: 'channel not existed', data: 400 });
    }
  });

  it('refuses starts beyond WORKERS_MAX: 10001 "workers limit" (HTTP 200, data 429)', async () => {
    for (const channel of ['w1', 'w2', 'w3']) {
      expect((await call(ten.url, 'POST', '/start', { channel_name: channel, graph_name: 'voice_assistant' })).envelope.code).toBe('0');
    }
    const fourth = await call(ten.url, 'POST', '/start', { channel_name: 'w4', graph_name: 'voice_assistant' });
    expect(fourth.status).toBe(200);
    expect(fourth.envelope).toEqual({ code: TEN_CODES.workersLimit.code, msg: 'workers limit', data: 429 });
    expect(ten.workers.has('w4')).toBe(false);
  });

  it('refuses an unknown or missing graph: 10100 "process property json failed" (data 500)', async () => {
    for (const graph of ['no_such_graph', undefined]) {
      const { status, envelope } = await call(ten.url, 'POST', '/start', { channel_name: 'g', graph_name: graph });
      expect(status).toBe(200);
      expect(envelope).toEqual({ code: '10100', msg: 'process property json failed', data: 500 });
    }
    expect(ten.workers.size).toBe(0);
  });

  it('rejects bodies gin cannot bind (10000) and blank channels (10004)', async () => {
    expect((await call(ten.url, 'POST', '/start', 'not json')).envelope).toEqual({ code: '10000', msg: 'params invalid', data: 400 });
    expect((await call(ten.url, 'POST', '/start', { channel_name: 'c', graph_name: 'voice_assistant', user_uid: 'seven' })).envelope.code).toBe('10000');
    expect((await call(ten.url, 'POST', '/start', { channel_name: 'c', graph_name: 'voice_assistant', user_uid: -1 })).envelope.code).toBe('10000');
    expect((await call(ten.url, 'POST', '/stop', '')).envelope.code).toBe('10000');
    expect((await call(ten.url, 'POST', '/start', { channel_name: '   ', graph_name: 'voice_assistant' })).envelope).toEqual({ code: '10004', msg: 'channel empty', data: 400 });
    expect((await call(ten.url, 'POST', '/ping', {})).envelope.code).toBe('10004');
  });

  it('falls back to the server timeout unless timeout > 0 (so -1 is not "never")', async () => {
    await call(ten.url, 'POST', '/start', { channel_name: 'minus-one', graph_name: 'voice_assistant', timeout: -1 });
    expect(ten.workers.get('minus-one')?.quitTimeoutSeconds).toBe(60);
  });

  it('limits graphs whose name contains "gemini" to 3 workers each (10001)', async () => {
    const gemini = await startFakeTenAgent({ graphs: ['voice_assistant_gemini'], maxGeminiWorkers: 1 });
    try {
      expect((await call(gemini.url, 'POST', '/start', { channel_name: 'g1', graph_name: 'voice_assistant_gemini' })).envelope.code).toBe('0');
      expect((await call(gemini.url, 'POST', '/start', { channel_name: 'g2', graph_name: 'voice_assistant_gemini' })).envelope).toEqual({ code: '10001', msg: 'workers limit', data: 429 });
    } finally {
      await gemini.close();
    }
  });

  it('answers CORS preflights 204 and unknown routes with gin\'s 404', async () => {
    const preflight = await fetch(`${ten.url}/start`, { method: 'OPTIONS', headers: { origin: 'http://example.test', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('*');
    expect(await preflight.text()).toBe('');
    const missing = await fetch(`${ten.url}/start`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('404 page not found');
    const slash = await fetch(`${ten.url}/list/`, { redirect: 'manual' });
    expect(slash.status).toBe(301);
    expect(slash.headers.get('location')).toBe('/list');
  });
});

describe('local OpenID Connect provider', () => {
  const clientId = 'voice-console';
  const clientSecret = 'a-client-secret-for-tests';
  const redirectUri = 'http://127.0.0.1:3999/api/auth/callback';
  const postLogoutRedirectUri = 'http://127.0.0.1:3999/signed-out';
  let oidc: LocalOidcProvider;
  beforeAll(async () => {
    oidc = await startOidcProvider({ clientId, clientSecret, redirectUris: [redirectUri], postLogoutRedirectUris: [postLogoutRedirectUri] });
  });
  afterAll(() => oidc.close());

  const discover = (auth: client.ClientAuth) =>
    client.discovery(new URL(oidc.issuer), clientId, undefined, auth, { execute: [client.allowInsecureRequests] });

  it('publishes discovery on a plain-http 127.0.0.1 issuer that openid-client only accepts when allowed', async () => {
    expect(oidc.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const config = await discover(client.ClientSecretBasic(clientSecret));
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(oidc.issuer);
    expect(metadata.end_session_endpoint).toBe(`${oidc.issuer}/session/end`);
    expect(metadata.code_challenge_methods_supported).toContain('S256');
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email']));
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post']));
    await expect(client.discovery(new URL(oidc.issuer), clientId, clientSecret)).rejects.toThrow(/https/i);
  });

  for (const [label, auth] of [
    ['client_secret_basic', () => client.ClientSecretBasic(clientSecret)],
    ['client_secret_post', () => client.ClientSecretPost(clientSecret)],
  ] as const) {
    it(`signs a user in with the code flow + PKCE (${label}) and returns sub, name and email`, async () => {
      const config = await discover(auth());
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const authorizationUrl = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid profile email',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      const jar = new CookieJar();
      const { callback, pages } = await browserSignIn(authorizationUrl, oidc.issuer, 'ada', jar);
      expect(pages).toHaveLength(1); // the login form only: consent is automatic
      expect(pages[0]).toContain('name="login"');
      expect(pages[0]).toContain('<button type="submit"');
      expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
      expect(callback.searchParams.get('iss')).toBe(oidc.issuer);

      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
      expect(tokens.claims()).toMatchObject({ iss: oidc.issuer, aud: clientId, sub: 'ada', name: 'ada', email: 'ada@example.test' });
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, 'ada');
      expect(userinfo).toMatchObject({ sub: 'ada', name: 'ada', email: 'ada@example.test', email_verified: true });

      // The session cookie now signs the same browser straight through, without the login page.
      const again = await browserSignIn(
        client.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope: 'openid profile email',
          code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
          state: 'second',
        }),
        oidc.issuer,
        'ignored',
        jar,
      );
      expect(again.pages).toHaveLength(0);
      expect(again.callback.searchParams.get('code')).toBeTruthy();

      // RP-initiated logout: a confirmation page whose "Yes, sign me out" returns to the client.
      const endSession = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: postLogoutRedirectUri, state: 'bye' });
      expect(endSession.href.startsWith(`${oidc.issuer}/session/end?`)).toBe(true);
      const confirm = await fetch(endSession, { headers: { cookie: jar.header() }, redirect: 'manual' });
      jar.store(confirm);
      const confirmPage = await confirm.text();
      expect(confirm.status).toBe(200);
      expect(confirmPage).toContain('name="logout" value="yes"');
      const logoutForm = /<form[^>]*id="op\.logoutForm"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(confirmPage) ?? /<form[^>]*action="([^"]+)"[^>]*id="op\.logoutForm"[^>]*>([\s\S]*?)<\/form>/.exec(confirmPage);
      expect(logoutForm).not.toBeNull();
      const fields = new URLSearchParams({ logout: 'yes' });
      for (const [, name, value] of logoutForm![2]!.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) fields.set(name!, value!);
      const done = await fetch(new URL(logoutForm![1]!, oidc.issuer), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        body: fields,
      });
      expect(done.status).toBe(303);
      const after = new URL(done.headers.get('location')!);
      expect(`${after.origin}${after.pathname}`).toBe(postLogoutRedirectUri);
      expect(after.searchParams.get('state')).toBe('bye');
    });
  }

  it('requires PKCE: an authorization request without code_challenge goes back with invalid_request', async () => {
    const config = await discover(client.ClientSecretBasic(clientSecret));
    const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid', state: 'no-pkce' });
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/code_challenge|PKCE/i);
  });

  it('rejects a wrong client secret at the token endpoint', async () => {
    const config = await discover(client.ClientSecretBasic('not-the-secret'));
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 's',
    });
    const { callback } = await browserSignIn(url, oidc.issuer, 'mallory');
    await expect(client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 's' })).rejects.toMatchObject({
      status: 401,
      cause: [expect.objectContaining({ scheme: 'basic', parameters: expect.objectContaining({ error: 'invalid_client' }) })],
    });
  });
});

describe('local OpenID Connect provider with its own test users', () => {
  const clientId = 'voice-console';
  const clientSecret = 'a-client-secret-for-tests';
  const redirectUri = 'http://127.0.0.1:3998/api/auth/callback';
  let oidc: LocalOidcProvider;
  beforeAll(async () => {
    oidc = await startOidcProvider({ clientId, clientSecret, redirectUris: [redirectUri], postLogoutRedirectUris: [], users: { grace: 'the-right-password' } });
  });
  afterAll(() => oidc.close());

  async function authorizationUrl(): Promise<{ url: URL; config: client.Configuration; verifier: string }> {
    const config = await client.discovery(new URL(oidc.issuer), clientId, undefined, client.ClientSecretBasic(clientSecret), { execute: [client.allowInsecureRequests] });
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'users',
    });
    return { url, config, verifier };
  }

  /** Follows the provider's redirects to its login form; returns the form's action and the cookies. */
  async function loginForm(start: URL): Promise<{ action: URL; jar: CookieJar; page: string }> {
    const jar = new CookieJar();
    let next = start;
    for (let step = 0; step < 5; step += 1) {
      const response = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header() } });
      jar.store(response);
      const location = response.headers.get('location');
      if (location !== null) {
        next = new URL(location, next);
        continue;
      }
      const page = await response.text();
      const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1] ?? '';
      return { action: new URL(action.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))), next), jar, page };
    }
    throw new Error('no login form');
  }

  it('asks for a password and refuses a wrong one, or a user it does not have, on the same form', async () => {
    const { url } = await authorizationUrl();
    const { action, jar, page } = await loginForm(url);
    expect(page).toContain('name="password"');
    for (const [login, password] of [['grace', 'a-wrong-password'], ['mallory', 'the-right-password'], ['grace', '']]) {
      const response = await fetch(action, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ login: login!, password: password! }),
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('Wrong username or password.');
    }
  });

  it('signs the listed user in with that user\'s password', async () => {
    const { url, config, verifier } = await authorizationUrl();
    const { callback } = await browserSignIn(url, oidc.issuer, 'grace', new CookieJar(), 'the-right-password');
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 'users' });
    expect(tokens.claims()).toMatchObject({ sub: 'grace', email: 'grace@example.test' });
  });
});

/** A tiny DOM: enough of document/window for the stand-in script. */
function fakeDom() {
  class Element {
    id = '';
    textContent = '';
    parentNode: Element | null = null;
    readonly children: Element[] = [];
    readonly attributes = new Map<string, string>();
    readonly style: Record<string, string> = {};
    readonly nodeType = 1;
    constructor(readonly tagName: string) {}
    setAttribute(name: string, value: string) {
      this.attributes.set(name, String(value));
    }
    getAttribute(name: string) {
      return this.attributes.get(name) ?? null;
    }
    appendChild(child: Element) {
      this.children.push(child);
      child.parentNode = this;
      return child;
    }
    removeChild(child: Element) {
      this.children.splice(this.children.indexOf(child), 1);
      child.parentNode = null;
      return child;
    }
  }
  const body = new Element('BODY');
  const document = { body, createElement: (tag: string) => new Element(tag.toUpperCase()) };
  return { Element, body, document };
}

describe('fake Jitsi external_api.js', () => {
  let jitsi: FakeJitsi;
  beforeAll(async () => {
    jitsi = await startFakeJitsi();
  });
  afterAll(() => jitsi.close());

  it('serves the script as JavaScript and records where it was loaded from', async () => {
    const response = await fetch(`${jitsi.url}/external_api.js?release=1`, { headers: { referer: 'http://127.0.0.1:3999/rooms/r1' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/javascript/);
    const source = await response.text();
    expect(source).toContain('JitsiMeetExternalAPI');
    expect(jitsi.requests.at(-1)).toMatchObject({ method: 'GET', path: '/external_api.js', query: { release: '1' } });
    expect(jitsi.requests.at(-1)!.headers.referer).toBe('http://127.0.0.1:3999/rooms/r1');
    expect((await fetch(`${jitsi.url}/libs/external_api.min.js`)).status).toBe(200);
    expect((await fetch(`${jitsi.url}/nothing.js`)).status).toBe(404);
  });

  it('defines JitsiMeetExternalAPI that renders into parentNode, records calls, emits events and disposes', async () => {
    const source = await (await fetch(`${jitsi.url}/external_api.js`)).text();
    const { document, body, Element } = fakeDom();
    const window: Record<string, unknown> = { document, setTimeout, Promise };
    window.window = window;
    const context = createContext(window);
    runInContext(source, context);
    runInContext(source, context); // loading twice keeps one API and one record

    const container = new Element('DIV');
    container.id = 'jitsi-container';
    body.appendChild(container);
    const loaded: unknown[] = [];
    const joined: unknown[] = [];
    const left: unknown[] = [];
    context.__test = { container, onload: function (this: unknown) { loaded.push(this); } };
    const api = runInContext(
      `new JitsiMeetExternalAPI('meet.example.test', {
        roomName: 'standup', width: '100%', height: 600, parentNode: __test.container,
        configOverwrite: { prejoinConfig: { enabled: false }, startWithAudioMuted: true },
        interfaceConfigOverwrite: { SHOW_JITSI_WATERMARK: false },
        jwt: 'header.payload.signature', userInfo: { displayName: 'Ada', email: 'ada@example.test' },
        lang: 'en', onload: __test.onload })`,
      context,
    ) as {
      addListener(event: string, listener: (data: unknown) => void): unknown;
      on(event: string, listener: (data: unknown) => void): unknown;
      removeListener(event: string, listener: (data: unknown) => void): unknown;
      executeCommand(name: string, ...args: unknown[]): void;
      isAudioMuted(): Promise<boolean>;
      getIFrame(): unknown;
      dispose(): void;
    };
    api.addListener('videoConferenceJoined', (data) => joined.push(data));
    api.on('videoConferenceLeft', (data) => left.push(data));

    const calls = context.__jitsiCalls as unknown[];
    expect(calls).toHaveLength(1);
    expect(calls[0]).toEqual({
      domain: 'meet.example.test',
      options: {
        roomName: 'standup',
        width: '100%',
        height: 600,
        parentNode: 'jitsi-container',
        configOverwrite: { prejoinConfig: { enabled: false }, startWithAudioMuted: true },
        interfaceConfigOverwrite: { SHOW_JITSI_WATERMARK: false },
        jwt: 'header.payload.signature',
        userInfo: { displayName: 'Ada', email: 'ada@example.test' },
        lang: 'en',
        onload: '[function]',
      },
    });
    const rendered = container.children[0]!;
    expect(rendered).toBe(api.getIFrame());
    expect(rendered.getAttribute('data-testid')).toBe('jitsi-stand-in');
    expect(rendered.textContent).toBe('Jitsi room standup');
    expect(rendered.style).toMatchObject({ width: '100%', height: '600px' });

    await sleep(10);
    expect(loaded).toEqual([rendered]);
    expect(joined).toEqual([{ roomName: 'standup', id: 'stand-in', displayName: 'Ada', avatarURL: '' }]);

    api.executeCommand('toggleAudio');
    expect(await api.isAudioMuted()).toBe(true);
    api.executeCommand('hangup');
    await sleep(10);
    expect(left).toEqual([{ roomName: 'standup' }]);
    expect(context.__jitsiCommands).toEqual([
      { roomName: 'standup', command: 'toggleAudio', args: [] },
      { roomName: 'standup', command: 'hangup', args: [] },
    ]);

    api.dispose();
    expect(container.children).toHaveLength(0);
    expect(calls.at(-1)).toEqual({ disposed: true, roomName: 'standup', domain: 'meet.example.test' });

    // parentNode defaults to document.body; without an id the tag name is recorded.
    runInContext(`new JitsiMeetExternalAPI('meet.example.test', { roomName: 'lobby' })`, context);
    expect(body.children.at(-1)!.textContent).toBe('Jitsi room lobby');
    expect((calls.at(-1) as { options: { parentNode: string } }).options.parentNode).toBe('body');
  });
});
