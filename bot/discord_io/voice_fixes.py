"""Fixes for discord.py's voice reconnect and resume, applied at start-up (site-packages is never edited).

1. IP discovery on a reconnect.

`DiscordVoiceWebSocket.discover_ip` (discord.py 2.7.1) sends the IP-discovery request and only then
registers the listener for the reply. On the first connect the socket reader is still paused, so
the reply waits in the socket. On a reconnect while audio is being received (a voice server move:
VOICE_SERVER_UPDATE mid-round, or any re-identify), the reader is running for voice-recv: a reply
that arrives before the listener is registered is read and dropped, and `discover_ip` waits
forever, so the bot never gets its voice back. Found with the local Discord stand-in on a loaded
2-core machine; on Discord the round trip makes it rarer, not impossible.

`install()` replaces the method with one that listens before it sends (and gives up after
`DISCOVERY_TIMEOUT_S`, so discord.py's own retry logic runs instead of a hang).

2. Resuming after voice close 4015 ("voice server crashed, try resuming"). discord.py 2.7.1 calls
`VoiceConnectionState._connect(resume=True)`, which first sends a new gateway Voice State Update,
waits for VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE to arrive in one order (the server update
seen while connected instead closes the old socket and leaves the state waiting), then sends
op 7 RESUME and waits for a SESSION_DESCRIPTION that a RESUMED session never sends: the resume
times out and the bot leaves the call. Discord's voice docs describe a resume as only this: a
new websocket, op 7 RESUME {server_id, session_id, token, seq_ack}, op 9 RESUMED, the missed
messages replayed; UDP, keys and the DAVE group carry on. `install()` makes `_connect(resume=True)`
do exactly that (bounded by the connection's timeout); when the server refuses the resume (it
closes the socket, e.g. 4006) or it times out, it falls back to discord.py's full reconnect, as
the docs ask (first waking discord.py's socket reader from the old UDP socket, see
`_wake_socket_reader`). Found with the local Discord stand-in (tests/e2e/test_connection_lifecycle_e2e.py).

3. Voice clients across a new gateway session. After gateway op 9 INVALID_SESSION the client
identifies again, and discord.py's READY handler clears its state, voice clients included, while
the voice connections themselves (their own websockets and UDP) go on. A round's voice client is
then unknown to discord.py: the bot's own leave confirmation (VOICE_STATE_UPDATE) is never routed
to it, so leaving waits out its timeout, and shutdown cannot find it to disconnect it (the bot
hung 8 s at Ctrl-C, in the e2e test). `install()` keeps the voice clients that are still
connected when READY clears the state.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from typing import Any

from discord.errors import ConnectionClosed
from discord.gateway import DiscordVoiceWebSocket
from discord.state import ConnectionState
from discord.voice_state import ConnectionFlowState, VoiceConnectionState

log = logging.getLogger(__name__)

DISCOVERY_TIMEOUT_S = 10.0
ORIGINAL_DISCOVER_IP = DiscordVoiceWebSocket.discover_ip  # kept for tests and comparison
ORIGINAL_CONNECT = VoiceConnectionState._connect
ORIGINAL_RECEIVED_MESSAGE = DiscordVoiceWebSocket.received_message
ORIGINAL_CLEAR = ConnectionState.clear
RESUMED_OP = 9
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


async def received_message(self: DiscordVoiceWebSocket, msg: dict[str, Any]) -> None:
    """discord.py's handler, plus a mark when op 9 RESUMED arrives (it only logs it)."""
    if msg.get("op") == RESUMED_OP:
        self._parley_resumed = True  # type: ignore[attr-defined]
    await ORIGINAL_RECEIVED_MESSAGE(self, msg)


async def _resume(state: Any) -> None:
    """Op 7 RESUME on a new websocket; returns once op 9 RESUMED arrived (raises ConnectionClosed
    when the server refuses, as it does by closing the socket)."""
    state.ws = await state._connect_websocket(True)
    while not getattr(state.ws, "_parley_resumed", False):
        await state.ws.poll_event()


def _wake_socket_reader(state: Any) -> None:
    """Pause discord.py's socket reader and wake it from its `select` on the old UDP socket.

    A full reconnect closes that socket and makes a new one; closing does not wake a `select`
    blocked on it in the reader thread (it waits out its 30 s timeout), so the new socket goes
    unread and IP discovery times out. Shutting the (connected) socket down does wake it."""
    state._socket_reader.pause()
    sock = getattr(state, "socket", None)
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # not connected yet, or already closed: nothing to wake


async def connect(self: VoiceConnectionState, reconnect: bool, timeout: float, self_deaf: bool,
                  self_mute: bool, resume: bool) -> None:
    """`VoiceConnectionState._connect` with a real resume (see the module docstring, fix 2)."""
    if not resume:
        await ORIGINAL_CONNECT(self, reconnect, timeout, self_deaf, self_mute, resume)
        return
    try:
        await asyncio.wait_for(_resume(self), timeout)
    except (ConnectionClosed, TimeoutError) as e:
        code = getattr(e, "code", None)
        log.info("voice resume refused (%s); connecting to voice again from scratch",
                 f"close code {code}" if code is not None else "timed out")
        _wake_socket_reader(self)
        await self.disconnect(cleanup=False)
        await ORIGINAL_CONNECT(self, reconnect, timeout, self_deaf, self_mute, False)
        return
    self.state = ConnectionFlowState.connected
    log.info("voice session resumed (op 7 → op 9) in guild %s", getattr(self.guild, "id", "?"))


def clear(self: ConnectionState, *, views: bool = True) -> None:
    """discord.py's state reset; on READY (``views=False``) the connected voice clients stay."""
    kept: dict[int, Any] = {}
    if not views:
        for guild_id, vc in (getattr(self, "_voice_clients", None) or {}).items():
            is_connected = getattr(vc, "is_connected", None)
            if is_connected is not None and is_connected():
                kept[guild_id] = vc
    ORIGINAL_CLEAR(self, views=views)
    if kept:
        log.info("new gateway session: keeping %d live voice connection(s)", len(kept))
        self._voice_clients.update(kept)


def install() -> None:
    """Use the fixed `discover_ip` and the real voice resume for every voice connection of this
    process (idempotent)."""
    global _installed
    if _installed:
        return
    DiscordVoiceWebSocket.discover_ip = discover_ip  # type: ignore[method-assign]
    DiscordVoiceWebSocket.received_message = received_message  # type: ignore[method-assign]
    VoiceConnectionState._connect = connect  # type: ignore[method-assign]
    ConnectionState.clear = clear  # type: ignore[method-assign]
    _installed = True
