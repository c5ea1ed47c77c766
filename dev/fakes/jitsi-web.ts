/**
 * jitsi-web as the agent bridge sees it, for `npm run dev`: lib-jitsi-meet and XMPP (BOSH, or a
 * websocket), checking room tokens as prosody does (services/jitsi-agent-bridge/test/standin-jitsi).
 */
import { startStandinJitsi, type StandinJitsiOptions } from '../../services/jitsi-agent-bridge/test/standin-jitsi/server.ts';
import { runStandIn } from './run-stand-in.ts';

await runStandIn<StandinJitsiOptions>('jitsi-web', (options) => startStandinJitsi(options));
