"""DAVE (Discord's audio/video end-to-end encryption) as Discord's voice server plays it.

The voice server never holds media keys. It is the MLS *external sender* of the call's group:
it publishes its signing key (binary op 25), collects each client's key package (op 26), signs
Add and Remove proposals (op 27) for the group's committer, takes the committer's commit and
welcome (op 28, split here by their MLS framing), announces the winning commit to the group
(op 29) and welcomes the new members (op 30), then runs the transition: each client reports
ready (op 23) and the server executes it (op 22). Protocol changes: a downgrade to 0 is prepared
with op 21, an upgrade starts a fresh group with prepare-epoch (op 24, epoch 1). A client that
cannot process a commit or welcome says so (op 31) and sends a new key package; the server takes
its old leaf out and adds it again.

`DaveCall` does this for one call, transport-agnostic: the voice server (voice.py) hands it the
clients' messages and gives it two senders. The simulated members are *local*: each is a real
`davey.DaveSession` in the same group, so their speech is really encrypted for the bot and the
bot's speech is really decrypted through one of them. Everything cryptographic is davey's
(openmls); only the external sender's signatures are made here (P-256, as Discord does).

References: Discord developer docs, "Voice Connections: End-to-End Encryption (DAVE Protocol)";
daveprotocol.com; RFC 9420 (MLS) §6 (framing), §12.1 (proposals).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import davey
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

log = logging.getLogger("standin.dave")

# binary opcodes (server → client frames are: u16 seq, u8 op, payload; client → server: u8 op, payload)
OP_PREPARE_TRANSITION = 21
OP_EXECUTE_TRANSITION = 22
OP_READY_FOR_TRANSITION = 23
OP_PREPARE_EPOCH = 24
OP_EXTERNAL_SENDER = 25
OP_KEY_PACKAGE = 26
OP_PROPOSALS = 27
OP_COMMIT_WELCOME = 28
OP_ANNOUNCE_COMMIT = 29
OP_WELCOME = 30
OP_INVALID_COMMIT_WELCOME = 31

PROPOSALS_APPEND, PROPOSALS_REVOKE = 0, 1
DAVE_MAGIC = b"\xfa\xfa"
OPUS_SILENCE = b"\xf8\xff\xfe"

# RFC 9420 code points
_MLS10 = 1
_WIRE_PUBLIC, _WIRE_PRIVATE, _WIRE_WELCOME = 1, 2, 3
_SENDER_MEMBER, _SENDER_EXTERNAL = 1, 2
_CONTENT_APPLICATION, _CONTENT_PROPOSAL, _CONTENT_COMMIT = 1, 2, 3
_PROPOSAL_ADD, _PROPOSAL_REMOVE = 1, 3
DAVE_CIPHER_SUITE = 2  # MLS_128_DHKEMP256_AES128GCM_SHA256_P256


def _varint(n: int) -> bytes:
    """RFC 9420 §2.1.2 variable-size length."""
    if n < 64:
        return bytes([n])
    if n < 16384:
        return struct.pack(">H", n | 0x4000)
    return struct.pack(">I", n | 0x8000_0000)


def _vl(b: bytes) -> bytes:
    return _varint(len(b)) + b


class MLSFramingError(ValueError):
    """Bytes that are not the MLS message they claim to be."""


class _Reader:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise MLSFramingError(f"truncated at byte {self.pos} (wanted {n} more)")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack(">H", self.take(2))[0]

    def u32(self) -> int:
        return struct.unpack(">I", self.take(4))[0]

    def u64(self) -> int:
        return struct.unpack(">Q", self.take(8))[0]

    def vl(self) -> bytes:
        first = self.u8()
        prefix = first >> 6
        if prefix == 0:
            n = first & 0x3F
        elif prefix == 1:
            n = ((first & 0x3F) << 8) | self.u8()
        elif prefix == 2:
            n = ((first & 0x3F) << 24) | int.from_bytes(self.take(3), "big")
        else:
            raise MLSFramingError("invalid variable-size length prefix")
        return self.take(n)


def _skip_leaf_node(r: _Reader) -> None:
    r.vl()                    # encryption_key
    r.vl()                    # signature_key
    ctype = r.u16()           # credential
    if ctype == 1:
        r.vl()                # basic: identity
    else:
        r.vl()                # x509: certificates<V>
    for _ in range(5):        # capabilities: versions, cipher_suites, extensions, proposals, credentials
        r.vl()
    source = r.u8()
    if source == 1:
        r.u64(), r.u64()      # lifetime
    elif source == 3:
        r.vl()                # parent_hash
    elif source != 2:
        raise MLSFramingError(f"unknown leaf node source {source}")
    r.vl()                    # extensions
    r.vl()                    # signature


@dataclass
class CommitInfo:
    group_id: bytes
    epoch: int
    sender_leaf: int


def parse_commit(data: bytes, pos: int = 0) -> tuple[CommitInfo, int]:
    """An MLSMessage holding a commit as a PublicMessage (DAVE sends handshakes in the clear):
    what it commits to, and where it ends."""
    r = _Reader(data, pos)
    if r.u16() != _MLS10:
        raise MLSFramingError("not MLS 1.0")
    if r.u16() != _WIRE_PUBLIC:
        raise MLSFramingError("a DAVE commit must be a PublicMessage")
    group_id = r.vl()
    epoch = r.u64()
    sender_type = r.u8()
    if sender_type not in (_SENDER_MEMBER, _SENDER_EXTERNAL):
        raise MLSFramingError(f"a commit from sender type {sender_type}")
    sender = r.u32()
    r.vl()                                  # authenticated_data
    if r.u8() != _CONTENT_COMMIT:
        raise MLSFramingError("not a commit")
    r.vl()                                  # proposals<V>
    if r.u8():                              # optional<UpdatePath>
        _skip_leaf_node(r)
        r.vl()                              # nodes<V>
    r.vl()                                  # signature
    r.vl()                                  # confirmation_tag
    if sender_type == _SENDER_MEMBER:
        r.vl()                              # membership_tag
    return CommitInfo(group_id, epoch, sender), r.pos


def parse_welcome(data: bytes, pos: int = 0) -> int:
    """A Welcome (RFC 9420 §12.4.3.1) as DAVE carries it: the bare struct, no MLSMessage header.
    Returns where it ends."""
    r = _Reader(data, pos)
    if r.u16() != DAVE_CIPHER_SUITE:
        raise MLSFramingError("a welcome for another cipher suite")
    r.vl()                                  # secrets<V>
    r.vl()                                  # encrypted_group_info
    return r.pos


def split_commit_welcome(payload: bytes) -> tuple[CommitInfo, bytes, bytes | None]:
    """Op 28 carries a commit, then (when it adds members) a welcome, back to back."""
    info, end = parse_commit(payload)
    commit = payload[:end]
    if end == len(payload):
        return info, commit, None
    if parse_welcome(payload, end) != len(payload):
        raise MLSFramingError("bytes left over after the welcome")
    return info, commit, payload[end:]


class ExternalSender:
    """The external-sender key of the voice gateway: op 25's package and signed op 27 proposals.

    Proposals are RFC 9420 PublicMessages from sender type `external` (index 0), signed over
    FramedContentTBS with the P-256 key whose public half the group's external_senders extension
    carries: exactly what davey (openmls) verifies.
    """

    def __init__(self, channel_id: int) -> None:
        self.group_id = channel_id.to_bytes(8, "big")
        self._key = ec.generate_private_key(ec.SECP256R1())
        pub = self._key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        # ExternalSender { SignaturePublicKey signature_key; Credential credential (basic) }
        self.external_sender_package = _vl(pub) + struct.pack(">H", 1) + _vl(b"voice-gateway")

    def _proposal(self, body: bytes, epoch: int) -> bytes:
        content = (_vl(self.group_id) + struct.pack(">Q", epoch)
                   + bytes([_SENDER_EXTERNAL]) + struct.pack(">I", 0)
                   + _vl(b"") + bytes([_CONTENT_PROPOSAL]) + body)
        version_wire = struct.pack(">HH", _MLS10, _WIRE_PUBLIC)
        tbs = version_wire + content                       # FramedContentTBS (no group context)
        signature = self._key.sign(_vl(b"MLS 1.0 FramedContentTBS") + _vl(tbs), ec.ECDSA(hashes.SHA256()))
        return version_wire + content + _vl(signature)

    def proposals(self, *, adds: list[bytes] = (), removes: list[int] = (), epoch: int = 0) -> bytes:
        """Op 27's `append` payload: removals (by leaf index) first, then additions."""
        messages = b"".join(self._proposal(struct.pack(">HI", _PROPOSAL_REMOVE, leaf), epoch) for leaf in removes)
        messages += b"".join(self._proposal(struct.pack(">H", _PROPOSAL_ADD) + kp, epoch) for kp in adds)
        return _vl(messages)

    def add_proposals(self, key_packages: list[bytes], epoch: int = 0) -> bytes:
        return self.proposals(adds=key_packages, epoch=epoch)


