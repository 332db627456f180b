"""Discord Gateway v10 over a websocket: the bot's event stream.

HELLO → (IDENTIFY → READY, GUILD_CREATE) | (RESUME → RESUMED); heartbeats get ACKs;
op 4 Voice State Update gets VOICE_STATE_UPDATE + VOICE_SERVER_UPDATE; the test drives
INTERACTION_CREATE (slash commands, button clicks). ``compress=zlib-stream`` transport
compression is honoured as Discord does it (one zlib context per connection, each
message ending with a Z_SYNC_FLUSH).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import zlib
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .world import EVERYONE_PERMISSIONS, User, iso_now, snowflake

if TYPE_CHECKING:
    from . import DiscordStandIn
    from .rest import StoredMessage

log = logging.getLogger("standin.gateway")

HEARTBEAT_INTERVAL_MS = 41250

# Gateway intents (Discord docs, "Gateway Intents")
GUILD_MESSAGES = 1 << 9
MESSAGE_CONTENT = 1 << 15  # privileged: enabled per application in the developer portal
IS_VOICE_MESSAGE = 1 << 13  # message flag


class GatewayConnection:
    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.seq = 0
        self.session_id: str | None = None
        self.identified = asyncio.Event()
        self.intents = 0
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._lock = asyncio.Lock()
        self.on_sent: Any = None  # callback(event, seq) after a dispatch was written

    async def send(self, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload)
        async with self._lock:
            if self.ws.closed:
                return
            if self._zlib is not None:
                data = self._zlib.compress(raw.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(raw)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self.seq += 1
        await self.send({"op": 0, "t": event, "s": self.seq, "d": data})
        if self.on_sent is not None:
            self.on_sent(event, self.seq)


VOICE_REPLY_LATENCY_S = 0.05  # a short round trip to Discord's gateway


class Gateway:
    def __init__(self, standin: DiscordStandIn) -> None:
        self.s = standin
        self.conn: GatewayConnection | None = None
        self.sessions: dict[str, tuple[int, int]] = {}  # session_id -> (last seq, intents), for RESUME
        self.invalidated: set[str] = set()  # sessions ended by INVALID_SESSION (d: false)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/gateway", self.handle)
        app.router.add_get("/gateway/", self.handle)

    # --- connection -------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        version = request.query.get("v")
        if version not in ("10", None):
            await ws.close(code=4012, message=b"Invalid API version")
            return ws
        conn = GatewayConnection(ws, request.query.get("compress"))
        conn.on_sent = lambda event, seq: self.s.events.add("dispatched", {"t": event, "s": seq})
        self.s.events.add("gateway_connect", dict(request.query))
        await conn.send({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._receive(conn, json.loads(msg.data))
                elif msg.type is WSMsgType.ERROR:
                    break
        finally:
            if self.conn is conn:
                self.conn = None
            if conn.session_id and conn.session_id not in self.invalidated:
                self.sessions[conn.session_id] = (conn.seq, conn.intents)
            self.s.events.add("gateway_disconnect", {"code": ws.close_code})
        return ws

    async def _receive(self, conn: GatewayConnection, msg: dict[str, Any]) -> None:
        op, d = msg.get("op"), msg.get("d")
        if op == 1:  # HEARTBEAT
            self.s.events.add("gateway_heartbeat", d)
            await conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:  # IDENTIFY
            await self._identify(conn, d)
        elif op == 6:  # RESUME
            await self._resume(conn, d)
        elif op == 4:  # VOICE_STATE_UPDATE
            await self._voice_state(conn, d)
        elif op == 3:  # PRESENCE_UPDATE
            self.s.events.add("presence_update", d)
        elif op == 8:  # REQUEST_GUILD_MEMBERS
            await self._request_members(conn, d)
        else:
            self.s.events.add("gateway_unknown_op", msg)
            await conn.ws.close(code=4001, message=b"Unknown opcode")

    async def _identify(self, conn: GatewayConnection, d: dict[str, Any]) -> None:
        if d.get("token") != self.s.world.token:
            await conn.ws.close(code=4004, message=b"Authentication failed")
            return
        if d.get("intents") is None:
            await conn.ws.close(code=4013, message=b"Invalid intent(s)")
            return
        if int(d["intents"]) & MESSAGE_CONTENT and not self.s.world.message_content_enabled:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s)")
            return
        conn.intents = int(d["intents"])
        conn.session_id = secrets.token_hex(16)
        self.conn = conn
        self.s.events.add("identify", d)
        world = self.s.world
        ready = {
            "v": 10,
            "user": world.bot.payload() | {"verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(world.guild_id), "unavailable": True}],
            "session_id": conn.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.s.gateway_url,
            "application": {"id": str(world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": ["stand-in"],
            "_trace": ["stand-in"],
        }
        if d.get("shard"):
            ready["shard"] = d["shard"]
        await conn.dispatch("READY", ready)
        await conn.dispatch("GUILD_CREATE", world.guild_create_payload())
        conn.identified.set()
        self.s.events.add("ready_sent", {"session_id": conn.session_id})

    async def _resume(self, conn: GatewayConnection, d: dict[str, Any]) -> None:
        sid = d.get("session_id")
        if d.get("token") != self.s.world.token:
            await conn.ws.close(code=4004, message=b"Authentication failed")
            return
        if sid not in self.sessions:
            await conn.send({"op": 9, "d": False, "s": None, "t": None})  # INVALID_SESSION
            return
        conn.session_id = sid
        conn.seq, conn.intents = self.sessions.pop(sid)
        self.conn = conn
        self.s.events.add("resume", d)
        await conn.dispatch("RESUMED", {"_trace": ["stand-in"]})
        conn.identified.set()

    async def _request_members(self, conn: GatewayConnection, d: dict[str, Any]) -> None:
        world = self.s.world
        users = [world.bot, *world.members]
        if d.get("user_ids"):
            wanted = {int(u) for u in d["user_ids"]}
            users = [u for u in users if u.id in wanted]
        await conn.dispatch("GUILD_MEMBERS_CHUNK", {
            "guild_id": str(world.guild_id), "members": [world.member_payload(u) for u in users],
            "chunk_index": 0, "chunk_count": 1, "nonce": d.get("nonce"),
        })

    async def _voice_state(self, conn: GatewayConnection, d: dict[str, Any]) -> None:
        """The bot joins, moves or leaves a voice channel (Discord answers with two events)."""
        world = self.s.world
        self.s.events.add("voice_state_request", d)
        if str(d.get("guild_id")) != str(world.guild_id):
            return
        channel_id = d.get("channel_id")
        if channel_id is not None and str(channel_id) != str(world.voice_channel_id):
            return  # only one voice channel exists here
        assert conn.session_id is not None
        if channel_id is None:
            world.in_voice.pop(world.bot.id, None)
        else:
            world.in_voice[world.bot.id] = conn.session_id
        state = world.voice_state_payload(world.bot.id, conn.session_id,
                                          None if channel_id is None else world.voice_channel_id,
                                          with_guild=True)
        state["self_mute"] = bool(d.get("self_mute"))
        state["self_deaf"] = bool(d.get("self_deaf"))
        # Discord's answer takes a network round trip; one within microseconds is processed before
        # discord.py 2.7.1 marks its own request as sent, and it then ignores both events and times
        # out (a client race no real network exposes). Simulated latency, not synchronisation.
        await asyncio.sleep(VOICE_REPLY_LATENCY_S)
        await conn.dispatch("VOICE_STATE_UPDATE", state)
        if channel_id is None:
            self.s.voice.forget(world.bot.id)
            return
        token = secrets.token_hex(8)
        self.s.voice.expect(world.bot.id, conn.session_id, token)
        await conn.dispatch("VOICE_SERVER_UPDATE", {
            "token": token, "guild_id": str(world.guild_id), "endpoint": self.s.voice.endpoint,
        })

    # --- driven by the test -----------------------------------------------------------
    async def request_reconnect(self) -> None:
        """Gateway op 7 RECONNECT (Discord asks the client to reconnect and resume), mid-session."""
        conn = self.conn
        if conn is None:
            raise RuntimeError("the bot is not connected")
        self.s.events.add("gateway_reconnect_requested", {"session_id": conn.session_id})
        await conn.send({"op": 7, "d": None, "s": None, "t": None})

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """Gateway op 9 INVALID_SESSION on the live connection, as Discord sends it mid-session.
        With ``d: false`` the session is gone: a RESUME is refused (op 9 again) and the client must
        IDENTIFY anew (waiting 1-5 s first, as the docs ask). The old session's voice state goes with
        it on Discord too, but the voice server connection is separate and is not closed here."""
        conn = self.conn
        if conn is None or conn.session_id is None:
            raise RuntimeError("the bot is not connected")
        if not resumable:
            self.invalidated.add(conn.session_id)
        self.s.events.add("gateway_invalid_session_sent", {"session_id": conn.session_id,
                                                            "resumable": resumable})
        await conn.send({"op": 9, "d": resumable, "s": None, "t": None})

    async def member_message(self, user: User, channel_id: int, *, content: str = "",
                             attachments: list[dict[str, Any]] | None = None, flags: int = 0) -> StoredMessage:
        """`user` posts a message in a guild channel or thread: stored, and dispatched to the bot as
        MESSAGE_CREATE only with the GUILD_MESSAGES intent; without MESSAGE_CONTENT (privileged) its
        content, embeds, attachments and components arrive empty, as Discord sends them."""
        from .rest import StoredMessage

        world = self.s.world
        if not self.s.rest._channel_ok(str(channel_id)):
            raise AssertionError(f"no channel {channel_id}")
        mid = snowflake()
        payload: dict[str, Any] = {
            "id": str(mid), "channel_id": str(channel_id), "guild_id": str(world.guild_id),
            "author": user.payload(), "member": world.member_payload(user, with_user=False),
            "content": content, "timestamp": iso_now(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [],
            "attachments": list(attachments or []), "embeds": [], "pinned": False, "type": 0,
            "flags": flags, "components": [], "nonce": str(mid),
        }
        stored = StoredMessage(payload)
        self.s.rest.messages[mid] = stored
        self.s.events.add("member_message", stored)
        conn = self.conn
        if conn is None:
            raise RuntimeError("no gateway connection: the bot is not connected")
        if conn.intents & GUILD_MESSAGES:
            sent = dict(payload)
            if not conn.intents & MESSAGE_CONTENT:
                sent.update(content="", embeds=[], attachments=[], components=[])
            await self.dispatch("MESSAGE_CREATE", sent)
        return stored

    async def move_voice_server(self) -> None:
        """VOICE_SERVER_UPDATE in the middle of a call (Discord moved it to another voice server):
        a new token for the voice gateway; the client closes its voice websocket and identifies
        again (new SSRC, new secret key, a new place in the MLS group)."""
        world = self.s.world
        conn = self.conn
        if conn is None or conn.session_id is None:
            raise RuntimeError("the bot is not connected")
        token = secrets.token_hex(8)
        self.s.voice.expect(world.bot.id, conn.session_id, token)
        self.s.events.add("voice_server_move", {"token": token})
        await conn.dispatch("VOICE_SERVER_UPDATE", {
            "token": token, "guild_id": str(world.guild_id), "endpoint": self.s.voice.endpoint,
        })

    async def wait_online(self, timeout: float) -> None:
        """The bot identified and got READY and GUILD_CREATE (it shows as online)."""
        await self.s.events.wait_for("ready_sent", timeout=timeout, what="the bot's IDENTIFY (READY sent)")

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event the test makes happen; never before READY and GUILD_CREATE (as Discord)."""
        if self.conn is None:
            raise RuntimeError("no gateway connection: the bot is not connected")
        await asyncio.wait_for(self.conn.identified.wait(), 30.0)
        await self.conn.dispatch(event, data)

    def _interaction_base(self, user: User, itype: int) -> tuple[dict[str, Any], dict[str, Any]]:
        world = self.s.world
        iid = snowflake()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        record = {"id": iid, "token": token, "type": itype, "user_id": user.id,
                  "channel_id": world.text_channel_id, "created": time.monotonic()}
        self.s.interactions[token] = record
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(world.application_id),
            "type": itype,
            "guild_id": str(world.guild_id),
            "guild": {"id": str(world.guild_id), "features": [], "locale": "en-US"},
            "channel_id": str(world.text_channel_id),
            "channel": world.text_channel_payload(),
            "member": world.interaction_member_payload(user),
            "token": token,
            "version": 1,
            "app_permissions": str(EVERYONE_PERMISSIONS),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(world.guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        return payload, record

    async def slash_command(self, user: User, name: str, subcommand: str | None = None,
                            options: dict[str, Any] | None = None, *,
                            channels: dict[str, int] | None = None) -> dict[str, Any]:
        """Send INTERACTION_CREATE type 2 for `/name [subcommand] options…`; returns the record.
        `channels` are channel options (type 7): the value is the id and the channel goes in
        ``data.resolved.channels`` with the invoker's permissions there, as Discord sends it."""
        cmd = self.s.rest.command(name)
        opts = [{"name": k, "type": _option_type(v), "value": v} for k, v in (options or {}).items()]
        resolved: dict[str, Any] = {}
        for k, cid in (channels or {}).items():
            opts.append({"name": k, "type": 7, "value": str(cid)})
            ch = self.s.world.channel_payload(cid)
            resolved.setdefault("channels", {})[str(cid)] = {
                "id": str(cid), "name": ch["name"], "type": ch["type"], "parent_id": ch.get("parent_id"),
                "permissions": str(EVERYONE_PERMISSIONS), "nsfw": False, "flags": 0,
                "rate_limit_per_user": 0, "last_message_id": None, "position": ch["position"], "topic": None,
                "guild_id": str(self.s.world.guild_id)}
        if subcommand is not None:
            opts = [{"name": subcommand, "type": 1, "options": opts}]
        payload, record = self._interaction_base(user, 2)
        payload["data"] = {"id": cmd["id"], "name": name, "type": 1, "options": opts,
                           "guild_id": cmd.get("guild_id")}
        if resolved:
            payload["data"]["resolved"] = resolved
        if payload["data"]["guild_id"] is None:
            del payload["data"]["guild_id"]
        self.s.events.add("interaction_sent", record)
        await self.dispatch("INTERACTION_CREATE", payload)
        return record

    async def autocomplete(self, user: User, name: str, subcommand: str | None, focused: str,
                           typed: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send INTERACTION_CREATE type 4 (APPLICATION_COMMAND_AUTOCOMPLETE): `user` is typing
        `typed` into the option `focused` of `/name [subcommand]`; answered with response type 8."""
        cmd = self.s.rest.command(name)
        opts = [{"name": k, "type": _option_type(v), "value": v} for k, v in (options or {}).items()]
        opts.append({"name": focused, "type": 3, "value": typed, "focused": True})
        if subcommand is not None:
            opts = [{"name": subcommand, "type": 1, "options": opts}]
        payload, record = self._interaction_base(user, 4)
        payload["data"] = {"id": cmd["id"], "name": name, "type": 1, "options": opts}
        self.s.events.add("interaction_sent", record)
        await self.dispatch("INTERACTION_CREATE", payload)
        return record

    async def click(self, user: User, message: StoredMessage, custom_id: str) -> dict[str, Any]:
        """Send INTERACTION_CREATE type 3: `user` presses the button `custom_id` on `message`."""
        button = next((b for b in message.buttons() if b.get("custom_id") == custom_id), None)
        if button is None:
            raise AssertionError(f"message {message.id} has no button {custom_id!r}")
        if button.get("disabled"):
            raise AssertionError(f"button {custom_id!r} is disabled")
        payload, record = self._interaction_base(user, 3)
        record["message_id"] = message.id
        payload["message"] = message.payload
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        self.s.events.add("interaction_sent", record)
        await self.dispatch("INTERACTION_CREATE", payload)
        return record

    async def submit_modal(self, user: User, modal: dict[str, Any],
                           values: dict[str, str | list[str]]) -> dict[str, Any]:
        """Send INTERACTION_CREATE type 5 (MODAL_SUBMIT): `user` fills the modal the bot answered
        with (response type 9; `modal` is that response's data) and presses Submit. `values` maps
        a text input's custom_id to what was typed, and a select's custom_id to the option value(s)
        picked (a str or a list of them). The components echo the modal's layout as Discord sends
        them: an action row or a label (type 18) around each text input, a label around each
        select (``{"type": 18, "component": {"type": 3, "custom_id": …, "values": […]}}``).

        Like Discord's client, it refuses (AssertionError) what a person could not submit: a
        modal never shown to `user`, a pick that is not one of the select's options or breaks its
        min/max, a required select left empty, or a value for no component of the modal."""
        shown = self.s.rest.modals.get(modal.get("custom_id", ""))
        if shown is None or shown["user_id"] != user.id:
            raise AssertionError(f"modal {modal.get('custom_id')!r} was not shown to {user.username}")
        used: set[str] = set()

        def picked(select: dict[str, Any]) -> list[str]:
            cid = select["custom_id"]
            raw = values.get(cid, [])
            chosen = [raw] if isinstance(raw, str) else list(raw)
            allowed = {o.get("value") for o in select.get("options") or []}
            lo, hi = select.get("min_values", 1), select.get("max_values", 1)
            if not chosen and select.get("required", True) and lo > 0:
                raise AssertionError(f"select {cid!r} is required: Discord's Submit stays disabled")
            if chosen and (not set(chosen) <= allowed or not lo <= len(chosen) <= hi):
                raise AssertionError(f"values {chosen} not allowed by select {cid!r}")
            return chosen

        def answered(component: dict[str, Any]) -> dict[str, Any]:
            kind = component.get("type")
            if kind == 4:  # TEXT_INPUT
                used.add(component["custom_id"])
                text = values.get(component["custom_id"], "")
                return {"type": 4, "custom_id": component["custom_id"],
                        "value": text if isinstance(text, str) else "".join(text)}
            if kind == 3:  # STRING_SELECT
                used.add(component["custom_id"])
                return {"type": 3, "custom_id": component["custom_id"], "values": picked(component)}
            if kind == 18:  # LABEL
                return {"type": 18, "component": answered(component["component"])}
            return {"type": kind, "components": [answered(c) for c in component.get("components", [])]}
        components = [answered(c) for c in modal.get("components", [])]
        unknown = set(values) - used
        if unknown:
            raise AssertionError(f"modal {modal['custom_id']!r} has no component {sorted(unknown)}")
        payload, record = self._interaction_base(user, 5)
        payload["data"] = {"custom_id": modal["custom_id"], "components": components}
        self.s.events.add("interaction_sent", record)
        await self.dispatch("INTERACTION_CREATE", payload)
        return record

    async def select(self, user: User, message: StoredMessage, custom_id: str, values: list[str]) -> dict[str, Any]:
        """Send INTERACTION_CREATE type 3: `user` picks `values` in the string select `custom_id`."""
        found: list[dict[str, Any]] = []

        def walk(components: list[dict[str, Any]]) -> None:
            for c in components or []:
                if c.get("type") == 3 and c.get("custom_id") == custom_id:
                    found.append(c)
                walk(c.get("components") or [])

        walk(message.payload.get("components") or [])
        if not found:
            raise AssertionError(f"message {message.id} has no select {custom_id!r}")
        allowed = {o.get("value") for o in found[0].get("options") or []}
        if not set(values) <= allowed or not (found[0].get("min_values", 1) <= len(values) <= found[0].get("max_values", 1)):
            raise AssertionError(f"values {values} not allowed by select {custom_id!r}")
        payload, record = self._interaction_base(user, 3)
        record["message_id"] = message.id
        payload["message"] = message.payload
        payload["data"] = {"custom_id": custom_id, "component_type": 3, "values": values}
        self.s.events.add("interaction_sent", record)
        await self.dispatch("INTERACTION_CREATE", payload)
        return record

    async def member_voice_state(self, user: User, joined: bool) -> None:
        """A member joins or leaves the voice channel (VOICE_STATE_UPDATE to the bot)."""
        world = self.s.world
        if joined:
            sid = world.in_voice.setdefault(user.id, secrets.token_hex(16))
        else:
            sid = world.in_voice.pop(user.id, secrets.token_hex(16))
        await self.dispatch("VOICE_STATE_UPDATE", world.voice_state_payload(
            user.id, sid, world.voice_channel_id if joined else None, with_guild=True))
        await self.s.voice.member_moved(user, joined)


def _option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3
