"""A member's data: consent per server, their settings, export as JSON, and erasure.

Export and erasure find a member's rows by *reading the schema*, not from a fixed list: every
table with a `user_id` or `rater_id` column is included, so tables that later migrations add
are covered without touching this module. Special cases:

* ratings other members gave on this member's answers are exported without the rater's id
  (ratings are anonymous) and deleted with the answers;
* sessions keep `owner_id` without a foreign key, and a group's summary JSON names every
  member: a session only this member took part in is deleted; a shared one keeps the others'
  figures, with this member's entries cut out of its summary and the owner cleared. A session
  is found by its owner, its membership rows *and* by what its summary names (a summary can
  name a member without a membership row: who ended a group, a row written from an older
  version), so show, export and delete all see the same sessions;
* summaries store ids, never someone else's display name; the one exception is a legacy
  "ended by <display name>" end reason, matched by the member's stored and current names.

Erasure runs in ONE transaction; kept audio files are removed from disk after it commits (a
crash in between leaves only orphan files, which `audio_retention.purge_expired` removes).
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.paths import remove_files
from bot.storage.attempts import ensure_user
from bot.storage.db import Database

log = logging.getLogger(__name__)

EXPORT_FORMAT = "parley-export/1"
# Columns that hold the id of the member a row belongs to (or who wrote it).
USER_COLUMNS: tuple[str, ...] = ("user_id", "rater_id")
# Keys in a stored summary (sessions.summary_json) whose value is a member's id.
MEMBER_ID_KEYS: tuple[str, ...] = (
    "user_id", "member_id", "owner_id", "ended_by_id", "interviewer_id", "answerer_id", "rater_id",
)
# Before ids were stored, `/group end` kept "ended by <display name>" as a group's end reason.
LEGACY_ENDED_BY = "ended by "


# --------------------------------------------------------------------------- consent


async def _one(cur: aiosqlite.Cursor) -> aiosqlite.Row:
    """The single row of an aggregate query (COUNT(*) always returns one)."""
    row = await cur.fetchone()
    assert row is not None
    return row


async def has_consented(db: Database, user_id: int, guild_id: int) -> bool:
    """True once the member accepted the recording notice in this server."""
    async with db.conn.execute(
        "SELECT 1 FROM consents WHERE user_id = ? AND guild_id = ?", (user_id, guild_id)
    ) as cur:
        return await cur.fetchone() is not None


async def record_consent(db: Database, user_id: int, guild_id: int, name: str = "") -> None:
    """Remember the acceptance (idempotent: the first acceptance time is kept)."""
    async with db.transaction() as conn:
        await ensure_user(db, user_id, name)
        await conn.execute(
            "INSERT INTO consents(user_id, guild_id) VALUES(?, ?) ON CONFLICT DO NOTHING", (user_id, guild_id)
        )


async def withdraw_consent(db: Database, user_id: int, guild_id: int | None = None) -> int:
    """Forget acceptance in one server (or all); the notice is shown again next time."""
    async with db.transaction() as conn:
        if guild_id is None:
            cur = await conn.execute("DELETE FROM consents WHERE user_id = ?", (user_id,))
        else:
            cur = await conn.execute(
                "DELETE FROM consents WHERE user_id = ? AND guild_id = ?", (user_id, guild_id)
            )
        return cur.rowcount or 0


class ConsentStore:
    """The one consent store: whether a member accepted the recording notice in a server, and
    remembering that they did. Mock rounds (`DiscordRoundIO`) and groups (`ensure_consent`) use it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def has(self, user_id: int, guild_id: int) -> bool:
        return await has_consented(self.db, user_id, guild_id)

    async def record(self, user_id: int, guild_id: int, name: str = "") -> None:
        await record_consent(self.db, user_id, guild_id, name)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class UserSettings:
    keep_audio: bool = False
    leaderboard: bool = False


async def get_settings(db: Database, user_id: int) -> UserSettings:
    """The member's settings; defaults (nothing kept, no leaderboard) when never set."""
    async with db.conn.execute(
        "SELECT keep_audio, leaderboard FROM user_settings WHERE user_id = ?", (user_id,)
    ) as cur:
        r = await cur.fetchone()
    if r is None:
        return UserSettings()
    return UserSettings(keep_audio=bool(r["keep_audio"]), leaderboard=bool(r["leaderboard"]))


async def set_keep_audio(db: Database, user_id: int, keep: bool, name: str = "") -> None:
    """Opt in to (or out of) keeping raw answer audio for the retention period."""
    async with db.transaction() as conn:
        await ensure_user(db, user_id, name)
        await conn.execute(
            "INSERT INTO user_settings(user_id, keep_audio) VALUES(?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET keep_audio = excluded.keep_audio",
            (user_id, int(keep)),
        )


