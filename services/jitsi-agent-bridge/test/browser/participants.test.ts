import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserRoomJoiner } from '../../src/browser/index.ts';
import type { CpuReading } from '../../src/browser/cpu-headroom.ts';
import { HumanBrowser, joinAsAgent, startBot } from '../helpers/browser-harness.ts';
import { waitUntil } from '../helpers/wait.ts';
import { startStandinJitsi, type StandinJitsi } from '../standin-jitsi/server.ts';

/**
 * The bot in a room as the controller sees it: who is there (people only), how it joined,
 * leaving, and every way of losing the room (kicked, the page crashed, Jitsi gone).
 */
let standin: StandinJitsi;
let humans: HumanBrowser;
let joiner: BrowserRoomJoiner;

beforeAll(async () => {
  standin = await startStandinJitsi();
  [humans, joiner] = await Promise.all([HumanBrowser.launch(standin), startBot(standin, { roomsMax: 2 })]);
});

afterAll(async () => {
  await joiner?.close();
  await humans?.close();
  await standin?.close();
});

const names = (list: ReadonlyArray<{ displayName: string }> | undefined) => list?.map(({ displayName }) => displayName).sort();

describe('the bot in a room', () => {
  it('joins as a visible participant, audio only: P2P off, no video asked for, lib-jitsi-meet from jitsi-web', async () => {
    const { bot } = await joinAsAgent(joiner, standin, 'how-it-joins');
    const [member] = standin.members('how-it-joins');
    expect(member).toMatchObject({ nick: 'AI agent', userName: 'AI agent', p2pEnabled: false, lastN: [0] });
    expect(member?.conferenceOptions).toMatchObject({ p2p: { enabled: false }, channelLastN: 0 });
    expect(member?.receiverConstraints).toEqual([{ lastN: 0 }]);
    expect(standin.requests).toContain('/libs/lib-jitsi-meet.min.js');
    await bot.leave();
  });

  it('reports the people in the room as they come and go, never itself', async () => {
    const { bot, events } = await joinAsAgent(joiner, standin, 'who-is-there');
    await events.waitFor('the first report (nobody)', (recorded) => recorded.participants.length === 1);
    expect(events.participants[0]).toEqual([]);
    const ada = await humans.join({ room: 'who-is-there', name: 'Ada', microphone: false });
    await events.waitFor('Ada', (recorded) => names(recorded.participants.at(-1))?.join() === 'Ada');
    const grace = await humans.join({ room: 'who-is-there', name: 'Grace', microphone: false });
    await events.waitFor('Ada and Grace', (recorded) => names(recorded.participants.at(-1))?.join() === 'Ada,Grace');
    expect(events.participants.at(-1)?.find(({ displayName }) => displayName === 'Grace')?.id).toBe(grace.participantId);
    await ada.leave();
    await events.waitFor('Grace alone', (recorded) => names(recorded.participants.at(-1))?.join() === 'Grace');
    expect(events.participants.flat().some(({ displayName }) => displayName === 'AI agent')).toBe(false);
    await grace.leave();
    await events.waitFor('nobody again', (recorded) => recorded.participants.at(-1)?.length === 0);
    await bot.leave();
    expect(events.left).toEqual([]);
  });

  it('leaves on leave(), safely twice, and frees the room', async () => {
    const { bot, events } = await joinAsAgent(joiner, standin, 'leave-twice');
    await Promise.all([bot.leave(), bot.leave()]);
    await bot.leave();
    expect(standin.members('leave-twice').map(({ present }) => present)).toEqual([false]);
    expect(await joiner.frameOf('leave-twice')).toBeUndefined();
    expect(events.left).toEqual([]);
    // The same room can be joined again.
    await (await joinAsAgent(joiner, standin, 'leave-twice')).bot.leave();
  });

  it('says it is at capacity at ROOMS_MAX, and joins again once a room is free', async () => {
    const first = await joinAsAgent(joiner, standin, 'capacity-1');
    expect(joiner.hasCapacity()).toBe(true);
    const second = await joinAsAgent(joiner, standin, 'capacity-2');
    expect(joiner.hasCapacity()).toBe(false);
    await expect(joinAsAgent(joiner, standin, 'capacity-3')).rejects.toThrow('at capacity: this bridge holds 2 rooms (ROOMS_MAX 2)');
    await first.bot.leave();
    expect(joiner.hasCapacity()).toBe(true);
    await second.bot.leave();
  });

  it('says it is at capacity while too little CPU is free, before the rooms it holds lose audio, and takes rooms again once it frees', async () => {
    // A machine of 2 cores with `free` of them idle, read as /proc/stat would be.
    let free = 0.1;
    let busySeconds = 0;
    let readAt = performance.now();
    const readCpu = (): CpuReading => {
      const now = performance.now();
      busySeconds += ((2 - free) * (now - readAt)) / 1000;
      readAt = now;
      return { busySeconds, cores: 2, source: 'machine' };
    };
    const busy = await startBot(standin, { roomsMax: 2, minFreeCpuCores: 0.25, readCpu });
    try {
      await waitUntil('the joiner to see the CPU short', () => !busy.hasCapacity());
      free = 1.5;
      await waitUntil('the joiner to see the CPU free again', () => busy.hasCapacity());
      await (await joinAsAgent(busy, standin, 'cpu-freed')).bot.leave();
    } finally {
      await busy.close();
    }
    // The check is off without minFreeCpuCores: the shared joiner never looked at the CPU.
    expect(joiner.hasCapacity()).toBe(true);
  });

  it('reports the room left when the bot is kicked', async () => {
    const { events } = await joinAsAgent(joiner, standin, 'kicked');
    const [bot] = standin.members('kicked');
    standin.kick('kicked', bot?.id ?? '');
    await events.waitFor('onLeft', (recorded) => recorded.left.length > 0);
    expect(events.left).toEqual(['the bot was kicked from the room']);
    expect(await joiner.frameOf('kicked')).toBeUndefined();
  });

  it('reports every room left when the page crashes, and the next join starts a fresh browser', async () => {
    const { events } = await joinAsAgent(joiner, standin, 'crash-1');
    const page = await joiner.page();
    await (await page.context().newCDPSession(page)).send('Page.crash').catch(() => undefined);
    await events.waitFor('onLeft', (recorded) => recorded.left.length > 0);
    expect(events.left).toEqual(['the bot page crashed']);
    const again = await joinAsAgent(joiner, standin, 'crash-2');
    expect(await joiner.page()).not.toBe(page);
    await again.bot.leave();
  });

  it('reports the room left when the connection to Jitsi drops', async () => {
    const { events } = await joinAsAgent(joiner, standin, 'jitsi-gone');
    await standin.close();
    await events.waitFor('onLeft', (recorded) => recorded.left.length > 0);
    expect(events.left).toEqual(['the XMPP connection failed (connection.droppedError: connection-dropped-error)']);
  });
});