def local_pair(speaker_id: int, listener_id: int, channel_id: int
               ) -> tuple[davey.DaveSession, davey.DaveSession]:
    """Two real DAVE sessions in one MLS group: the speaker created it, the listener was welcomed."""
    gateway = ExternalSender(channel_id)
    speaker = davey.DaveSession(davey.DAVE_PROTOCOL_VERSION, speaker_id, channel_id)
    listener = davey.DaveSession(davey.DAVE_PROTOCOL_VERSION, listener_id, channel_id)
    for s in (speaker, listener):
        s.set_external_sender(gateway.external_sender_package)
    cw = speaker.process_proposals(davey.ProposalsOperationType.append,
                                   gateway.add_proposals([listener.get_serialized_key_package()]))
    assert cw is not None and cw.welcome
    speaker.process_commit(cw.commit)    # the gateway echoes the commit back to its author
    listener.process_welcome(cw.welcome)
    assert speaker.ready and listener.ready
    return speaker, listener


# ------------------------------------------------------------------------------------ the call


@dataclass
class Remote:
    """A connected client (the bot): what the server knows of its DAVE state."""
    user_id: int
    key_package: bytes | None = None
    in_group: bool = False


@dataclass
class Transition:
    transition_id: int
    protocol_version: int
    waiting: set[int]                     # remote user ids that have not reported ready
    executed: asyncio.Event = field(default_factory=asyncio.Event)


