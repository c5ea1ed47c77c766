/**
 * The bridge's process: `node src/main.ts` (Node's type stripping, Node 22.18+ / 23.6+) or
 * `node --import tsx src/main.ts` (Node 20). Exits 1 with a message naming the variable when
 * the configuration is wrong.
 */
import { startBridge } from './app.ts';
import { createBrowserJoiner } from './browser/index.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { exitOnSignals } from './shutdown.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const joiner = await createBrowserJoiner({
    chromiumPath: config.CHROMIUM_PATH,
    jitsiUrl: config.JITSI_URL,
    xmppDomain: config.JITSI_XMPP_DOMAIN,
    mucDomain: config.JITSI_MUC_DOMAIN,
    roomsMax: config.ROOMS_MAX,
    xmppTransport: config.JITSI_XMPP_TRANSPORT,
    minFreeCpuCores: config.ADMISSION_MIN_FREE_CPU,
    logger,
  });
  const bridge = await startBridge({ config, joiner, logger });
  exitOnSignals(bridge);
}

main().catch((error: unknown) => {
  const known = error instanceof ConfigError;
  process.stderr.write(`jitsi-agent-bridge: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
  process.exit(1);
});
