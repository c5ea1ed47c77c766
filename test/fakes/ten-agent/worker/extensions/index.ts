import type { Extension, ExtensionContext } from '../runtime.ts';
import { speechToText } from './asr.ts';
import { languageModel } from './llm.ts';
import { mainControl } from './main-control.ts';
import { mcpClient } from './mcp-client.ts';
import { textToSpeech } from './tts.ts';
import { websocketServer } from './websocket-server.ts';
import { websocketSession } from './websocket-session.ts';

/**
 * The addons the fake worker can run, by addon name: an addon decides what a node does, as a
 * TEN app's installed packages do. A node whose addon is not here fails the graph's start.
 */
export const ADDONS: Readonly<Record<string, (context: ExtensionContext) => Extension>> = {
  websocket_server: websocketServer,
  websocket_session_python: websocketSession,
  deepgram_asr_python: speechToText,
  main_python: mainControl,
  openai_llm2_python: languageModel,
  mcp_client_python: mcpClient,
  elevenlabs_tts2_python: textToSpeech,
};
