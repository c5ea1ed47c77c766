import { randomUUID } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';

/**
 * The bot's Chromium: one process for every room (playwright-core driving Debian's chromium).
 * Each flag answers a measured pitfall (shared/research/voice-bridge.md, December update):
 */
export interface ChromiumWorkarounds {
  /**
   * `--autoplay-policy=no-user-gesture-required`: without it an AudioContext stays suspended
   * (resume() never settles) and `<audio>.play()` rejects, even muted.
   */
  readonly autoplayPolicy: boolean;
  /**
   * `--disable-features=LocalNetworkAccessChecks`: a page on a public (or private) Jitsi origin
   * may not open a websocket to 127.0.0.1 otherwise (net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS),
   * and the permission cannot be granted to a plain-http origin; the relay to Node is on loopback.
   */
  readonly localNetworkAccess: boolean;
  /**
   * `--unsafely-treat-insecure-origin-as-secure=<Jitsi origin>`, only for a plain-http origin that
   * is not loopback (compose's `http://jitsi-web:8000`): the bot page lives on that origin, and a
   * page there is no secure context, so it gets no `audioWorklet` and no `getUserMedia`, and
   * cannot carry audio (nor can the microphone permission be granted to it). Loopback http
   * already counts as secure (which is why the tests on 127.0.0.1 never needed it), and https
   * needs nothing. Playwright launches every browser with a temporary `--user-data-dir`; so
   * launched, Debian's headless Chromium honours the switch (test/browser/pitfalls-access, (f)).
   */
  readonly insecureOriginAsSecure: boolean;
}

const BOT_SWITCHES = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
];

export interface LaunchedChromium {
  readonly browser: Browser;
  /** A switch only this browser process carries, to find its process tree in /proc. */
  readonly marker: string;
  /** The one `--disable-features` the browser got (Playwright's list and ours). */
  readonly disableFeatures: string;
}

export interface BotChromiumOptions {
  readonly executablePath: string;
  /** Where the bot page lives (the Jitsi origin the page files are routed on). */
  readonly jitsiOrigin: string;
  readonly workarounds: ChromiumWorkarounds;
  /** @default none */
  readonly extraArgs?: readonly string[];
}

export async function launchBotChromium({ executablePath, jitsiOrigin, workarounds, extraArgs = [] }: BotChromiumOptions): Promise<LaunchedChromium> {
  const playwrightFlag = await playwrightDisableFeatures(executablePath);
  const ours = workarounds.localNetworkAccess ? ['LocalNetworkAccessChecks'] : [];
  const disableFeatures = mergeDisableFeatures(playwrightFlag, ours);
  const marker = `--jitsi-agent-bridge=${randomUUID()}`;
  const args = [
    ...BOT_SWITCHES,
    ...(workarounds.autoplayPolicy ? ['--autoplay-policy=no-user-gesture-required'] : []),
    ...(workarounds.insecureOriginAsSecure && needsSecureContextSwitch(jitsiOrigin) ? [`--unsafely-treat-insecure-origin-as-secure=${new URL(jitsiOrigin).origin}`] : []),
    disableFeatures,
    marker,
    ...extraArgs,
  ];
  const browser = await chromium.launch({
    executablePath,
    args,
    // Chromium honours only the last --disable-features it is given: drop Playwright's and pass
    // the union instead of silently cancelling Playwright's list.
    ...(playwrightFlag === undefined ? {} : { ignoreDefaultArgs: [playwrightFlag] }),
  });
  return { browser, marker, disableFeatures };
}

/** Whether a page on `origin` is no secure context by itself: plain http on a host that is not loopback. */
export function needsSecureContextSwitch(origin: string): boolean {
  const { protocol, hostname } = new URL(origin);
  return protocol === 'http:' && !isLoopbackHost(hostname);
}

/** The hosts Chromium counts as potentially trustworthy over http: localhost, 127.0.0.0/8, ::1. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** `--disable-features=` with every feature of `flag` (may be absent) and `extra`, each once. */
export function mergeDisableFeatures(flag: string | undefined, extra: readonly string[]): string {
  const features = (flag?.slice('--disable-features='.length) ?? '').split(',').filter((feature) => feature !== '');
  return `--disable-features=${[...new Set([...features, ...extra])].join(',')}`;
}

const probed = new Map<string, Promise<string | undefined>>();

/**
 * The `--disable-features` flag Playwright passes by default. Playwright does not export it, so
 * ask a throw-away Chromium for its command line (CDP answers only under --enable-automation),
 * once per executable and process.
 */
export function playwrightDisableFeatures(executablePath: string): Promise<string | undefined> {
  let flag = probed.get(executablePath);
  if (flag === undefined) {
    flag = probeDisableFeatures(executablePath);
    probed.set(executablePath, flag);
    flag.catch(() => probed.delete(executablePath));
  }
  return flag;
}

async function probeDisableFeatures(executablePath: string): Promise<string | undefined> {
  const browser = await chromium.launch({ executablePath, args: [...BOT_SWITCHES, '--enable-automation'] });
  try {
    const session = await browser.newBrowserCDPSession();
    const { arguments: args } = await session.send('Browser.getBrowserCommandLine');
    return args.find((arg) => arg.startsWith('--disable-features='));
  } finally {
    await browser.close();
  }
}
