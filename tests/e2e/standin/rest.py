"""Discord's HTTP API (v10), the part a bot uses: login, commands, interactions, messages.

Every request is logged as an event ("request"); anything unknown gets Discord's 404
JSON error and an "unhandled_request" event, so a test can see what the stand-in lacks.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .world import iso_now, snowflake

if TYPE_CHECKING:
    from . import DiscordStandIn

log = logging.getLogger("standin.rest")

HAS_THREAD = 1 << 5
EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass
class Attachment:
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class StoredMessage:
    payload: dict[str, Any]
    files: list[Attachment] = field(default_factory=list)
    interaction_token: str | None = None

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def content(self) -> str:
        return self.payload.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.payload.get("embeds") or []

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.payload.get("flags") or 0) & EPHEMERAL)

    def buttons(self) -> list[dict[str, Any]]:
        """Every button in the message's action rows (type 2 components)."""
        out: list[dict[str, Any]] = []

        def walk(components: list[dict[str, Any]]) -> None:
            for c in components or []:
                if c.get("type") == 2:
                    out.append(c)
                walk(c.get("components") or [])

        walk(self.payload.get("components") or [])
        return out

    def text(self) -> str:
        """Content, embed titles, descriptions, fields and footers, and text attachments, joined."""
        parts = [self.content]
        for e in self.embeds:
            parts += [e.get("title") or "", e.get("description") or ""]
            for f in e.get("fields") or []:
                parts += [f.get("name") or "", f.get("value") or ""]
            parts.append((e.get("footer") or {}).get("text") or "")
        for a in self.files:
            if a.filename.endswith((".txt", ".md", ".json")):
                parts.append(a.data.decode("utf-8", "replace"))
        return "\n".join(p for p in parts if p)


# Events raised while a request is handled wait until its response has been written, so a
# test that reacts to "the bot posted X" acts after the bot could have seen the reply (as a
# person would), not while the response is still on its way.
_pending: contextvars.ContextVar[list[tuple[str, Any]] | None] = contextvars.ContextVar("pending", default=None)

INTERACTION_ACK_DEADLINE_S = 3.0  # Discord: the initial response must come within 3 seconds


# A modal (interaction response type 9), as Discord validates it (docs, "Interaction Response
# Object > Modal", "Component Reference"): limits that a bot can break, each answered with 400.
MODAL_TITLE_MAX = 45
MODAL_COMPONENTS = (1, 5)
CUSTOM_ID_MAX = 100
LABEL_TEXT_MAX = 45
LABEL_DESCRIPTION_MAX = 100
LABEL_CHILDREN = {3, 4, 5, 6, 7, 8, 19}  # string / user / role / mentionable / channel select, text input, file upload


def modal_problem(data: dict[str, Any]) -> str | None:
    """Why Discord would refuse this modal (the field, as its "Invalid Form Body" names it), or
    None when it is valid."""
    title = data.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= MODAL_TITLE_MAX:
        return "title"
    cid = data.get("custom_id")
    if not isinstance(cid, str) or not 1 <= len(cid) <= CUSTOM_ID_MAX:
        return "custom_id"
    components = data.get("components")
    if not isinstance(components, list) or not MODAL_COMPONENTS[0] <= len(components) <= MODAL_COMPONENTS[1]:
        return "components"
    for n, c in enumerate(components):
        where = f"components.{n}"
        kind = c.get("type") if isinstance(c, dict) else None
        if kind == 18:  # LABEL
            text, desc, child = c.get("label"), c.get("description"), c.get("component")
            if not isinstance(text, str) or not 1 <= len(text) <= LABEL_TEXT_MAX:
                return f"{where}.label"
            if desc is not None and (not isinstance(desc, str) or len(desc) > LABEL_DESCRIPTION_MAX):
                return f"{where}.description"
            if not isinstance(child, dict) or child.get("type") not in LABEL_CHILDREN:
                return f"{where}.component"
            problem = _interactive_problem(child)
            if problem:
                return f"{where}.component.{problem}"
        elif kind == 1:  # ACTION_ROW (deprecated in modals): exactly one text input
            row = c.get("components")
            if not isinstance(row, list) or len(row) != 1 or not isinstance(row[0], dict) or row[0].get("type") != 4:
                return f"{where}.components"
            problem = _interactive_problem(row[0])
            if problem:
                return f"{where}.components.0.{problem}"
        elif kind != 10:  # TEXT_DISPLAY
            return f"{where}.type"
    return None


