"""The session adapter between TEN's websocket_server and main_python.

main_python was written for Agora: it interrupts by sending cmd "flush" to the node named
"agora_rtc" by explicit destination, and it speaks its greeting when that transport reports
"on_user_joined". Our graph has no Agora, so this small extension takes the node name
"agora_rtc" and does the two things main_python expects of it for a websocket client:

- it passes the client's audio (pcm_frame from websocket_server) on to the STT node, and reports
  "on_user_joined" on the first frame of a session, when a client is certainly connected;
- it passes "flush" on to websocket_server (routed by the graph), which tells the client to
  drop the answer it is still playing when the user starts to speak (barge-in).

The agent server also writes Agora values (channel, token, stream ids) into this node's
properties; they are not read.
"""

from ten_runtime import (
    AsyncExtension,
    AsyncTenEnv,
    AudioFrame,
    Cmd,
    CmdResult,
    StatusCode,
)


class WebsocketSessionExtension(AsyncExtension):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._user_joined = False

    async def on_audio_frame(self, ten_env: AsyncTenEnv, audio_frame: AudioFrame) -> None:
        if not self._user_joined:
            self._user_joined = True
            # Not awaited for its result: main_control answers it, and audio must not wait.
            await ten_env.send_cmd(Cmd.create("on_user_joined"))
        await ten_env.send_audio_frame(_copy(audio_frame))

    async def on_cmd(self, ten_env: AsyncTenEnv, cmd: Cmd) -> None:
        if cmd.get_name() == "flush":
            await ten_env.send_cmd(Cmd.create("flush"))
        else:
            ten_env.log_warn(f"websocket_session: unhandled cmd {cmd.get_name()}")
        await ten_env.return_result(CmdResult.create(StatusCode.OK, cmd))


def _copy(frame: AudioFrame) -> AudioFrame:
    """A new frame with the same samples, format and properties, to send on (a received frame is not resent)."""
    copy = AudioFrame.create(frame.get_name())
    copy.set_sample_rate(frame.get_sample_rate())
    copy.set_bytes_per_sample(frame.get_bytes_per_sample())
    copy.set_number_of_channels(frame.get_number_of_channels())
    copy.set_samples_per_channel(frame.get_samples_per_channel())
    copy.set_data_fmt(frame.get_data_fmt())
    copy.set_timestamp(frame.get_timestamp())
    properties, _ = frame.get_property_to_json(None)
    if properties:
        copy.set_property_from_json(None, properties)
    samples = frame.get_buf()
    copy.alloc_buf(len(samples))
    buffer = copy.lock_buf()
    buffer[:] = samples
    copy.unlock_buf(buffer)
    return copy
