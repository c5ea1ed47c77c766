import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserJoinerOptions, BrowserRoomJoiner } from '../../src/browser/index.ts';
import { playwrightDisableFeatures } from '../../src/browser/chromium-launch.ts';
import { CHROMIUM, joinAsAgent, startBot } from '../helpers/browser-harness.ts';
import { startStandinJitsi, type StandinJitsi } from '../standin-jitsi/server.ts';

/**
 * What stands between the bot and a room: prosody's token checks (the stand-in refuses what
 * prosody refuses) and Chromium's Local Network Access checks (the bot page on the Jitsi origin
 * talks to Node on 127.0.0.1).
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