def _interactive_problem(c: dict[str, Any]) -> str | None:
    cid = c.get("custom_id")
    if not isinstance(cid, str) or not 1 <= len(cid) <= CUSTOM_ID_MAX:
        return "custom_id"
    if c.get("type") == 3:
        options = c.get("options")
        if not isinstance(options, list) or not 1 <= len(options) <= 25:
            return "options"
        lo, hi = c.get("min_values", 1), c.get("max_values", 1)
        if not 0 <= lo <= hi <= min(25, len(options)):
            return "max_values"
    return None


def _json(data: Any, status: int = 200) -> web.Response:
    """JSON the way Discord sends it: content-type exactly ``application/json`` (no charset)."""
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")


class RestApi:
    def __init__(self, standin: DiscordStandIn) -> None:
        self.s = standin
        self.messages: dict[int, StoredMessage] = {}
        self.commands: dict[int, dict[str, Any]] = {}  # id -> command (global and guild)
        self.ack_deadline_s = INTERACTION_ACK_DEADLINE_S
        self.threads: dict[int, dict[str, Any]] = {}  # thread channel id -> channel object
        self.cdn: dict[int, Attachment] = {}  # attachment id -> what members uploaded
        self.modals: dict[str, dict[str, Any]] = {}  # modal custom_id -> {"user_id", "data"}: modals shown
        # (method, path regex, how many more to refuse, retry_after seconds): see rate_limit()
        self._limits: list[list[Any]] = []

    def rate_limit(self, method: str, path_pattern: str, times: int, retry_after: float = 0.5) -> None:
        """Answer the next `times` matching requests with 429 and a `retry_after`, as Discord does
        when a route's bucket is exhausted (the client must wait and retry)."""
        self._limits.append([method.upper(), re.compile(path_pattern), times, retry_after])

    def _limited(self, request: web.Request) -> web.Response | None:
        for rule in self._limits:
            method, pattern, left, retry_after = rule
            if left > 0 and request.method == method and pattern.search(request.path):
                rule[2] -= 1
                self.s.events.add("rate_limited", {"method": request.method, "path": request.path,
                                                   "retry_after": retry_after})
                headers = {"Retry-After": str(max(1, int(retry_after + 0.999))),
                           "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                           "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                           "X-RateLimit-Bucket": "standin-" + pattern.pattern.replace("/", "_"),
                           "X-RateLimit-Scope": "user",
                           "Via": "1.1 google"}  # Discord's API answers through Google's front end
                body = {"message": "You are being rate limited.", "retry_after": retry_after,
                        "global": False, "code": 0}
                return web.Response(body=json.dumps(body).encode(), status=429, headers=headers,
                                    content_type="application/json")
        return None

    # --- wiring -----------------------------------------------------------------------
    def emit(self, kind: str, data: Any) -> None:
        pending = _pending.get()
        if pending is None:
            self.s.events.add(kind, data)
        else:
            pending.append((kind, data))

    @web.middleware
    async def middleware(self, request: web.Request, handler):
        limited = self._limited(request)
        if limited is not None:
            return limited
        token = _pending.set([])
        try:
            resp = await handler(request)
            pending = _pending.get() or []
            if pending and isinstance(resp, web.Response) and not resp.prepared:
                await resp.prepare(request)
                await resp.write_eof()
            for kind, data in pending:
                self.s.events.add(kind, data)
            return resp
        finally:
            _pending.reset(token)

    def add_routes(self, app: web.Application, prefix: str = "/api/v10") -> None:
        r = app.router
        p = prefix
        r.add_get(p + "/gateway/bot", self.gateway_bot)
        r.add_get(p + "/gateway", self.gateway)
        r.add_get(p + "/users/@me", self.users_me)
        r.add_get(p + "/oauth2/applications/@me", self.application)
        r.add_get(p + "/applications/@me", self.application)
        r.add_put(p + "/applications/{app}/commands", self.put_commands)
        r.add_get(p + "/applications/{app}/commands", self.get_commands)
        r.add_put(p + "/applications/{app}/guilds/{guild}/commands", self.put_commands)
        r.add_get(p + "/applications/{app}/guilds/{guild}/commands", self.get_commands)
        r.add_post(p + "/interactions/{iid}/{token}/callback", self.interaction_callback)
        r.add_post(p + "/webhooks/{app}/{token}", self.followup)
        r.add_get(p + "/webhooks/{app}/{token}/messages/{mid}", self.webhook_get)
        r.add_patch(p + "/webhooks/{app}/{token}/messages/{mid}", self.webhook_edit)
        r.add_delete(p + "/webhooks/{app}/{token}/messages/{mid}", self.webhook_delete)
        r.add_get(p + "/channels/{cid}", self.get_channel)
        r.add_post(p + "/channels/{cid}/messages", self.channel_send)
        r.add_get(p + "/channels/{cid}/messages/{mid}", self.channel_get)
        r.add_patch(p + "/channels/{cid}/messages/{mid}", self.channel_edit)
        r.add_delete(p + "/channels/{cid}/messages/{mid}", self.channel_delete)
        r.add_post(p + "/channels/{cid}/typing", self.typing)
        r.add_post(p + "/channels/{cid}/messages/{mid}/threads", self.start_thread_from_message)
        # the CDN (cdn.discordapp.com on Discord): attachment URLs, fetched without a token
        app.router.add_get("/attachments/{cid}/{aid}/{filename}", self.cdn_get)
        r.add_route("*", p + "/{tail:.*}", self.unhandled)

    # --- helpers ----------------------------------------------------------------------
    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.s.world.token}"

    @staticmethod
    def _error(status: int, message: str, code: int = 0) -> web.Response:
        return _json({"message": message, "code": code}, status=status)

    async def _body(self, request: web.Request) -> tuple[dict[str, Any], list[Attachment]]:
        """JSON body, or multipart with payload_json and files[n] (how Discord takes uploads)."""
        if request.content_type.startswith("multipart/"):
            payload: dict[str, Any] = {}
            files: list[Attachment] = []
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                elif part.filename:
                    files.append(Attachment(part.filename, bytes(await part.read()),
                                            part.headers.get("Content-Type")))
            return payload, files
        if request.can_read_body:
            raw = await request.read()
            return (json.loads(raw) if raw else {}), []
        return {}, []

    def _log(self, request: web.Request, body: Any = None) -> None:
        self.s.events.add("request", {"method": request.method, "path": request.path, "body": body})

    def _attachments(self, payload: dict[str, Any], files: list[Attachment],
                     existing: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        out = []
        kept_ids = {str(a.get("id")) for a in payload.get("attachments") or []}
        for a in existing or []:
            if "attachments" not in payload or a["id"] in kept_ids:
                out.append(a)
        for f in files:
            aid = str(snowflake())
            url = f"{self.s.api_root}/attachments/{aid}/{f.filename}"
            out.append({"id": aid, "filename": f.filename, "size": len(f.data), "url": url,
                        "proxy_url": url, "content_type": f.content_type})
        return out

    def _new_message(self, channel_id: int, payload: dict[str, Any], files: list[Attachment], *,
                     interaction: dict[str, Any] | None = None, flags: int = 0) -> StoredMessage:
        mid = snowflake()
        msg: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "guild_id": str(self.s.world.guild_id),
            "author": self.s.world.bot.payload(),
            "content": payload.get("content") or "",
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": bool(payload.get("tts")),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(payload, files),
            "embeds": payload.get("embeds") or [],
            "pinned": False,
            "type": 0,
            "flags": int(payload.get("flags") or 0) | flags,
            "components": payload.get("components") or [],
        }
        ref = payload.get("message_reference")
        if ref and ref.get("message_id") and interaction is None:  # a reply
            msg["type"] = 19
            msg["message_reference"] = {"type": 0, "message_id": str(ref["message_id"]),
                                        "channel_id": str(ref.get("channel_id") or channel_id),
                                        "guild_id": str(self.s.world.guild_id)}
            replied = self.messages.get(int(ref["message_id"]))
            msg["referenced_message"] = replied.payload if replied else None
        if interaction is not None:
            msg["type"] = 20 if interaction["type"] == 2 else 0
            msg["webhook_id"] = str(self.s.world.application_id)
            msg["application_id"] = str(self.s.world.application_id)
            msg["interaction_metadata"] = {
                "id": str(interaction["id"]), "type": interaction["type"],
                "user": self.s.world.user(interaction["user_id"]).payload(),
                "authorizing_integration_owners": {"0": str(self.s.world.guild_id)},
            }
        stored = StoredMessage(msg, list(files), interaction["token"] if interaction else None)
        self.messages[mid] = stored
        self.emit("message_create", stored)
        return stored

    def _edit(self, stored: StoredMessage, payload: dict[str, Any], files: list[Attachment]) -> StoredMessage:
        msg = stored.payload
        for key in ("content", "embeds", "components"):
            if key in payload:
                msg[key] = payload[key] if payload[key] is not None else ([] if key != "content" else "")
        if "flags" in payload and payload["flags"] is not None:
            msg["flags"] = (int(msg.get("flags") or 0) & EPHEMERAL) | int(payload["flags"])
        if "attachments" in payload or files:
            kept = {str(a.get("id")) for a in payload.get("attachments") or []}
            if "attachments" in payload:
                stored.files = [f for f, a in zip(stored.files, msg["attachments"]) if a["id"] in kept]
            msg["attachments"] = self._attachments(payload, files, msg["attachments"])
            stored.files += files
        msg["flags"] = int(msg.get("flags") or 0) & ~LOADING
        msg["edited_timestamp"] = iso_now()
        self.emit("message_update", stored)
        return stored

    # --- login and gateway ------------------------------------------------------------
    async def gateway_bot(self, request: web.Request) -> web.Response:
        self._log(request)
        if not self._authorized(request):
            return self._error(401, "401: Unauthorized")
        return _json({
            "url": self.s.gateway_url, "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000,
                                    "max_concurrency": 1},
        })

    async def gateway(self, request: web.Request) -> web.Response:
        self._log(request)
        return _json({"url": self.s.gateway_url})

    async def users_me(self, request: web.Request) -> web.Response:
        self._log(request)
        if not self._authorized(request):
            return self._error(401, "401: Unauthorized")
        data = self.s.world.bot.payload()
        data.update({"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"})
        return _json(data)

    async def application(self, request: web.Request) -> web.Response:
        self._log(request)
        if not self._authorized(request):
            return self._error(401, "401: Unauthorized")
        return _json(self.s.world.application_payload())

    # --- application commands ---------------------------------------------------------
    async def put_commands(self, request: web.Request) -> web.Response:
        body, _ = await self._body(request)
        self._log(request, body)
        if not self._authorized(request):
            return self._error(401, "401: Unauthorized")
        guild = request.match_info.get("guild")
        for cid in [cid for cid, c in self.commands.items() if c.get("guild_id") == guild]:
            del self.commands[cid]
        out = []
        for cmd in body:
            cid = snowflake()
            full = {
                "id": str(cid), "application_id": str(self.s.world.application_id), "version": str(snowflake()),
                "type": cmd.get("type", 1), "name": cmd["name"], "description": cmd.get("description", ""),
                "options": cmd.get("options") or [], "default_member_permissions": cmd.get("default_member_permissions"),
                "dm_permission": cmd.get("dm_permission", True), "nsfw": cmd.get("nsfw", False),
                "contexts": cmd.get("contexts"), "integration_types": cmd.get("integration_types") or [0],
                "name_localizations": cmd.get("name_localizations"),
                "description_localizations": cmd.get("description_localizations"),
            }
            if guild:
                full["guild_id"] = guild
            self.commands[cid] = full
            out.append(full)
        self.emit("commands_synced", {"guild": guild, "commands": out})
        return _json(out)

    async def get_commands(self, request: web.Request) -> web.Response:
        self._log(request)
        guild = request.match_info.get("guild")
        return _json([c for c in self.commands.values() if c.get("guild_id") == guild])

    def command(self, name: str) -> dict[str, Any]:
        for c in self.commands.values():
            if c["name"] == name:
                return c
        raise KeyError(f"the bot did not register /{name} (registered: {[c['name'] for c in self.commands.values()]})")

    # --- interactions -----------------------------------------------------------------
    async def interaction_callback(self, request: web.Request) -> web.Response:
        body, files = await self._body(request)
        self._log(request, body)
        iid, token = int(request.match_info["iid"]), request.match_info["token"]
        inter = self.s.interactions.get(token)
        if inter is None or inter["id"] != iid:
            return self._error(404, "Unknown interaction", 10062)
        if inter.get("responded"):
            return self._error(400, "Interaction has already been acknowledged.", 40060)
        if time.monotonic() - inter["created"] > self.ack_deadline_s:
            inter["expired"] = True
            self.s.events.add("interaction_expired", inter)
            return self._error(404, "Unknown interaction", 10062)
        rtype = body.get("type")
        data = body.get("data") or {}
        # autocomplete interactions take only type 8 (with at most 25 choices), and only they do
        if (inter["type"] == 4) != (rtype == 8):
            return self._error(400, f"Invalid interaction response type {rtype} for interaction "
                                    f"type {inter['type']}", 50035)
        if rtype == 9:  # MODAL: not as the answer to a modal submit, and only a valid one
            if inter["type"] == 5:
                return self._error(400, "Invalid interaction response type 9 for interaction type 5", 50035)
            problem = modal_problem(data)
            if problem:
                self.emit("modal_refused", {"interaction": inter, "field": problem, "data": data})
                return self._error(400, f"Invalid Form Body ({problem})", 50035)
        if rtype == 8:
            choices = data.get("choices")
            if not isinstance(choices, list) or len(choices) > 25 or not all(
                    isinstance(c, dict) and 1 <= len(str(c.get("name", ""))) <= 100 and "value" in c
                    for c in choices):
                return self._error(400, "Invalid Form Body (choices)", 50035)
        inter["responded"] = True
        resource: dict[str, Any] = {"type": rtype}
        message: StoredMessage | None = None
        if rtype == 4:  # CHANNEL_MESSAGE_WITH_SOURCE
            message = self._new_message(inter["channel_id"], data, files, interaction=inter)
        elif rtype == 5:  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: a "thinking" message
            message = self._new_message(inter["channel_id"], {"flags": data.get("flags")}, [],
                                        interaction=inter, flags=LOADING)
        elif rtype == 7:  # UPDATE_MESSAGE (components)
            message = self.messages.get(inter.get("message_id") or 0)
            if message is not None:
                self._edit(message, data, files)
        elif rtype == 9:  # MODAL: shown to the user; remembered so a submit can be checked against it
            self.modals[data["custom_id"]] = {"user_id": inter["user_id"], "data": data}
        elif rtype in (6, 8, 1):  # DEFERRED_UPDATE_MESSAGE, AUTOCOMPLETE_RESULT, PONG
            pass
        else:
            return self._error(400, f"Invalid interaction response type {rtype}", 50035)
        if message is not None and rtype in (4, 5):
            inter["original_id"] = message.id
        self.emit("interaction_response", {"interaction": inter, "type": rtype, "data": data,
                                                   "message": message})
        reply: dict[str, Any] = {"interaction": {
            "id": str(iid), "type": inter["type"],
            "response_message_id": str(message.id) if message else None,
            "response_message_loading": rtype == 5,
            "response_message_ephemeral": bool(message and message.ephemeral),
        }}
        if message is not None:
            resource["message"] = message.payload
        reply["resource"] = resource
        return _json(reply)

    def _by_token(self, request: web.Request) -> dict[str, Any] | None:
        inter = self.s.interactions.get(request.match_info["token"])
        if inter is None or request.match_info["app"] != str(self.s.world.application_id):
            return None
        return inter

    def _webhook_message(self, inter: dict[str, Any], mid: str) -> StoredMessage | None:
        if mid == "@original":
            # a component interaction's original response is the message the component is on
            return self.messages.get(inter.get("original_id") or inter.get("message_id") or 0)
        found = self.messages.get(int(mid))
        if found is None or found.interaction_token != inter["token"]:
            return None
        return found

    async def followup(self, request: web.Request) -> web.Response:
        body, files = await self._body(request)
        self._log(request, body)
        inter = self._by_token(request)
        if inter is None:
            return self._error(404, "Unknown Webhook", 10015)
        if not inter.get("responded"):
            return self._error(400, "Interaction has not been acknowledged", 40060)
        stored = self._new_message(inter["channel_id"], body, files, interaction=inter)
        return _json(stored.payload)

    async def webhook_get(self, request: web.Request) -> web.Response:
        self._log(request)
        inter = self._by_token(request)
        found = inter and self._webhook_message(inter, request.match_info["mid"])
        if not found:
            return self._error(404, "Unknown Message", 10008)
        return _json(found.payload)

    async def webhook_edit(self, request: web.Request) -> web.Response:
        body, files = await self._body(request)
        self._log(request, body)
        inter = self._by_token(request)
        found = inter and self._webhook_message(inter, request.match_info["mid"])
        if not found:
            return self._error(404, "Unknown Message", 10008)
        return _json(self._edit(found, body, files).payload)

    async def webhook_delete(self, request: web.Request) -> web.Response:
        self._log(request)
        inter = self._by_token(request)
        found = inter and self._webhook_message(inter, request.match_info["mid"])
        if not found:
            return self._error(404, "Unknown Message", 10008)
        del self.messages[found.id]
        self.emit("message_delete", found)
        return web.Response(status=204)

    # --- channels ---------------------------------------------------------------------
    def _channel_ok(self, cid: str) -> bool:
        return (cid in (str(self.s.world.text_channel_id), str(self.s.world.voice_channel_id))
                or (cid.isdigit() and int(cid) in self.threads))

    async def get_channel(self, request: web.Request) -> web.Response:
        self._log(request)
        if not self._channel_ok(request.match_info["cid"]):
            return self._error(404, "Unknown Channel", 10003)
        cid = int(request.match_info["cid"])
        if cid in self.threads:
            return _json(self.threads[cid])
        return _json(self.s.world.channel_payload(cid))

    # --- threads (Discord: "Start Thread from Message") -------------------------------
    async def start_thread_from_message(self, request: web.Request) -> web.Response:
        """POST /channels/{cid}/messages/{mid}/threads: a public thread (type 11) whose id is the
        starter message's id, as Discord makes it; the starter message gets the HAS_THREAD flag and
        a `thread` field, the bot gets THREAD_CREATE (GUILDS intent) with ``newly_created``."""
        body, _ = await self._body(request)
        self._log(request, body)
        if not self._authorized(request):
            return self._error(401, "401: Unauthorized")
        cid = request.match_info["cid"]
        if cid != str(self.s.world.text_channel_id):
            return self._error(404, "Unknown Channel", 10003)
        starter = self._channel_message(request)
        if starter is None:
            return self._error(404, "Unknown Message", 10008)
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            return self._error(400, "Invalid Form Body (name)", 50035)
        if starter.id in self.threads:
            return self._error(400, "A thread has already been created for this message", 160004)
        archive = int(body.get("auto_archive_duration") or 4320)
        if archive not in (60, 1440, 4320, 10080):
            return self._error(400, "Invalid Form Body (auto_archive_duration)", 50035)
        thread = {
            "id": str(starter.id), "type": 11, "guild_id": str(self.s.world.guild_id), "parent_id": cid,
            "owner_id": str(self.s.world.bot.id), "name": name, "last_message_id": None,
            "message_count": 0, "member_count": 1, "total_message_sent": 0, "flags": 0,
            "rate_limit_per_user": int(body.get("rate_limit_per_user") or 0),
            "thread_metadata": {"archived": False, "auto_archive_duration": archive, "locked": False,
                                "archive_timestamp": iso_now(), "create_timestamp": iso_now()},
            "member": {"id": str(starter.id), "user_id": str(self.s.world.bot.id),
                       "join_timestamp": iso_now(), "flags": 0},
        }
        self.threads[starter.id] = thread
        starter.payload["flags"] = int(starter.payload.get("flags") or 0) | HAS_THREAD
        starter.payload["thread"] = thread
        self.emit("thread_create_request", thread)
        asyncio.get_running_loop().create_task(self._announce_thread(thread))
        return _json(thread, status=201)

    async def _announce_thread(self, thread: dict[str, Any]) -> None:
        await self.s.gateway.dispatch("THREAD_CREATE", dict(thread, newly_created=True))
        self.s.events.add("thread_created", thread)

    # --- attachments members post (served like Discord's CDN) -------------------------
    def upload(self, channel_id: int, filename: str, data: bytes, content_type: str,
               **extra: Any) -> dict[str, Any]:
        """Store a file a member attaches; returns the attachment object for their message
        (its ``url`` points at this stand-in's CDN route)."""
        aid = snowflake()
        self.cdn[aid] = Attachment(filename, data, content_type)
        url = (f"{self.s.api_root}/attachments/{channel_id}/{aid}/{filename}"
               f"?ex={int(time.time()) + 86400:x}&is={int(time.time()):x}&hm={aid:x}")
        return {"id": str(aid), "filename": filename, "size": len(data), "url": url, "proxy_url": url,
                "content_type": content_type, **extra}

    async def cdn_get(self, request: web.Request) -> web.Response:
        aid = int(request.match_info["aid"]) if request.match_info["aid"].isdigit() else 0
        found = self.cdn.get(aid)
        if found is None or found.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        self.s.events.add("cdn_download", {"id": aid, "filename": found.filename, "size": len(found.data)})
        return web.Response(body=found.data, content_type=found.content_type or "application/octet-stream")

    async def channel_send(self, request: web.Request) -> web.Response:
        body, files = await self._body(request)
        self._log(request, body)
        if not self._authorized(request):
            return self._error(401, "401: Unauthorized")
        if not self._channel_ok(request.match_info["cid"]):
            return self._error(404, "Unknown Channel", 10003)
        if not (body.get("content") or body.get("embeds") or files or body.get("components")):
            return self._error(400, "Cannot send an empty message", 50006)
        stored = self._new_message(int(request.match_info["cid"]), body, files)
        return _json(stored.payload)

    def _channel_message(self, request: web.Request) -> StoredMessage | None:
        found = self.messages.get(int(request.match_info["mid"]))
        if found is None or found.payload["channel_id"] != request.match_info["cid"]:
            return None
        return found

    async def channel_get(self, request: web.Request) -> web.Response:
        self._log(request)
        found = self._channel_message(request)
        if found is None or found.ephemeral:
            return self._error(404, "Unknown Message", 10008)
        return _json(found.payload)

    async def channel_edit(self, request: web.Request) -> web.Response:
        body, files = await self._body(request)
        self._log(request, body)
        found = self._channel_message(request)
        if found is None or found.ephemeral:
            return self._error(404, "Unknown Message", 10008)
        return _json(self._edit(found, body, files).payload)

    async def channel_delete(self, request: web.Request) -> web.Response:
        self._log(request)
        found = self._channel_message(request)
        if found is None:
            return self._error(404, "Unknown Message", 10008)
        del self.messages[found.id]
        self.emit("message_delete", found)
        return web.Response(status=204)

    async def typing(self, request: web.Request) -> web.Response:
        self._log(request)
        return web.Response(status=204)

    async def unhandled(self, request: web.Request) -> web.Response:
        body = await request.read() if request.can_read_body else b""
        self.s.events.add("unhandled_request", {"method": request.method, "path": request.path,
                                                "body": body[:2000]})
        log.warning("stand-in has no route for %s %s", request.method, request.path)
        return self._error(404, "404: Not Found")
