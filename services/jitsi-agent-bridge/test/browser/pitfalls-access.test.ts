import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserJoinerOptions, BrowserRoomJoiner } from '../../src/browser/index.ts';
import { needsSecureContextSwitch, playwrightDisableFeatures } from '../../src/browser/chromium-launch.ts';
import { CHROMIUM, epochNow, HumanBrowser, joinAsAgent, startBot, untilHeardTone } from '../helpers/browser-harness.ts';
import { startStandinJitsi, type StandinJitsi } from '../standin-jitsi/server.ts';
import { toneWav, type TestWav } from '../standin-jitsi/test-audio.ts';

/**
 * What stands between the bot and a room: prosody's token checks (the stand-in refuses what
 * prosody refuses), Chromium's Local Network Access checks (the bot page on the Jitsi origin
 * talks to Node on 127.0.0.1) and the secure context a plain-http Jitsi origin lacks.
 */
let standin: StandinJitsi;
const joiners: BrowserRoomJoiner[] = [];

async function bot(options: Partial<BrowserJoinerOptions> = {}): Promise<BrowserRoomJoiner> {
  const joiner = await startBot(standin, options);
  joiners.push(joiner);
  return joiner;
}

beforeAll(async () => {
  standin = await startStandinJitsi();
});

afterAll(async () => {
  await Promise.allSettled(joiners.map((joiner) => joiner.close()));
  await standin?.close();
});

describe('(d) prosody refuses a bad JWT, and join() names the reason (never the token)', () => {
  let joiner: BrowserRoomJoiner;
  beforeAll(async () => {
    joiner = await bot();
  });

  it.each([
    [
      'a JWT for another room',
      () => standin.mintJwt({ room: 'some-other-room', name: 'AI agent' }),
      'could not join room "pitfall-jwt": Jitsi did not let the bot into room "pitfall-jwt" (conference.connectionError.notAllowed): the JWT\'s room claim must be this room',
      'not-allowed: token for room some-other-room',
    ],
    [
      'a JWT signed with another secret',
      () => standin.mintJwt({ room: 'pitfall-jwt', name: 'AI agent', secret: 'not-the-secret-prosody-has-0123456789' }),
      "could not join room \"pitfall-jwt\": Jitsi refused the bot's credentials (connection.passwordRequired: not-authorized): the JWT is missing, expired, or not signed with the secret prosody has",
      'not-authorized: ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    ],
    [
      'an expired JWT',
      () => standin.mintJwt({ room: 'pitfall-jwt', name: 'AI agent', expiresInSeconds: -60 }),
      "could not join room \"pitfall-jwt\": Jitsi refused the bot's credentials (connection.passwordRequired: not-authorized): the JWT is missing, expired, or not signed with the secret prosody has",
      'not-authorized: ERR_JWT_EXPIRED',
    ],
    [
      'no JWT',
      () => Promise.resolve(''),
      "could not join room \"pitfall-jwt\": Jitsi refused the bot's credentials (connection.passwordRequired: not-authorized): the JWT is missing, expired, or not signed with the secret prosody has",
      'not-authorized: no token',
    ],
  ])('%s', async (_, mint, message, refusal) => {
    const jwt = await mint();
    const failure = await joinAsAgent(joiner, standin, 'pitfall-jwt', { jwt }).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).toBe(message);
    if (jwt !== '') expect(failure?.message).not.toContain(jwt.split('.')[1]);
    expect(standin.refusals.at(-1)?.reason).toBe(refusal);
    // Nothing left behind: the room's iframe is gone, and the room can be joined again.
    expect(await joiner.frameOf('pitfall-jwt')).toBeUndefined();
  });

  it('joins once the JWT is right, after those failures', async () => {
    const { bot: joined } = await joinAsAgent(joiner, standin, 'pitfall-jwt');
    expect(standin.members('pitfall-jwt').filter((member) => member.present).map((member) => member.nick)).toEqual(['AI agent']);
    await joined.leave();
  });
});

