/**
 * jitsi-web as a browser sees it, for `npm run dev`: the IFrame API script the console embeds,
 * which shows the room as a plain box instead of a meeting (services/frontend/test/fakes).
 */
import { startFakeJitsi, type FakeJitsiOptions } from '../../services/frontend/test/fakes/fake-jitsi.ts';
import { runStandIn } from './run-stand-in.ts';

await runStandIn<FakeJitsiOptions>('jitsi-embed', (options) => startFakeJitsi(options));
