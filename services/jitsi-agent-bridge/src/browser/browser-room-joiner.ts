import type { BrowserContext, CDPSession, Frame, Page } from 'playwright-core';
import type { WebSocket } from 'ws';
import type { Logger } from '../logger.ts';
import type { JoinedRoom, JoinedRoomEvents, JoinRequest, RoomJoiner } from '../room-joiner.ts';
import { BrowserRoom } from './browser-room.ts';
import { launchBotChromium, needsSecureContextSwitch, type LaunchedChromium } from './chromium-launch.ts';
import { loadPageFiles, routeBotPage, type PageFiles } from './page-files.ts';
import { PageRelay } from './page-relay.ts';
import { CpuHeadroom, type CpuReading } from './cpu-headroom.ts';
import { chromiumUsage, type ProcessUsage } from './process-usage.ts';
import { roomIsHealthy } from './room-meters.ts';

export interface BrowserJoinerOptions {
  /** jitsi-web's base URL: the page loads `<jitsiUrl>/libs/lib-jitsi-meet.min.js` and speaks XMPP there. */
  readonly jitsiUrl: string;
  /** `websocket`: `<jitsiUrl>/xmpp-websocket`; `bosh`: `<jitsiUrl>/http-bind` (a web without the websocket). @default 'websocket' */
  readonly xmppTransport?: 'websocket' | 'bosh';
  /**
   * hasCapacity() is false while fewer cores than this are free (cpu-headroom.ts), so a room is
   * refused before the rooms held lose audio. @default 0 (off: tests share the machine)
   */
  readonly minFreeCpuCores?: number;
  /** Where the free CPU is read from (tests). @default readCpu */
  readonly readCpu?: () => CpuReading | undefined;
  /** `hosts.domain`, e.g. `meet.jitsi`. */
  readonly xmppDomain: string;
  /** `hosts.muc`, e.g. `muc.meet.jitsi`. */
  readonly mucDomain: string;
  readonly chromiumPath: string;
  /** Rooms this joiner holds at most. @default 12 */
  readonly roomsMax?: number;
  readonly logger?: Logger;
  /** Deadline of each step of a join (XMPP connection, conference). @default 30_000 */
  readonly joinTimeoutMs?: number;
  /** More Chromium switches (tests: `--allow-loopback-in-peer-connection`, `--ip-address-space-overrides=…`). @default none */
  readonly extraChromiumArgs?: readonly string[];
  /**
   * Turns a Chromium workaround off, to prove in a test that it is needed. Production leaves
   * them all on. @default every workaround on
   */
  readonly workarounds?: Partial<Workarounds>;
}

/** The pitfalls the bot works around (shared/research/voice-bridge.md, December update). */
export interface Workarounds {
  /** An `<audio>` element at volume 0 plays each remote stream (else Web Audio hears silence). */
  readonly remoteAudioElement: boolean;
  /** `--autoplay-policy=no-user-gesture-required` (else the AudioContext stays suspended). */
  readonly autoplayPolicy: boolean;
  /** Microphone permission for the Jitsi origin (else no host ICE candidates, only mDNS names). */
  readonly microphonePermission: boolean;
  /** Local Network Access checks off (else a non-loopback Jitsi origin cannot reach the relay). */
  readonly localNetworkAccess: boolean;
  /** A plain-http, non-loopback Jitsi origin treated as secure (else no audioWorklet, no getUserMedia). */
  readonly insecureOriginAsSecure: boolean;
}

const ALL_WORKAROUNDS: Workarounds = { remoteAudioElement: true, autoplayPolicy: true, microphonePermission: true, localNetworkAccess: true, insecureOriginAsSecure: true };
/** How often the free CPU is read (it is judged over CpuHeadroom's 5 s window). */
const CPU_SAMPLE_MS = 1_000;
/** The room's iframe loads and dials the relay before anything else. */
const RELAY_CONNECT_TIMEOUT_MS = 10_000;

/** The browser, its context and the one page every room's iframe lives in. */
interface BotSession {
  readonly chromium: LaunchedChromium;
  readonly context: BrowserContext;
  readonly page: Page;
  /** CDP on the host page, to run its scripts without a user gesture (see hostPage). */
  readonly cdp: CDPSession;
  readonly pageBase: string;
}

