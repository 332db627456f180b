"""discord.py's voice IP discovery on a reconnect: the reply can come back before discord.py
listens for it (the socket reader already runs for voice-recv). The fixed `discover_ip` listens
first. The peer here answers at once, inside the send, which is the race at its tightest."""

from __future__ import annotations

import asyncio
import socket
import struct
from types import SimpleNamespace

import pytest
from discord.gateway import DiscordVoiceWebSocket

from bot.discord_io import voice_fixes


class InstantPeer:
    """The socket reader's dispatch, driven by a voice server that answers within the send."""

    def __init__(self) -> None:
        self.listeners: list = []
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.connect(("127.0.0.1", 9))  # discard port: nothing answers on the wire itself
        self.state = SimpleNamespace(ssrc=4242, socket=sock, add_socket_listener=self.listeners.append,
                                     remove_socket_listener=self.listeners.remove)

    async def sock_sendall(self, sock: socket.socket, data: bytes) -> None:
        reply = bytearray(74)
        struct.pack_into(">HHI", reply, 0, 2, 70, struct.unpack_from(">I", data, 4)[0])
        reply[8:17] = b"127.0.0.1"
        struct.pack_into(">H", reply, 72, 50123)
        for cb in list(self.listeners):  # delivered before sendall even returns
            cb(bytes(reply))


async def _discover(method, peer: InstantPeer, monkeypatch, timeout: float = 2.0) -> tuple[str, int]:
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "sock_sendall", peer.sock_sendall)
    ws = SimpleNamespace(_connection=peer.state, loop=loop)
    return await asyncio.wait_for(method(ws), timeout)


async def test_discovery_reply_before_listening_is_lost_without_the_fix(monkeypatch) -> None:
    """discord.py 2.7.1 as shipped: the early reply is dropped and discovery never completes."""
    with pytest.raises(asyncio.TimeoutError):
        await _discover(voice_fixes.ORIGINAL_DISCOVER_IP, InstantPeer(), monkeypatch, timeout=0.5)


async def test_the_fixed_discovery_listens_before_it_sends(monkeypatch) -> None:
    peer = InstantPeer()
    assert await _discover(voice_fixes.discover_ip, peer, monkeypatch) == ("127.0.0.1", 50123)
    assert peer.listeners == [], "the listener is removed again"
    voice_fixes.install()
    assert DiscordVoiceWebSocket.discover_ip is voice_fixes.discover_ip
