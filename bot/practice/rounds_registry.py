"""Which rounds are running, with the caps that keep a 2-core host responsive.

One round per server by default (`settings.max_rounds_per_guild`) and a global cap
(`settings.max_rounds_total`): each running round transcribes in real time, so the total is
bounded by CPU. A front end claims a slot *before* joining voice, attaches the round once
built, and releases the slot when the round is over (also on failure).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from bot.config import Settings

log = logging.getLogger(__name__)


@runtime_checkable
class Erasable(Protocol):
    """A running round or group that can forget a member at once (see `RoundsRegistry.erase_member`)."""

    async def erase_member(self, user_id: int) -> bool: ...


# What holds a voice slot: the kind given to `claim`, named in the "busy" replies.
KIND_MOCK = "mock"
KIND_GROUP = "group"


class RoundAlreadyRunning(RuntimeError):
    """This server (or this user) already has a round; the message says so in plain words and
    names what is running (`kind`: "mock" or "group")."""

    def __init__(self, guild_id: int | None, owner_id: int | None, *, same_user: bool = False,
                 kind: str = KIND_MOCK, channel_id: int | None = None) -> None:
        self.guild_id = guild_id
        self.owner_id = owner_id
        self.kind = kind
        self.channel_id = channel_id
        where = f" (in <#{channel_id}>)" if channel_id else ""
        if kind == KIND_GROUP and same_user:
            msg = "You already have a peer group running. End it with /group end first."
        elif kind == KIND_GROUP:
            msg = (f"A peer group is already running in this server{where}. "
                   "Join it with its Join button, or wait for it to end.")
        elif same_user:
            msg = "You already have a mock round running. Finish it or use /mock stop first."
        else:
            msg = ("A mock round is already running in this server. "
                   "Wait for it to finish, or ask its owner to use /mock stop.")
        super().__init__(msg)


class TooBusy(RuntimeError):
    """The global cap is reached; the message suggests trying later."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"Parley is running its maximum of {limit} "
            f"{'mock rounds and peer groups' if limit != 1 else 'mock round or peer group'} right now. "
            "Please try again in a few minutes."
        )


@dataclass(eq=False)
class Claim:
    """A reserved slot. `round` is attached once it exists (any object: a MockRound, a group)."""

    guild_id: int | None
    owner_id: int | None
    channel_id: int | None = None
    round: Any = None
    kind: str = KIND_MOCK  # what holds the slot: KIND_MOCK or KIND_GROUP
    released: bool = field(default=False, repr=False)


class RoundsRegistry:
    """Thread-safe: claims may come from the event loop, lookups from the voice thread."""

    def __init__(self, settings: Settings | None = None, *, max_per_guild: int | None = None,
                 max_total: int | None = None) -> None:
        s = settings or Settings()
        self.max_per_guild = max(1, max_per_guild if max_per_guild is not None else s.max_rounds_per_guild)
        self.max_total = max(1, max_total if max_total is not None else s.max_rounds_total)
        self._claims: list[Claim] = []
        self._erasures: dict[int, int] = {}  # user id -> how many times they erased their data
        self._lock = threading.Lock()

    def claim(self, guild_id: int | None, owner_id: int | None, *, channel_id: int | None = None,
              kind: str = KIND_MOCK) -> Claim:
        """Reserve a slot or raise `RoundAlreadyRunning` / `TooBusy` (per-server check first).
        `kind` says what will hold it, so a refusal can name what is running."""
        with self._lock:
            mine = next((c for c in self._claims if owner_id is not None and c.owner_id == owner_id
                         and c.guild_id == guild_id), None)
            if mine is not None:
                raise RoundAlreadyRunning(guild_id, owner_id, same_user=True, kind=mine.kind,
                                          channel_id=mine.channel_id)
            in_guild = [c for c in self._claims if c.guild_id == guild_id]
            if len(in_guild) >= self.max_per_guild:
                held = in_guild[0]
                raise RoundAlreadyRunning(guild_id, held.owner_id, kind=held.kind, channel_id=held.channel_id)
            if len(self._claims) >= self.max_total:
                raise TooBusy(self.max_total)
            c = Claim(guild_id=guild_id, owner_id=owner_id, channel_id=channel_id, kind=kind)
            self._claims.append(c)
            return c

    def attach(self, claim: Claim, round_: Any) -> None:
        with self._lock:
            claim.round = round_

    def release(self, claim: Claim) -> None:
        """Free the slot (idempotent)."""
        with self._lock:
            if not claim.released:
                claim.released = True
                try:
                    self._claims.remove(claim)
                except ValueError:
                    pass

    def find(self, guild_id: int | None, owner_id: int | None = None) -> Claim | None:
        """The claim in this server (of this owner when given), or None."""
        with self._lock:
            for c in self._claims:
                if c.guild_id == guild_id and (owner_id is None or c.owner_id == owner_id):
                    return c
        return None

    async def erase_member(self, user_id: int) -> int:
        """The member erased their data (/privacy delete): every running round and group forgets
        them now, before their rows are deleted, so nothing still running writes them back.
        Returns how many held something of theirs. One that fails is logged; the others go on."""
        with self._lock:  # counted first: a write in flight elsewhere checks it (`erased_since`)
            self._erasures[user_id] = self._erasures.get(user_id, 0) + 1
        held = 0
        for claim in list(self):
            target = claim.round
            if isinstance(target, Erasable):
                try:
                    held += bool(await target.erase_member(user_id))
                except Exception:
                    log.exception("a running %s could not forget an erased member", claim.kind)
            with self._lock:
                if claim.owner_id == user_id:
                    claim.owner_id = None
        return held

    def erasure_mark(self, user_id: int) -> int:
        """Taken before a write about the member that outlasts a moment (a daily answer being
        scored); `erased_since(user_id, mark)` afterwards says whether they erased their data
        meanwhile, so the writer erases what it wrote instead of bringing them back."""
        with self._lock:
            return self._erasures.get(user_id, 0)

    def erased_since(self, user_id: int, mark: int) -> bool:
        with self._lock:
            return self._erasures.get(user_id, 0) != mark

    def __len__(self) -> int:
        with self._lock:
            return len(self._claims)

    def __iter__(self) -> Iterator[Claim]:
        with self._lock:
            return iter(list(self._claims))
