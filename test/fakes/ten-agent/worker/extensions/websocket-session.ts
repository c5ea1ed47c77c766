import type { AudioFrame, Cmd, Extension, ExtensionContext, Respond } from '../runtime.ts';

/**
 * Our `websocket_session_python` (services/ten-agent/tenapp/ten_packages/extension/
 * websocket_session_python/extension.py), which takes the node name main_python sends to: it
 * passes audio frames on (routed by the graph), sends cmd `on_user_joined` once, before the
 * first frame, and relays cmd `flush` (routed by the graph).
 */
export function websocketSession(context: ExtensionContext): Extension {
  let userJoined = false;
  return {
    async onAudioFrame(frame: AudioFrame) {
      if (!userJoined) {
        userJoined = true;
        await context.sendCmd('on_user_joined');
      }
      context.sendAudioFrame(frame);
    },
    async onCmd(cmd: Cmd, respond: Respond) {
      if (cmd.name === 'flush') await context.sendCmd('flush');
      else context.log(`websocket_session: unhandled cmd ${cmd.name}`);
      respond({ ok: true, properties: {}, final: true });
    },
  };
}