# --------------------------------------------------------------------------- schema discovery


async def user_tables(db: Database) -> list[tuple[str, str]]:
    """(table, column) for every column that names a member, `users` itself excluded."""
    out: list[tuple[str, str]] = []
    for t in await db.tables():
        if t == "users":
            continue
        cols = await db.columns(t)
        out += [(t, c) for c in USER_COLUMNS if c in cols]
    return out


def _jsonable_row(row: Any) -> dict[str, Any]:
    """A row as a dict, with `*_json` columns decoded into objects."""
    out: dict[str, Any] = {}
    for key in row.keys():
        value = row[key]
        if key.endswith("_json") and isinstance(value, str):
            try:
                out[key[: -len("_json")]] = json.loads(value)
                continue
            except ValueError:
                pass
        if isinstance(value, bytes):
            value = value.hex()
        out[key] = value
    return out


async def _rows(db: Database, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
    async with db.conn.execute(sql, args) as cur:
        return [_jsonable_row(r) for r in await cur.fetchall()]


# --------------------------------------------------------------------------- summaries


def _legacy_ender(key: str, value: Any) -> str | None:
    """The display name in a legacy "ended by <name>" end reason, else None."""
    if key == "end_reason" and isinstance(value, str) and value.startswith(LEGACY_ENDED_BY):
        return value[len(LEGACY_ENDED_BY):]
    return None


def scrub_member(value: Any, user_id: int, names: frozenset[str] = frozenset()) -> Any:
    """Cut one member out of a JSON summary: list entries that are theirs are dropped, a
    single entry that is theirs (e.g. "strongest") becomes null, ids of theirs (`MEMBER_ID_KEYS`,
    keys equal to their id) go, and a legacy "ended by <one of `names`>" becomes "ended"."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k == str(user_id):
                continue
            if isinstance(v, dict) and _is_member_entry(v, user_id):
                out[k] = None
            elif k in MEMBER_ID_KEYS and isinstance(v, int) and v == user_id:
                out[k] = None
            elif _legacy_ender(k, v) in names:
                out[k] = "ended"
            else:
                out[k] = scrub_member(v, user_id, names)
        return out
    if isinstance(value, list):
        return [scrub_member(v, user_id, names) for v in value
                if not (isinstance(v, dict) and _is_member_entry(v, user_id)) and v != user_id]
    return value


def only_member(value: Any, user_id: int, names: frozenset[str] = frozenset()) -> Any:
    """The opposite view, for an export: a shared summary with only this member's entries, and
    no one else's id (`MEMBER_ID_KEYS`) or name (a legacy "ended by" someone not in `names`)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if isinstance(v, dict) and _names_someone(v) and not _is_member_entry(v, user_id):
                out[k] = None
            elif k in MEMBER_ID_KEYS and isinstance(v, int) and v != user_id:
                out[k] = None
            elif (ender := _legacy_ender(k, v)) is not None and ender not in names:
                out[k] = "ended by another member"
            else:
                out[k] = only_member(v, user_id, names)
        return out
    if isinstance(value, list):
        return [only_member(v, user_id, names) for v in value
                if not (isinstance(v, dict) and _names_someone(v) and not _is_member_entry(v, user_id))]
    return value


def names_member(value: Any, user_id: int, names: frozenset[str] = frozenset()) -> bool:
    """Does a JSON summary hold anything of this member (what `scrub_member` would cut)?"""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == str(user_id) or (k in MEMBER_ID_KEYS and isinstance(v, int) and v == user_id):
                return True
            if _legacy_ender(k, v) in names or names_member(v, user_id, names):
                return True
        return False
    if isinstance(value, list):
        return any(v == user_id or names_member(v, user_id, names) for v in value)
    return False


def _is_member_entry(d: dict[str, Any], user_id: int) -> bool:
    return d.get("user_id") == user_id or d.get("member_id") == user_id


def _names_someone(d: dict[str, Any]) -> bool:
    return "user_id" in d or "member_id" in d


async def _names_of(db: Database, user_id: int, extra: tuple[str, ...] = ()) -> frozenset[str]:
    """The member's display names: the stored one and any the caller knows (their current ones)."""
    async with db.conn.execute("SELECT name FROM users WHERE id = ?", (user_id,)) as cur:
        r = await cur.fetchone()
    return frozenset(n for n in ((r[0] if r else ""), *extra) if n)


def _inside_json(text: str) -> str:
    """A LIKE pattern (ESCAPE '\\') for `text` as it is written inside a JSON document."""
    written = json.dumps(text)[1:-1]
    return "%" + written.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def _sessions_of(db: Database, user_id: int, names: frozenset[str]) -> list[Any]:
    """Every session row holding something of the member: theirs, theirs to share, or a summary
    that names them (with or without a membership row)."""
    clauses = ["s.owner_id = ?", "s.id IN (SELECT session_id FROM session_members WHERE user_id = ?)",
               "s.summary_json LIKE ?"]
    args: list[Any] = [user_id, user_id, f"%{user_id}%"]
    for n in sorted(names):
        clauses.append("s.summary_json LIKE ? ESCAPE '\\'")
        args.append(_inside_json(LEGACY_ENDED_BY + n))
    async with db.conn.execute(
        "SELECT s.*, EXISTS(SELECT 1 FROM session_members m WHERE m.session_id = s.id AND m.user_id = ?)"
        f" AS is_member FROM sessions s WHERE {' OR '.join(clauses)} ORDER BY s.id",
        (user_id, *args),
    ) as cur:
        rows = list(await cur.fetchall())
    out = []
    for r in rows:
        if r["owner_id"] == user_id or r["is_member"]:
            out.append(r)
            continue
        try:
            summary = json.loads(r["summary_json"] or "{}")
        except ValueError:
            continue
        if names_member(summary, user_id, names):
            out.append(r)
    return out


# --------------------------------------------------------------------------- counts and export


async def stored_counts(db: Database, user_id: int, *, names: tuple[str, ...] = ()) -> dict[str, int]:
    """How many rows of each kind are stored about the member (tables with none are left out).
    `names`: the member's current display names, to find a legacy "ended by <name>"."""
    counts: dict[str, int] = {}
    for table, col in await user_tables(db):
        async with db.conn.execute(f'SELECT COUNT(*) FROM "{table}" WHERE "{col}" = ?', (user_id,)) as cur:
            n = int((await _one(cur))[0])
        if n:
            key = "ratings_given" if (table, col) == ("ratings", "rater_id") else table
            counts[key] = counts.get(key, 0) + n
    async with db.conn.execute(
        "SELECT COUNT(*) FROM ratings WHERE attempt_id IN (SELECT id FROM attempts WHERE user_id = ?)",
        (user_id,),
    ) as cur:
        n = int((await _one(cur))[0])
    if n:
        counts["ratings_received"] = n
    named = [r for r in await _sessions_of(db, user_id, await _names_of(db, user_id, names))
             if r["owner_id"] != user_id and not r["is_member"]]
    if named:
        counts["session_summaries"] = len(named)
    return counts


async def export_user(db: Database, user_id: int, *, names: tuple[str, ...] = ()) -> dict[str, Any]:
    """Everything stored about the member, JSON-able. Other members' ids and names never appear in it.
    `names`: the member's current display names (see `stored_counts`)."""
    users = await _rows(db, "SELECT * FROM users WHERE id = ?", (user_id,))
    known = await _names_of(db, user_id, names)
    tables: dict[str, list[dict[str, Any]]] = {}
    for table, col in await user_tables(db):
        if table == "sessions":  # sessions are exported below, per membership
            continue
        order = f" ORDER BY {db.insertion_order}"
        rows = await _rows(db, f'SELECT * FROM "{table}" WHERE "{col}" = ?{order}', (user_id,))
        key = "ratings_given" if (table, col) == ("ratings", "rater_id") else table
        tables.setdefault(key, []).extend(rows)
    received = await _rows(
        db,
        "SELECT r.attempt_id, r.structure, r.clarity, r.depth, r.created_at FROM ratings r"
        " JOIN attempts a ON a.id = r.attempt_id WHERE a.user_id = ? ORDER BY r.id",
        (user_id,),
    )
    sessions = [_jsonable_row(r) for r in await _sessions_of(db, user_id, known)]
    for s in sessions:
        s.pop("is_member", None)
        if "summary" in s:
            s["summary"] = only_member(s["summary"], user_id, known)
        if s.get("owner_id") not in (None, user_id):
            s["owner_id"] = None  # someone else's id
    return {
        "format": EXPORT_FORMAT,
        "user_id": user_id,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": users[0] if users else None,
        "tables": tables,
        "ratings_received": received,
        "sessions": sessions,
        "counts": await stored_counts(db, user_id, names=names),
    }


async def daily_threads_of(db: Database, user_id: int, *, limit: int = 100) -> list[int]:
    """The daily push threads the member may have answered in (pushes in a server where they
    stored a daily answer on or after the push), newest first: where Parley's feedback replies to
    them are. Read before an erasure, which removes the answers that point here."""
    async with db.conn.execute(
        "SELECT DISTINCT p.thread_id FROM daily_pushes p WHERE p.thread_id IS NOT NULL AND EXISTS"
        " (SELECT 1 FROM attempts a WHERE a.user_id = ? AND a.mode = 'daily' AND a.guild_id = p.guild_id"
        "  AND a.created_at >= p.created_at) ORDER BY p.id DESC LIMIT ?",
        (user_id, limit),
    ) as cur:
        return [int(r[0]) for r in await cur.fetchall()]


# --------------------------------------------------------------------------- erasure


@dataclass(frozen=True)
class DeletionReport:
    counts: dict[str, int]          # rows removed, by kind
    files_removed: int              # kept audio files removed from disk
    files_failed: list[str]         # paths that could not be removed (logged)

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())


