/**
 * A bridge process for the SIGTERM test: src/main.ts with the scripted joiner in place of the
 * browser (the configuration, logger, bridge and signal handling are the real ones). Someone
 * is in every room it joins, so rooms end only when the drain stops them.
 */
import { startBridge } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { exitOnSignals } from '../../src/shutdown.ts';
import { ScriptedJoiner } from './scripted-joiner.ts';

const config = loadConfig();
const bridge = await startBridge({ config, joiner: new ScriptedJoiner(), logger: createLogger(config.LOG_LEVEL) });
exitOnSignals(bridge);