describe('(e) Local Network Access: a page on a non-loopback Jitsi origin may not reach the loopback relay', () => {
  // Chromium's own test switch makes the stand-in's address count as public, like a real jitsi-web.
  const publicJitsi = () => `--ip-address-space-overrides=${new URL(standin.url).host}=public`;

  it('the bot turns the checks off and joins; its Chromium has one --disable-features, Playwright’s list and its own', async () => {
    const joiner = await bot({ extraChromiumArgs: [publicJitsi(), '--enable-automation'] });
    const { events } = await joinAsAgent(joiner, standin, 'pitfall-public-jitsi');
    await events.waitFor('frames', (recorded) => recorded.frames.length > 10);
    const browser = (await joiner.page()).context().browser();
    if (browser === null) throw new Error('no browser');
    const { arguments: args } = await (await browser.newBrowserCDPSession()).send('Browser.getBrowserCommandLine');
    const flags = args.filter((arg) => arg.startsWith('--disable-features='));
    expect(flags).toHaveLength(1);
    const features = new Set(flags[0]?.slice('--disable-features='.length).split(','));
    expect(features.has('LocalNetworkAccessChecks')).toBe(true);
    const playwright = (await playwrightDisableFeatures(CHROMIUM))?.slice('--disable-features='.length).split(',') ?? [];
    expect(playwright.length).toBeGreaterThan(0);
    expect(playwright.filter((feature) => !features.has(feature))).toEqual([]);
  });

  it('with the checks on, join() fails at once and says why', async () => {
    const joiner = await bot({ extraChromiumArgs: [publicJitsi()], workarounds: { localNetworkAccess: false } });
    await expect(joinAsAgent(joiner, standin, 'pitfall-lna')).rejects.toThrow(
      "Chromium blocked the room's page from reaching the bridge's loopback relay (ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS): the bot browser must run with Local Network Access checks disabled",
    );
  });
});

describe('(f) a plain-http Jitsi origin that is not loopback is no secure context: no audioWorklet, no getUserMedia', () => {
  // Compose's JITSI_URL is http://jitsi-web:8000; here a made-up name resolves to the stand-in.
  const JITSI_HOST = 'jitsi-web.test';
  const TONE_HZ = 660;
  const mapHost = `--host-resolver-rules=MAP ${JITSI_HOST} 127.0.0.1`;
  const namedJitsi = () => `http://${JITSI_HOST}:${new URL(standin.url).port}`;
  let tone: TestWav;
  let humans: HumanBrowser;

  beforeAll(async () => {
    tone = await toneWav(TONE_HZ);
    humans = await HumanBrowser.launch(standin, { wav: tone.path });
  });

  afterAll(async () => {
    await humans?.close();
    await tone?.remove();
  });

  it('the switch is for plain http off loopback only', () => {
    for (const origin of ['http://jitsi-web:8000', 'http://jitsi-web.test:8000', 'http://10.0.0.7', 'http://[fe80::1]:8000']) expect(needsSecureContextSwitch(origin), origin).toBe(true);
    for (const origin of ['https://meet.example.com', 'http://127.0.0.1:8000', 'http://127.8.9.10', 'http://localhost:8000', 'http://app.localhost', 'http://[::1]:8000']) {
      expect(needsSecureContextSwitch(origin), origin).toBe(false);
    }
  });

  it('the bot treats the origin as secure, joins and hears the human', async () => {
    const joiner = await bot({ jitsiUrl: namedJitsi(), extraChromiumArgs: [mapHost] });
    const { bot: joined, events } = await joinAsAgent(joiner, standin, 'pitfall-secure-context');
    const frame = await joiner.frameOf('pitfall-secure-context');
    const page = () => {
      const { location, isSecureContext } = globalThis as unknown as { location: { origin: string }; isSecureContext: boolean };
      return [location.origin, isSecureContext];
    };
    expect(await frame?.evaluate(page)).toEqual([namedJitsi(), true]);
    const since = epochNow();
    await humans.join({ room: 'pitfall-secure-context' });
    await untilHeardTone(events, since, TONE_HZ);
    await joined.leave();
  });

  it('without the switch, join() fails at once and says why', async () => {
    const joiner = await bot({ jitsiUrl: namedJitsi(), extraChromiumArgs: [mapHost], workarounds: { insecureOriginAsSecure: false } });
    await expect(joinAsAgent(joiner, standin, 'pitfall-insecure')).rejects.toThrow(
      `could not join room "pitfall-insecure": the bot page at ${namedJitsi()} is not a secure context: Chromium gives it no audioWorklet and no getUserMedia, so it cannot carry audio ` +
        `(serve Jitsi over https, or launch the bot's Chromium with --unsafely-treat-insecure-origin-as-secure=${namedJitsi()})`,
    );
    expect(standin.members('pitfall-insecure')).toEqual([]);
  });
});