async def delete_user(db: Database, user_id: int, *, audio_dir: Path | None = None,
                      names: tuple[str, ...] = ()) -> DeletionReport:
    """Erase every row about the member in one transaction, then their kept audio files.

    `audio_dir`: the folder kept audio lives in; the member's own sub-folder there is removed too.
    `names`: the member's current display names (see `stored_counts`).
    """
    uid = (user_id,)
    async with db.transaction() as conn:
        counts = await stored_counts(db, user_id, names=names)
        known = await _names_of(db, user_id, names)
        sessions = await _sessions_of(db, user_id, known)  # before the membership rows go
        async with conn.execute("SELECT path FROM audio_files WHERE user_id = ?", uid) as cur:
            paths = [Path(r[0]) for r in await cur.fetchall()]
        # ratings others gave on their answers (also cascaded; explicit so FKs off can't leave them)
        await conn.execute(
            "DELETE FROM ratings WHERE attempt_id IN (SELECT id FROM attempts WHERE user_id = ?)", uid
        )
        await conn.execute(
            "DELETE FROM audio_files WHERE attempt_id IN (SELECT id FROM attempts WHERE user_id = ?)", uid
        )
        # every table keyed by the member, attempts last (others point at them)
        keyed = sorted(await user_tables(db), key=lambda tc: tc[0] == "attempts")
        for table, col in keyed:
            await conn.execute(f'DELETE FROM "{table}" WHERE "{col}" = ?', uid)
        # sessions: owner_id has no foreign key; summaries name members
        removed_sessions = await _erase_from_sessions(db, user_id, sessions, known)
        if removed_sessions:
            counts["sessions"] = counts.get("sessions", 0) + removed_sessions
        cur = await conn.execute("DELETE FROM users WHERE id = ?", uid)
        if cur.rowcount:
            counts["users"] = cur.rowcount
    removed, failed = _remove_files(paths, user_id, audio_dir)
    log.info("erased user data: %d rows, %d audio files", sum(counts.values()), removed)
    return DeletionReport(counts, removed, failed)


