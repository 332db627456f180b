"""Which rounds are running, with the caps that keep a 2-core host responsive.

One round per server by default (`settings.max_rounds_per_guild`) and a global cap
(`settings.max_rounds_total`): each running round transcribes in real time, so the total is
bounded by CPU. A front end claims a slot *before* joining voice, attaches the round once
built, and releases the slot when the round is over (also on failure).

Two implementations of one interface (`VoiceSlots`), chosen by `voice_slots(settings, db)`:
`RoundsRegistry` keeps the caps in this process (the default, one bot process); with
PARLEY_DATABASE_URL, `SharedRoundsRegistry` also holds each slot in the database
(bot/storage/shared.py `SharedSlots`, a lease renewed every `lease_s / 4`), so the caps hold across
every bot process, and a refusal reads the same whichever process holds the slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bot.config import Settings

if TYPE_CHECKING:  # pragma: no cover
    from bot.storage.db import Database
    from bot.storage.shared import SharedSlots

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
    slot: Any = field(default=None, repr=False)  # its database row (SharedRoundsRegistry)


class VoiceSlots(Protocol):
    """What the cogs and the client use; `RoundsRegistry` and `SharedRoundsRegistry` implement it."""

    async def claim(self, guild_id: int | None, owner_id: int | None, *, channel_id: int | None = None,
                    kind: str = KIND_MOCK) -> Claim: ...

    def attach(self, claim: Claim, round_: Any) -> None: ...

    async def release(self, claim: Claim) -> None: ...

    def find(self, guild_id: int | None, owner_id: int | None = None) -> Claim | None: ...

    async def erase_member(self, user_id: int) -> int: ...

    def erasure_mark(self, user_id: int) -> int: ...

    def erased_since(self, user_id: int, mark: int) -> bool: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Claim]: ...


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

    async def start(self) -> None:
        """Nothing to do in one process (a shared registry starts renewing its leases)."""

    async def stop(self) -> None:
        """Nothing to do in one process (a shared registry frees its slots for the others)."""

    async def claim(self, guild_id: int | None, owner_id: int | None, *, channel_id: int | None = None,
                    kind: str = KIND_MOCK) -> Claim:
        """Reserve a slot or raise `RoundAlreadyRunning` / `TooBusy` (per-server check first).
        `kind` says what will hold it, so a refusal can name what is running."""
        return self._claim_local(guild_id, owner_id, channel_id=channel_id, kind=kind)

    def _claim_local(self, guild_id: int | None, owner_id: int | None, *, channel_id: int | None,
                     kind: str, check: bool = True) -> Claim:
        with self._lock:
            if not check:  # the shared registry decided already, for every process
                c = Claim(guild_id=guild_id, owner_id=owner_id, channel_id=channel_id, kind=kind)
                self._claims.append(c)
                return c
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

    async def release(self, claim: Claim) -> None:
        """Free the slot (idempotent)."""
        self._release_local(claim)

    def _release_local(self, claim: Claim) -> bool:
        """Forget the claim here; True the first time."""
        with self._lock:
            if claim.released:
                return False
            claim.released = True
            try:
                self._claims.remove(claim)
            except ValueError:
                pass
            return True

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


class SharedRoundsRegistry(RoundsRegistry):
    """The caps of every bot process together (PARLEY_DATABASE_URL): a claim is decided by
    `SharedSlots` in the database, then kept here too (the running round, for `find` and erasure).

    While started, a task renews this process's leases every `lease_s / 4`, so the slots of a
    process that died free themselves within `lease_s`. A member erased through any process is
    forgotten here the moment that erasure commits (`ErasureListener`, Postgres LISTEN/NOTIFY), by
    every round and group, owner or not; the renewal pass also sees a slot whose owner was
    cleared (`forget_member`), should a notification have been missed."""

    def __init__(self, settings: Settings, slots: SharedSlots) -> None:
        from bot.storage.shared import ErasureListener

        super().__init__(settings, max_per_guild=slots.max_per_guild, max_total=slots.max_total)
        self.slots = slots
        self.renew_every_s = slots.lease_s / 4
        self._renewer: asyncio.Task[None] | None = None
        # erasures committed by any process reach the rounds and groups here at once
        self.erasures = ErasureListener(slots.db, self._erased_elsewhere)
        self._forgetting: set[asyncio.Task[int]] = set()

    def _erased_elsewhere(self, user_id: int) -> None:
        """A process (this one too) committed a member's erasure: every round and group here
        forgets them (a member only taking part in a group is no slot's owner)."""
        task = asyncio.ensure_future(RoundsRegistry.erase_member(self, user_id))
        self._forgetting.add(task)
        task.add_done_callback(self._forgetting.discard)

    async def claim(self, guild_id: int | None, owner_id: int | None, *, channel_id: int | None = None,
                    kind: str = KIND_MOCK) -> Claim:
        from bot.storage.shared import SlotsFull, SlotTaken

        try:
            slot = await self.slots.claim(guild_id, owner_id, channel_id=channel_id, kind=kind)
        except SlotTaken as e:
            raise RoundAlreadyRunning(guild_id, e.owner_id, same_user=e.same_user, kind=e.kind,
                                      channel_id=e.channel_id) from None
        except SlotsFull as e:
            raise TooBusy(e.limit) from None
        c = self._claim_local(guild_id, owner_id, channel_id=channel_id, kind=kind, check=False)
        c.slot = slot
        return c

    async def release(self, claim: Claim) -> None:
        if self._release_local(claim) and claim.slot is not None:
            try:
                await self.slots.release(claim.slot)
            except Exception:  # the lease runs out on its own
                log.warning("could not free a round slot in the database; it frees itself within %.0f s",
                            self.slots.lease_s, exc_info=True)

    async def erase_member(self, user_id: int) -> int:
        """Forget the member here, and in the database for every process (their rate-limit counts,
        the owner of their slots: the other processes' renewals see it and forget them too)."""
        from bot.storage.shared import forget_member

        held = await super().erase_member(user_id)
        await forget_member(self.slots.db, user_id)
        return held

    async def renew_once(self) -> int:
        """Extend this process's leases, and forget members erased by another process; returns
        how many slots it holds."""
        held = await self.slots.renew()
        owners = {s.id: s.owner_id for s in await self.slots.running()}
        for claim in list(self):
            slot = claim.slot
            if slot is None or claim.owner_id is None or slot.id not in owners:
                continue
            if owners[slot.id] is None:  # `forget_member` ran in some process
                log.info("a member erased their data in another bot process; the %s here forgets them", claim.kind)
                await RoundsRegistry.erase_member(self, claim.owner_id)
        return held

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.renew_every_s)
            try:
                await self.erasures.ensure()  # a listener whose connection dropped listens again
                await self.renew_once()
            except Exception:
                log.warning("renewing the round slots failed; trying again in %.0f s", self.renew_every_s,
                            exc_info=True)

    async def start(self) -> None:
        try:
            await self.erasures.ensure()
        except Exception:  # the renewal pass tries again; erasure still reaches slot owners there
            log.warning("could not listen for erasures from other bot processes; retrying at each renewal",
                        exc_info=True)
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.create_task(self._renew_forever(), name="parley-slot-renewal")

    async def stop(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        for claim in list(self):
            await self.release(claim)
        await self.erasures.close()


def voice_slots(settings: Settings, db: Database | None) -> RoundsRegistry:
    """The registry for these settings: shared through the database with PARLEY_DATABASE_URL
    (every bot process sees the same slots), else in this process."""
    if not settings.database_url or db is None:
        return RoundsRegistry(settings)
    from bot.storage.shared import SharedSlots

    return SharedRoundsRegistry(settings, SharedSlots(db, max_per_guild=settings.max_rounds_per_guild,
                                                      max_total=settings.max_rounds_total))