/** Adds a room's iframe to the host page (a script of the page, given `{ name, src }`). */
const ADD_ROOM_FRAME = `({ name, src }) => {
  const frame = document.createElement('iframe');
  frame.name = name;
  frame.allow = 'microphone; autoplay';
  frame.src = src;
  document.body.append(frame);
}`;

/** Removes a room's iframe (a script of the page, given `{ name }`). */
const REMOVE_ROOM_FRAME = `({ name }) => document.querySelector('iframe[name="' + name + '"]')?.remove()`;

/**
 * Runs `script(argument)` in the host page without a user gesture. Playwright's evaluate counts
 * as one (CDP userGesture: true), and a gesture would let the rooms' AudioContexts start whatever
 * the autoplay policy: the bot must work, and be tested, as a page nobody clicks.
 */
async function hostPage(session: BotSession, script: string, argument: Record<string, string>): Promise<void> {
  const { exceptionDetails } = await session.cdp.send('Runtime.evaluate', { expression: `(${script})(${JSON.stringify(argument)})`, userGesture: false, awaitPromise: true });
  if (exceptionDetails !== undefined) throw new Error(`the host page failed: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
}

/**
 * The RoomJoiner backed by one headless Chromium: one page, each room in its own same-origin
 * iframe (own JS realm, so its own JitsiMeetJS, connection and AudioContext; all in one renderer
 * process: a few MB per room instead of a renderer per room). If the page crashes or Chromium
 * exits, its rooms are reported left and the next join starts a fresh browser.
 */
export class BrowserRoomJoiner implements RoomJoiner {
  private session: Promise<BotSession> | undefined;
  private readonly rooms = new Map<string, { room: BrowserRoom | undefined; slot: string }>();
  private slots = 0;
  private closed = false;
  private readonly workarounds: Workarounds;
  private readonly roomsMax: number;
  private readonly joinTimeoutMs: number;
  /** Relay errors Chromium reported before the join listened for them, by slot. */
  private readonly failedRelays = new Map<string, string>();
  private readonly blockedRelayListeners = new Map<string, (netError: string) => void>();

  private readonly options: BrowserJoinerOptions;
  private readonly relay: PageRelay;

  private readonly files: PageFiles;
  private readonly cpu: CpuHeadroom;
  private readonly cpuSampler: NodeJS.Timeout | undefined;

  private constructor(options: BrowserJoinerOptions, relay: PageRelay, files: PageFiles) {
    this.options = options;
    this.relay = relay;
    this.files = files;
    this.workarounds = { ...ALL_WORKAROUNDS, ...options.workarounds };
    this.roomsMax = options.roomsMax ?? 12;
    this.joinTimeoutMs = options.joinTimeoutMs ?? 30_000;
    this.cpu = new CpuHeadroom(options.readCpu === undefined ? {} : { read: options.readCpu });
    if ((options.minFreeCpuCores ?? 0) > 0) {
      this.cpu.sample();
      this.cpuSampler = setInterval(() => this.cpu.sample(), CPU_SAMPLE_MS).unref();
    }
  }

  /** Starts the relay and the browser (so a broken Chromium fails the service's start, not its first room). */
  static async start(options: BrowserJoinerOptions): Promise<BrowserRoomJoiner> {
    const jitsiUrl = options.jitsiUrl.replace(/\/+$/, '');
    const files = await loadPageFiles();
    const joiner = new BrowserRoomJoiner({ ...options, jitsiUrl }, await PageRelay.start(files, new URL(jitsiUrl).origin), files);
    try {
      await joiner.ensureSession();
    } catch (error) {
      await joiner.relay.stop();
      throw new Error(`could not start Chromium (${options.chromiumPath}) for the bot: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return joiner;
  }

  async join(request: JoinRequest, events: JoinedRoomEvents): Promise<JoinedRoom> {
    if (this.closed) throw new Error('the browser joiner is closed');
    if (this.rooms.has(request.room)) throw new Error(`the bot is already in room "${request.room}"`);
    if (this.rooms.size >= this.roomsMax) throw new Error(`at capacity: this bridge holds ${this.rooms.size} rooms (ROOMS_MAX ${this.roomsMax})`);
    const logger = this.options.logger?.child({ room: request.room, session: request.sessionId });
    const slot = `room-${++this.slots}`;
    const entry: { room: BrowserRoom | undefined; slot: string } = { room: undefined, slot };
    this.rooms.set(request.room, entry);
    const started = performance.now();
    logger?.info('joining room');
    try {
      const session = await this.ensureSession();
      const { key, connected } = this.relay.open(slot);
      await hostPage(session, ADD_ROOM_FRAME, { name: slot, src: `${session.pageBase}room.html#${slot}:${key}:${this.relay.port}` });
      const socket = await this.relayConnection(slot, connected);
      const room = await BrowserRoom.join(
        {
          request,
          events,
          socket,
          logger,
          page: {
            serviceUrl: this.serviceUrl(request.room),
            hosts: { domain: this.options.xmppDomain, muc: this.options.mucDomain },
            workarounds: { remoteAudioElement: this.workarounds.remoteAudioElement },
            workletUrl: `${this.relay.filesUrl}worklet.js`,
            joinTimeoutMs: this.joinTimeoutMs,
          },
          removeFrame: () => this.removeFrame(session, slot),
          onGone: () => {
            if (this.rooms.get(request.room) === entry) this.rooms.delete(request.room);
          },
        },
        2 * this.joinTimeoutMs + RELAY_CONNECT_TIMEOUT_MS,
      );
      entry.room = room;
      logger?.info({ participantId: room.participantId, ms: Math.round(performance.now() - started) }, 'room joined');
      return room;
    } catch (error) {
      this.relay.close(slot);
      this.failedRelays.delete(slot);
      if (this.rooms.get(request.room) === entry) this.rooms.delete(request.room);
      const session = await this.session?.catch(() => undefined);
      if (session !== undefined) await this.removeFrame(session, slot);
      const message = error instanceof Error ? error.message : String(error);
      logger?.warn({ error: message }, 'join failed');
      throw new Error(message, { cause: error });
    }
  }

  /** Cores free over the last 5 s, as admission sees them (undefined with the check off or before two readings). */
  freeCpuCores(): number | undefined {
    return (this.options.minFreeCpuCores ?? 0) > 0 ? this.cpu.freeCores() : undefined;
  }

  hasCapacity(): boolean {
    if (this.closed || this.rooms.size >= this.roomsMax) return false;
    // Unknown (the check off, no second reading yet, or no /proc) is not a reason to refuse.
    const free = this.freeCpuCores();
    if (free !== undefined && free < (this.options.minFreeCpuCores ?? 0)) return false;
    for (const { room } of this.rooms.values()) {
      if (room !== undefined && !roomIsHealthy(room.stats(), room.settled())) return false;
    }
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.cpuSampler);
    await Promise.allSettled([...this.rooms.values()].map(({ room }) => room?.leave()));
    const session = await this.session?.catch(() => undefined);
    this.session = undefined;
    await session?.chromium.browser.close().catch(() => undefined);
    await this.relay.stop();
  }

  /** The bot's page (tests, benchmarks): rooms are its iframes. */
  async page(): Promise<Page> {
    return (await this.ensureSession()).page;
  }

  /** The iframe of a room the bot is in (tests reach the room's audio graph through it). */
  async frameOf(room: string): Promise<Frame | undefined> {
    const slot = this.rooms.get(room)?.slot;
    const session = await this.session?.catch(() => undefined);
    return slot === undefined || session === undefined ? undefined : (session.page.frame({ name: slot }) ?? undefined);
  }

  /** The `--disable-features` Chromium runs with (Playwright's list and the bot's). */
  async disableFeatures(): Promise<string> {
    return (await this.ensureSession()).chromium.disableFeatures;
  }

  /** Memory and CPU of the bot's Chromium, from /proc (benchmarks). */
  async usage(): Promise<ProcessUsage | undefined> {
    const session = await this.session?.catch(() => undefined);
    return session === undefined ? undefined : chromiumUsage(session.chromium.marker);
  }

  /** lib-jitsi-meet's `serviceUrl`: the websocket, or BOSH where jitsi-web serves no websocket. */
  private serviceUrl(room: string): string {
    const bosh = this.options.xmppTransport === 'bosh';
    const url = new URL(bosh ? 'http-bind' : 'xmpp-websocket', `${this.options.jitsiUrl}/`);
    if (!bosh) url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('room', room);
    return url.href;
  }

  private ensureSession(): Promise<BotSession> {
    this.session ??= this.startSession();
    this.session.catch(() => (this.session = undefined));
    return this.session;
  }

  private async startSession(): Promise<BotSession> {
    const extraArgs = this.options.extraChromiumArgs ?? [];
    const chromium = await launchBotChromium({ executablePath: this.options.chromiumPath, jitsiOrigin: this.options.jitsiUrl, workarounds: this.workarounds, extraArgs });
    const { browser } = chromium;
    try {
      const context = await browser.newContext();
      const origin = new URL(this.options.jitsiUrl).origin;
      // Chromium hides the host's addresses behind mDNS names unless the page may use the
      // microphone; the video bridge cannot resolve those, so no media would flow. An origin
      // that is no secure context cannot be granted it ("Permission can't be granted in current
      // context"): skip it there, so the page's join names the missing secure context instead.
      const secure = this.workarounds.insecureOriginAsSecure || !needsSecureContextSwitch(origin);
      if (this.workarounds.microphonePermission && secure) await context.grantPermissions(['microphone'], { origin });
      const pageBase = await routeBotPage(context, this.options.jitsiUrl, this.files);
      const page = await context.newPage();
      page.on('console', (message) => this.noticeBlockedRelay(message.text()));
      await page.goto(`${pageBase}host.html`);
      const cdp = await context.newCDPSession(page);
      const session: BotSession = { chromium, context, page, cdp, pageBase };
      page.on('crash', () => this.lose(session, 'the bot page crashed'));
      browser.on('disconnected', () => this.lose(session, 'the bot browser exited'));
      return session;
    } catch (error) {
      await browser.close().catch(() => undefined);
      throw error;
    }
  }

  /** Every room of a dead page or browser is lost; the next join starts afresh. */
  private lose(session: BotSession, reason: string): void {
    void this.session?.then((current) => {
      if (current !== session) return;
      this.session = undefined;
      this.options.logger?.error({ reason }, 'bot browser lost');
      for (const { room } of [...this.rooms.values()]) room?.lost(reason);
      void session.chromium.browser.close().catch(() => undefined);
    });
  }

  /**
   * Chromium reports a blocked websocket only on the console (the page sees a bare error event);
   * the text names the slot's relay URL, so the join can fail at once with the reason. Only the
   * net error is read; nothing of the console text is logged.
   */
  private noticeBlockedRelay(text: string): void {
    if (!text.includes(`ws://127.0.0.1:${this.relay.port}/rooms/`)) return;
    const slot = /\/rooms\/([\w-]+)\?/.exec(text)?.[1];
    const netError = /net::(ERR_[A-Z_]+)/.exec(text)?.[1];
    if (slot === undefined || netError === undefined) return;
    const listener = this.blockedRelayListeners.get(slot);
    if (listener === undefined) this.failedRelays.set(slot, netError);
    else listener(netError);
  }

  private relayConnection(slot: string, connected: Promise<WebSocket>): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const blocked = (netError: string) => {
        done();
        reject(
          new Error(
            netError === 'ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS'
              ? `Chromium blocked the room's page from reaching the bridge's loopback relay (${netError}): the bot browser must run with Local Network Access checks disabled`
              : `the room's page could not reach the bridge's loopback relay (${netError})`,
          ),
        );
      };
      const done = () => {
        clearTimeout(timer);
        this.blockedRelayListeners.delete(slot);
        this.failedRelays.delete(slot);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`the room's page did not connect to the bridge's loopback relay within ${RELAY_CONNECT_TIMEOUT_MS} ms`));
      }, RELAY_CONNECT_TIMEOUT_MS);
      const early = this.failedRelays.get(slot);
      if (early !== undefined) {
        blocked(early);
        return;
      }
      this.blockedRelayListeners.set(slot, blocked);
      connected.then(
        (socket) => {
          done();
          resolve(socket);
        },
        () => undefined,
      );
    });
  }

  private async removeFrame(session: BotSession, slot: string): Promise<void> {
    await hostPage(session, REMOVE_ROOM_FRAME, { name: slot }).catch(() => undefined);
  }
}