SendJson = Callable[[int, int, Any], Awaitable[None]]
SendBinary = Callable[[int, int, bytes], Awaitable[None]]


class DaveCall:
    """The voice server's DAVE role in one call (one MLS group at a time).

    `local_ids()` names the simulated members in the call now; `send_json(user, op, d)` and
    `send_binary(user, op, payload)` reach a connected client. `events` (the stand-in's log) gets
    one entry per protocol step, so tests can wait on them.
    """

    def __init__(self, channel_id: int, *, local_ids: Callable[[], list[int]],
                 send_json: SendJson, send_binary: SendBinary, events: Any,
                 protocol_version: int = davey.DAVE_PROTOCOL_VERSION) -> None:
        self.channel_id = channel_id
        self.local_ids = local_ids
        self.send_json, self.send_binary, self.events = send_json, send_binary, events
        self.protocol_version = protocol_version   # what the call speaks (after the last transition)
        self.mls = ExternalSender(channel_id)
        self.locals: dict[int, davey.DaveSession] = {}
        self.remotes: dict[int, Remote] = {}
        self.tree: list[int | None] = []           # MLS leaves: user id or blank
        self.epoch = 0                             # the group's epoch (0: no group yet)
        self.live = False                          # a transition into this group has executed
        self.transitions: dict[int, Transition] = {}
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()
        self._commit_from: int | None = None       # remote asked to commit (op 27 sent)
        self._again = False
        self._to_remove: set[int] = set()          # leaves to take out with the next commit
        self._garbled: dict[int, davey.DaveSession] = {}  # members whose frames can't be decrypted
        self.counts = {"commits": 0, "welcomes": 0, "rejected_commits": 0, "losing_commits": 0,
                       "invalid_reported": 0,
                       "bad_binary": 0}

    # ---------------------------------------------------------------- state
    def in_group(self, user_id: int) -> bool:
        return user_id in self.tree

    def _leaf_of(self, user_id: int) -> int | None:
        return self.tree.index(user_id) if user_id in self.tree else None

    def _place(self, user_ids: list[int]) -> None:
        """Adds fill the leftmost blank leaves, in proposal order (RFC 9420 §12.1.1)."""
        for uid in user_ids:
            try:
                self.tree[self.tree.index(None)] = uid
            except ValueError:
                self.tree.append(uid)

    def _blank(self, leaves: set[int]) -> None:
        for leaf in leaves:
            if leaf < len(self.tree):
                self.tree[leaf] = None
        while self.tree and self.tree[-1] is None:
            self.tree.pop()

    def listener(self) -> tuple[int, davey.DaveSession] | None:
        """A simulated member in the group, to hear the bot through."""
        for uid, s in self.locals.items():
            if self.in_group(uid) and s.ready:
                return uid, s
        return None

    def encrypts(self, user_id: int) -> bool:
        """Whether a simulated member encrypts its media now (DAVE on and its group live)."""
        s = self.locals.get(user_id)
        return (self.protocol_version > 0 and self.live and s is not None and s.ready
                and self.in_group(user_id))

    def _new_local(self, user_id: int) -> davey.DaveSession:
        s = davey.DaveSession(davey.DAVE_PROTOCOL_VERSION, user_id, self.channel_id)
        s.set_external_sender(self.mls.external_sender_package)
        self.locals[user_id] = s
        return s

    # ---------------------------------------------------------------- client messages
    async def client_ready(self, user_id: int) -> None:
        """After SESSION_DESCRIPTION with a protocol version > 0: the external sender (op 25)."""
        self.remotes[user_id] = Remote(user_id)
        await self.send_binary(user_id, OP_EXTERNAL_SENDER, self.mls.external_sender_package)
        self.events.add("dave_external_sender", {"user_id": user_id})

    async def on_binary(self, user_id: int, data: bytes) -> None:
        if not data:
            self.counts["bad_binary"] += 1
            return
        op, payload = data[0], data[1:]
        try:
            if op == OP_KEY_PACKAGE:
                await self.key_package(user_id, payload)
            elif op == OP_COMMIT_WELCOME:
                await self.commit_welcome(user_id, payload)
            else:
                self.counts["bad_binary"] += 1
                self.events.add("dave_unknown_binary", {"user_id": user_id, "op": op})
        except Exception as e:  # a bad client message never stops the voice server
            self.counts["bad_binary"] += 1
            log.warning("stand-in DAVE: op %s from %s failed: %s", op, user_id, e)
            self.events.add("dave_error", {"user_id": user_id, "op": op, "error": f"{type(e).__name__}: {e}"})

    async def key_package(self, user_id: int, key_package: bytes) -> None:
        async with self._lock:
            remote = self.remotes.setdefault(user_id, Remote(user_id))
            leaf = self._leaf_of(user_id)
            if leaf is not None:      # a fresh session (reinit, recovery): its old leaf goes
                self._to_remove.add(leaf)
            remote.key_package, remote.in_group = key_package, False
            self.events.add("dave_key_package", {"user_id": user_id, "size": len(key_package)})
            await self._admit()

    async def ready_for_transition(self, user_id: int, transition_id: int) -> None:
        async with self._lock:
            t = self.transitions.get(transition_id)
            self.events.add("dave_ready", {"user_id": user_id, "transition_id": transition_id})
            if t is None:
                return
            t.waiting.discard(user_id)
            await self._maybe_execute(t)

    async def invalid_commit_welcome(self, user_id: int, transition_id: int) -> None:
        """Op 31: the client could not use our commit/welcome; it re-initialises and will send a
        new key package (op 26), and then is added again."""
        self.counts["invalid_reported"] += 1
        async with self._lock:
            remote = self.remotes.get(user_id)
            if remote is not None:
                remote.in_group = False
            t = self.transitions.get(transition_id)
            if t is not None:
                t.waiting.discard(user_id)
                await self._maybe_execute(t)
            self.events.add("dave_invalid", {"user_id": user_id, "transition_id": transition_id})

    async def commit_welcome(self, user_id: int, payload: bytes) -> None:
        async with self._lock:
            if self._commit_from != user_id:  # another commit won the race (or none was due)
                self.counts["losing_commits"] += 1
                self.events.add("dave_commit_dropped", {"user_id": user_id})
                return
            try:
                info, commit, welcome = split_commit_welcome(payload)
            except MLSFramingError as e:
                self.counts["rejected_commits"] += 1
                self.events.add("dave_commit_rejected", {"user_id": user_id, "why": str(e)})
                return
            if info.epoch != self.epoch or info.group_id != self.mls.group_id:
                self.counts["rejected_commits"] += 1
                self.events.add("dave_commit_rejected", {"user_id": user_id,
                                                         "why": f"epoch {info.epoch}, group at {self.epoch}"})
                return
            adds, removes = self._pending_changes
            self._commit_from = None
            await self._apply(commit, welcome, committer=user_id, adds=adds, removes=removes)
            if self._again:
                self._again = False
                await self._admit()

    # ---------------------------------------------------------------- membership changes
    async def remote_left(self, user_id: int) -> None:
        async with self._lock:
            self.remotes.pop(user_id, None)
            if self._commit_from == user_id:
                self._commit_from = None
            leaf = self._leaf_of(user_id)
            if leaf is not None:
                self._to_remove.add(leaf)
            for t in list(self.transitions.values()):
                t.waiting.discard(user_id)
                await self._maybe_execute(t)
            await self._admit()

    async def local_joined(self, user_id: int) -> None:
        async with self._lock:
            if user_id not in self.locals:
                self._new_local(user_id)
            await self._admit()

    async def local_left(self, user_id: int) -> None:
        async with self._lock:
            s = self.locals.pop(user_id, None)
            leaf = self._leaf_of(user_id)
            if leaf is not None:
                self._to_remove.add(leaf)
            if s is not None:
                self.events.add("dave_local_left", {"user_id": user_id, "leaf": leaf})
            await self._admit()

    def _sync_locals(self) -> None:
        for uid in self.local_ids():
            if uid not in self.locals:
                self._new_local(uid)

    async def _admit(self) -> None:
        """Bring the group up to date: remove who left, add who is waiting. Holds the lock.
        A failure is logged and kept in the event log, never raised into the voice server."""
        try:
            await self._admit_now()
        except Exception as e:
            log.exception("stand-in DAVE: group update failed")
            self.events.add("dave_error", {"op": None, "error": f"{type(e).__name__}: {e}"})

    async def _admit_now(self) -> None:
        if self.protocol_version == 0 and not self._upgrading:
            return
        if self._commit_from is not None:        # a commit is on its way: do this after it
            self._again = True
            return
        self._sync_locals()
        remotes_waiting = [r for r in self.remotes.values() if r.key_package and not r.in_group]
        group = [uid for uid in self.tree if uid is not None]
        if not group:
            # no group yet: a remote with a key package creates it (adding the simulated members);
            # two or more simulated members already talk among themselves (their group exists first)
            locals_ = list(self.locals)
            if len(locals_) >= 2:
                first = locals_[0]
                await self._propose(first, adds=locals_[1:], removes=set(), creating=True)
                group = [uid for uid in self.tree if uid is not None]
            elif remotes_waiting:
                committer = remotes_waiting[0]
                adds = locals_ + [r.user_id for r in remotes_waiting[1:]]
                if not adds:
                    return                       # alone in the call: nobody to encrypt for
                await self._propose(committer.user_id, adds=adds, removes=set(), creating=True)
                return
            else:
                return
        adds = [uid for uid in self.locals if not self.in_group(uid)]
        adds += [r.user_id for r in remotes_waiting]
        removes = set(self._to_remove)
        if not adds and not removes:
            return
        in_group_remotes = [uid for uid in self.remotes if self.in_group(uid) and self._leaf_of(uid) not in removes]
        in_group_locals = [uid for uid in self.locals if self.in_group(uid) and self._leaf_of(uid) not in removes]
        if in_group_remotes:
            await self._propose(in_group_remotes[0], adds=adds, removes=removes)
        elif in_group_locals:
            await self._propose(in_group_locals[0], adds=adds, removes=removes)
        else:                                    # everyone in the group is gone: start over
            self.tree, self.epoch, self.live = [], 0, False
            self._to_remove.clear()
            for uid in list(self.locals):
                self._new_local(uid)
            await self._admit_now()

    _pending_changes: tuple[list[int], set[int]] = ([], set())
    _upgrading = False

    def _key_package_of(self, user_id: int) -> bytes:
        if user_id in self.locals:
            return self.locals[user_id].get_serialized_key_package()
        kp = self.remotes[user_id].key_package
        assert kp is not None
        return kp

    async def _propose(self, committer: int, *, adds: list[int], removes: set[int],
                       creating: bool = False) -> None:
        """Op 27 to every member of the group (each caches the proposals; any may commit). The
        first commit wins: a connected client's when one is in the group (the server waits for
        its op 28), else a simulated member's at once. A losing op 28 is dropped."""
        proposals = self.mls.proposals(adds=[self._key_package_of(u) for u in adds],
                                       removes=sorted(removes), epoch=self.epoch)
        self._pending_changes = (adds, removes)
        if creating:  # the committer alone makes the group's first leaf
            self.tree = [committer]
        local_commit = None
        for leaf, uid in enumerate(self.tree):
            if uid is None or leaf in removes:
                continue
            if uid in self.locals:
                cw = self.locals[uid].process_proposals(davey.ProposalsOperationType.append, proposals)
                if uid == committer:
                    local_commit = cw
            elif uid in self.remotes:
                await self.send_binary(uid, OP_PROPOSALS, bytes([PROPOSALS_APPEND]) + proposals)
        self.events.add("dave_proposals", {"to": committer, "adds": adds, "removes": sorted(removes),
                                           "epoch": self.epoch})
        if committer in self.remotes:
            self._commit_from = committer
            return
        if local_commit is None:
            raise RuntimeError("the simulated committer produced no commit")
        await self._apply(local_commit.commit, local_commit.welcome, committer=committer, adds=adds,
                          removes=removes)

    async def _apply(self, commit: bytes, welcome: bytes | None, *, committer: int,
                     adds: list[int], removes: set[int]) -> None:
        """The winning commit: every member in the group processes it, the added ones get the
        welcome, and remote members run a transition (ready → execute)."""
        # who was in the group and stays: they process the commit (the removed and the added don't)
        before = [uid for leaf, uid in enumerate(self.tree) if uid is not None and leaf not in removes]
        self._blank(removes)
        self._to_remove -= removes
        self._place(adds)
        self.epoch += 1
        self.counts["commits"] += 1
        remotes_after = {uid for uid in self.remotes if self.in_group(uid)}
        tid = next(self._ids) if remotes_after else 0
        if tid:
            self.transitions[tid] = Transition(tid, self.protocol_version or davey.DAVE_PROTOCOL_VERSION,
                                               set(remotes_after))
        for uid in before:
            if uid in self.locals:
                self.locals[uid].process_commit(commit)
            elif uid in self.remotes:
                await self.send_binary(uid, OP_ANNOUNCE_COMMIT, struct.pack(">H", tid) + commit)
        for uid in adds:
            if welcome is None:
                raise RuntimeError("members were added without a welcome")
            if uid in self.locals:
                self.locals[uid].process_welcome(welcome)
            else:
                self.remotes[uid].in_group = True
                await self.send_binary(uid, OP_WELCOME, struct.pack(">H", tid) + welcome)
                self.counts["welcomes"] += 1
        for uid in remotes_after:
            self.remotes[uid].in_group = True
        for uid, s in self.locals.items():
            if self.in_group(uid) and s.own_leaf_index != self._leaf_of(uid):
                log.warning("stand-in DAVE: leaf of %s is %s, expected %s", uid, s.own_leaf_index,
                            self._leaf_of(uid))
        self.events.add("dave_commit", {"committer": committer, "adds": adds, "removes": sorted(removes),
                                        "epoch": self.epoch, "transition_id": tid,
                                        "welcome": welcome is not None})
        if tid == 0:
            self._executed(0)
        else:
            await self._maybe_execute(self.transitions[tid])

    async def _maybe_execute(self, t: Transition) -> None:
        if t.waiting or t.executed.is_set():
            return
        for uid in list(self.remotes):
            await self.send_json(uid, OP_EXECUTE_TRANSITION, {"transition_id": t.transition_id})
        self.protocol_version = t.protocol_version
        if t.protocol_version == 0:
            self.live = False
        self._executed(t.transition_id)
        t.executed.set()
        self.transitions.pop(t.transition_id, None)

    def _executed(self, tid: int) -> None:
        if self.protocol_version > 0 and self.tree:
            self.live = True
            self._upgrading = False
        members = sorted(uid for uid in self.tree if uid is not None)
        self.events.add("dave_execute", {"transition_id": tid, "protocol_version": self.protocol_version,
                                         "members": members, "epoch": self.epoch})

    # ---------------------------------------------------------------- protocol changes
    async def downgrade(self) -> int:
        """Prepare a transition to protocol 0 (op 21); executed (op 22) once every client is ready."""
        async with self._lock:
            tid = next(self._ids)
            self.transitions[tid] = Transition(tid, 0, set(self.remotes))
            for s in self.locals.values():
                s.set_passthrough_mode(True, 120)
            for uid in list(self.remotes):
                await self.send_json(uid, OP_PREPARE_TRANSITION, {"transition_id": tid, "protocol_version": 0})
            self.events.add("dave_prepare_transition", {"transition_id": tid, "protocol_version": 0})
            await self._maybe_execute(self.transitions[tid])
            return tid

    async def upgrade(self) -> None:
        """Back to DAVE: prepare-epoch 1 (op 24) starts a fresh group; clients send key packages."""
        async with self._lock:
            self._upgrading = True
            self.tree, self.epoch, self.live = [], 0, False
            self._to_remove.clear()
            self._commit_from = None
            for r in self.remotes.values():
                r.key_package, r.in_group = None, False
            for uid in list(self.locals):
                self._new_local(uid)
            for uid in list(self.remotes):
                await self.send_json(uid, OP_PREPARE_EPOCH,
                                     {"epoch": 1, "protocol_version": davey.DAVE_PROTOCOL_VERSION})
                await self.send_binary(uid, OP_EXTERNAL_SENDER, self.mls.external_sender_package)
            self.events.add("dave_prepare_epoch", {"protocol_version": davey.DAVE_PROTOCOL_VERSION})

    # ---------------------------------------------------------------- media
    def garble(self, user_id: int, on: bool) -> None:
        """While on, `user_id`'s client encrypts with keys of a group the bot is not in (a client
        whose MLS state went wrong): its frames carry a valid DAVE trailer but cannot be decrypted."""
        if on:
            stranger, _ = local_pair(user_id, user_id + 1, self.channel_id)
            self._garbled[user_id] = stranger
        else:
            self._garbled.pop(user_id, None)
        self.events.add("dave_garble", {"user_id": user_id, "on": on})

    def encrypt_from(self, user_id: int, opus_frame: bytes) -> bytes:
        """A simulated member's frame as its client sends it (DAVE-encrypted when in force)."""
        if not self.encrypts(user_id):
            return opus_frame
        stranger = self._garbled.get(user_id)
        if stranger is not None:
            return bytes(stranger.encrypt_opus(opus_frame))
        return bytes(self.locals[user_id].encrypt_opus(opus_frame))

    def decrypt_from(self, user_id: int, frame: bytes) -> tuple[bytes | None, str]:
        """The bot's frame as a member's client hears it: (opus or None, what happened)."""
        if frame == OPUS_SILENCE:
            return frame, "silence"
        marked = frame.endswith(DAVE_MAGIC)
        found = self.listener()
        if not marked:
            return frame, ("plain_while_dave" if (found and self.live and self.protocol_version) else "plain")
        if found is None:
            return None, "no_listener"
        try:
            return bytes(found[1].decrypt(user_id, davey.MediaType.audio, frame)), "decrypted"
        except Exception:
            return None, "failed"