async def _erase_from_sessions(db: Database, user_id: int, rows: list[Any], names: frozenset[str]) -> int:
    """Inside the erasure transaction, after the member's membership rows went: `rows` are the
    sessions `_sessions_of` found. Returns how many sessions were deleted outright."""
    conn = db.conn
    deleted = 0
    for r in rows:
        async with conn.execute("SELECT COUNT(*) FROM session_members WHERE session_id = ?", (r["id"],)) as cur:
            others = int((await _one(cur))[0])
        if r["owner_id"] == user_id and others == 0:
            await conn.execute("DELETE FROM sessions WHERE id = ?", (r["id"],))
            deleted += 1
            continue
        try:
            summary = json.loads(r["summary_json"] or "{}")
        except ValueError:
            summary = {}
        await conn.execute(
            "UPDATE sessions SET summary_json = ?,"
            " owner_id = CASE WHEN owner_id = ? THEN NULL ELSE owner_id END WHERE id = ?",
            (json.dumps(scrub_member(summary, user_id, names)), user_id, r["id"]),
        )
    return deleted


def _remove_files(paths: list[Path], user_id: int, audio_dir: Path | None) -> tuple[int, list[str]]:
    removed, failed = remove_files(paths, what="a kept audio file")
    if audio_dir is not None:
        own = Path(audio_dir) / str(user_id)
        if own.is_dir():
            removed += sum(1 for f in own.rglob("*") if f.is_file())
            shutil.rmtree(own, ignore_errors=True)
    return removed, failed


async def delete_kept_audio(db: Database, user_id: int, *, audio_dir: Path | None = None) -> int:
    """Remove every kept recording of the member (rows and files), e.g. when they opt out."""
    async with db.transaction() as conn:
        async with conn.execute("SELECT path FROM audio_files WHERE user_id = ?", (user_id,)) as cur:
            paths = [Path(r[0]) for r in await cur.fetchall()]
        await conn.execute("DELETE FROM audio_files WHERE user_id = ?", (user_id,))
    removed, _ = _remove_files(paths, user_id, audio_dir)
    return removed
