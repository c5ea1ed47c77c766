from ten_runtime import Addon, TenEnv, register_addon_as_extension

from .extension import WebsocketSessionExtension


@register_addon_as_extension("websocket_session_python")
class WebsocketSessionAddon(Addon):
    def on_create_instance(self, ten_env: TenEnv, name: str, context) -> None:
        ten_env.on_create_instance_done(WebsocketSessionExtension(name), context)
