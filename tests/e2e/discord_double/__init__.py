"""A local Discord API double for end-to-end tests: gateway websocket + REST on 127.0.0.1."""

from .payloads import ChannelInfo, Pings, UserInfo
from .rest import Interaction, Posted, RecordedRequest
from .server import DiscordDouble

__all__ = ["ChannelInfo", "DiscordDouble", "Interaction", "Pings", "Posted", "RecordedRequest", "UserInfo"]
