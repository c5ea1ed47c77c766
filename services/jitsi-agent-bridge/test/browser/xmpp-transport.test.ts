import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserJoinerOptions, BrowserRoomJoiner } from '../../src/browser/index.ts';
import { loadConfig } from '../../src/config.ts';
import { bridgeEnv, startTestBridge } from '../helpers/bridge-harness.ts';
import { epochNow, HumanBrowser, joinAsAgent, startBot, untilHeardTone } from '../helpers/browser-harness.ts';
import { GENERATED_TENAPP, startFakeTenAgent, VOICE_AGENT_ENV } from '../helpers/fake-ten.ts';
import { SLOW_TEST_MS } from '../helpers/wait.ts';
import { startStandinJitsi, type StandinJitsi } from '../standin-jitsi/server.ts';
import { toneWav, type TestWav } from '../standin-jitsi/test-audio.ts';

/**
 * JITSI_XMPP_TRANSPORT against a jitsi-web rendered with ENABLE_XMPP_WEBSOCKET=0 (development's
 * Compose): nginx then has no /xmpp-websocket location, only /http-bind. The stand-in is set up
 * the same way; its human participants use BOSH too, as jitsi-meet's own client would there.
 */
const TONE_HZ = 440;
let standin: StandinJitsi;
let tone: TestWav;
let humans: HumanBrowser;
const joiners: BrowserRoomJoiner[] = [];

async function bot(options: Partial<BrowserJoinerOptions>): Promise<BrowserRoomJoiner> {
  const joiner = await startBot(standin, options);
  joiners.push(joiner);
  return joiner;
}

beforeAll(async () => {
  [standin, tone] = await Promise.all([startStandinJitsi({ xmppWebSocket: false }), toneWav(TONE_HZ)]);
  humans = await HumanBrowser.launch(standin, { wav: tone.path });
});

afterAll(async () => {
  await Promise.allSettled(joiners.map((joiner) => joiner.close()));
  await humans?.close();
  await standin?.close();
  await tone?.remove();
});

describe('a jitsi-web without /xmpp-websocket', () => {
  it('refuses a websocket there with 404, as nginx without the location does', async () => {
    const refused = await new Promise<string>((resolve) => {
      const socket = new WebSocket(`${standin.url.replace(/^http/, 'ws')}/xmpp-websocket?room=no-websocket`);
      socket.on('open', () => resolve('opened'));
      socket.on('error', (error) => resolve(error.message));
    });
    expect(refused).toBe('Unexpected server response: 404');
  });

  it('JITSI_XMPP_TRANSPORT=bosh: the bot joins over /http-bind and hears the human', async () => {
    const joiner = await bot({ xmppTransport: 'bosh' });
    const { bot: joined, events } = await joinAsAgent(joiner, standin, 'over-bosh');
    const since = epochNow();
    await humans.join({ room: 'over-bosh', name: 'Ada' });
    await untilHeardTone(events, since, TONE_HZ);
    expect(standin.members('over-bosh').map(({ nick, transport }) => [nick, transport])).toEqual([
      ['AI agent', 'http-bind'],
      ['Ada', 'http-bind'],
    ]);
    await joined.leave();
  });

  it('over /http-bind prosody still refuses a JWT of another secret, or of another room', async () => {
    const joiner = await bot({ xmppTransport: 'bosh' });
    const otherSecret = await standin.mintJwt({ room: 'bosh-jwt', name: 'AI agent', secret: 'not-the-secret-prosody-has-0123456789' });
    await expect(joinAsAgent(joiner, standin, 'bosh-jwt', { jwt: otherSecret })).rejects.toThrow("Jitsi refused the bot's credentials (connection.passwordRequired: not-authorized)");
    expect(standin.refusals.at(-1)?.reason).toBe('not-authorized: ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    const otherRoom = await standin.mintJwt({ room: 'some-other-room', name: 'AI agent' });
    await expect(joinAsAgent(joiner, standin, 'bosh-jwt', { jwt: otherRoom })).rejects.toThrow('Jitsi did not let the bot into room "bosh-jwt" (conference.connectionError.notAllowed)');
    expect(standin.refusals.at(-1)?.reason).toBe('not-allowed: token for room some-other-room');
    expect(standin.members('bosh-jwt')).toEqual([]);
  });

  it(
    'JITSI_XMPP_TRANSPORT=websocket (the default): the start answers 502 naming the XMPP connection and the setting to change',
    async () => {
      const ten = await startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env: VOICE_AGENT_ENV });
      try {
        const env = await bridgeEnv(ten.url, { JITSI_URL: standin.url, JWT_APP_SECRET: standin.secret }, 1);
        const config = loadConfig(env);
        expect(config.JITSI_XMPP_TRANSPORT).toBe('websocket');
        // As main.ts builds it from the configuration.
        const joiner = await bot({ jitsiUrl: config.JITSI_URL, xmppTransport: config.JITSI_XMPP_TRANSPORT });
        const test = await startTestBridge(joiner, env);
        try {
          const started = await test.api.start('over-websocket');
          const serviceUrl = `${standin.url.replace(/^http/, 'ws')}/xmpp-websocket`;
          expect(started).toMatchObject({
            status: 502,
            body: {
              error:
                `could not join room over-websocket: could not join room "over-websocket": the XMPP connection to ${serviceUrl} failed (connection.otherError: giving-up): ` +
                'if jitsi-web serves no /xmpp-websocket (ENABLE_XMPP_WEBSOCKET=0), the bridge needs JITSI_XMPP_TRANSPORT=bosh',
            },
          });
          expect(standin.members('over-websocket')).toEqual([]);
        } finally {
          await test.close();
        }
      } finally {
        await ten.close();
      }
    },
    SLOW_TEST_MS,
  );
});
