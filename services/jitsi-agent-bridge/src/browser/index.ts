import type { RoomJoiner } from '../room-joiner.ts';
import { BrowserRoomJoiner, type BrowserJoinerOptions } from './browser-room-joiner.ts';

export { BrowserRoomJoiner, type BrowserJoinerOptions, type Workarounds } from './browser-room-joiner.ts';

/**
 * The bot in headless Chromium, behind the RoomJoiner seam (src/room-joiner.ts): `jitsiUrl`,
 * `xmppDomain`, `mucDomain`, `chromiumPath`, optional `roomsMax` and `logger` (and the test
 * options of BrowserJoinerOptions). Resolves once Chromium runs and the bot page is loaded.
 */
export function createBrowserJoiner(options: BrowserJoinerOptions): Promise<RoomJoiner> {
  return BrowserRoomJoiner.start(options);
}
