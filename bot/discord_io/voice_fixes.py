"""A fix for discord.py's voice reconnect, applied at start-up (site-packages is never edited).

`DiscordVoiceWebSocket.discover_ip` (discord.py 2.7.1) sends the IP-discovery request and only then
registers the listener for the reply. On the first connect the socket reader is still paused, so
the reply waits in the socket. On a reconnect while audio is being received (a voice server move:
VOICE_SERVER_UPDATE mid-round, or any re-identify), the reader is running for voice-recv: a reply
that arrives before the listener is registered is read and dropped, and `discover_ip` waits
forever, so the bot never gets its voice back. Found with the local Discord stand-in on a loaded
2-core machine; on Discord the round trip makes it rarer, not impossible.

`install()` replaces the method with one that listens before it sends (and gives up after
`DISCOVERY_TIMEOUT_S`, so discord.py's own retry logic runs instead of a hang).
"""

from __future__ import annotations

import asyncio
import logging
import struct
from typing import Any

from discord.gateway import DiscordVoiceWebSocket

log = logging.getLogger(__name__)

DISCOVERY_TIMEOUT_S = 10.0
ORIGINAL_DISCOVER_IP = DiscordVoiceWebSocket.discover_ip  # kept for tests and comparison
_installed = False


async def discover_ip(self: DiscordVoiceWebSocket) -> tuple[str, int]:
    """IP discovery (Discord voice docs): the listener is registered before the request goes out."""
    state: Any = self._connection
    packet = bytearray(74)
    struct.pack_into(">H", packet, 0, 1)   # 1 = request
    struct.pack_into(">H", packet, 2, 70)  # length
    struct.pack_into(">I", packet, 4, state.ssrc)
    loop = self.loop
    fut: asyncio.Future[bytes] = loop.create_future()

    def set_reply(data: bytes) -> None:
        if not fut.done():
            fut.set_result(data)

    def get_ip_packet(data: bytes) -> None:  # the socket reader's thread
        if len(data) == 74 and data[1] == 0x02:
            loop.call_soon_threadsafe(set_reply, data)

    state.add_socket_listener(get_ip_packet)
    try:
        await loop.sock_sendall(state.socket, packet)
        recv = await asyncio.wait_for(fut, DISCOVERY_TIMEOUT_S)
    finally:
        state.remove_socket_listener(get_ip_packet)
    ip_end = recv.index(0, 8)
    ip = recv[8:ip_end].decode("ascii")
    port = struct.unpack_from(">H", recv, len(recv) - 2)[0]
    log.debug("voice IP discovery: %s:%s", ip, port)
    return ip, port


def install() -> None:
    """Use the fixed `discover_ip` for every voice connection of this process (idempotent)."""
    global _installed
    if _installed:
        return
    DiscordVoiceWebSocket.discover_ip = discover_ip  # type: ignore[method-assign]
    _installed = True
