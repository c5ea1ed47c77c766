/**
 * A bridge process for the process tests: src/main.ts with the scripted joiner in place of the
 * browser (the configuration, logger, bridge and signal handling are the real ones). Someone
 * is in every room it joins, so rooms end only when stopped or drained.
 *
 * TEST_SPEAK_EVERY_MS (test only, not a bridge variable): the person in each joined room says
 * something (a chirp, which the fake TEN's segmenter hears as an utterance) every so often, so a
 * running conversation keeps making TEN sessions answer and call tools.
 */
import { startBridge } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { exitOnSignals } from '../../src/shutdown.ts';
import { chirp } from '../../../../test/fakes/ten-agent/worker/audio/speech.ts';
import { ScriptedJoiner } from './scripted-joiner.ts';

const config = loadConfig();
const joiner = new ScriptedJoiner();
const bridge = await startBridge({ config, joiner, logger: createLogger(config.LOG_LEVEL) });
exitOnSignals(bridge);

const speakEveryMs = Number(process.env['TEST_SPEAK_EVERY_MS'] ?? 0);
if (speakEveryMs > 0) {
  const speaking = new Set<unknown>();
  setInterval(() => {
    for (const room of joiner.joinedRooms()) {
      if (speaking.has(room)) continue;
      speaking.add(room);
      void room.say(chirp(900)).finally(() => speaking.delete(room));
    }
  }, speakEveryMs).unref();
}
