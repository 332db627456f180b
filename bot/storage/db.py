"""The sqlite database: opening, WAL, foreign keys and migrations by `PRAGMA user_version`."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.paths import regular_file_problem
from bot.storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)


# How long a write waits for another process's lock before it gives up and says so.
BUSY_TIMEOUT_S = 5.0


class StorageError(RuntimeError):
    """The database cannot be opened or written; the message says where and why.

    `kind` says what a user can do about it: "place" (choose another path or fix its permissions),
    "busy", "full", "damaged", "io", "schema" or "other"."""

    def __init__(self, message: str, kind: str = "other") -> None:
        super().__init__(message)
        self.kind = kind


def storage_error(path: Path | str, e: sqlite3.Error, *, opening: bool = False) -> StorageError:
    """A StorageError naming the real problem behind a sqlite error (busy, full, damaged, …)."""
    name = getattr(e, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")) and _disk_full(Path(path)):
        name = "SQLITE_FULL"  # sqlite says "disk I/O error" when a full disk refuses its -shm/-wal files
    what = f"cannot open the database {path}" if opening else f"the database {path}"
    # each reason reads after "the database X " (or "cannot open the database X: it ")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        kind, why = "busy", (f"is busy: another process held its lock for more than {BUSY_TIMEOUT_S:g} s "
                             "(nothing was changed; try again when it has finished)")
    elif name.startswith("SQLITE_FULL"):
        kind, why = "full", "cannot be written: the disk is full (nothing was changed; free some space and try again)"
    elif name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        kind, why = "damaged", (f"is damaged ({e}); Parley leaves it as it is: move it away and restore a "
                                "backup, or point PARLEY_DB_PATH at another file")
    elif name.startswith("SQLITE_READONLY"):
        kind, why = "place", "is read-only (check the file's and its folder's permissions)"
    elif name.startswith("SQLITE_IOERR"):
        kind, why = "io", f"could not be read or written: the disk reported an error ({e})"
    elif name.startswith("SQLITE_CANTOPEN"):
        kind, why = "place", _cannot_open_reason(Path(path))
    else:
        return StorageError(f"{what}: {e}")
    return StorageError(f"{what}: it {why}" if opening else f"{what} {why}", kind)


def _disk_full(path: Path) -> bool:
    """Whether the file system holding `path` has (next to) no room left."""
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024


def _cannot_open_reason(path: Path) -> str:
    try:
        read_only = bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:
        return "cannot be created or written: its folder is on a read-only file system"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return "cannot be created: its folder is not writable"
    return "cannot be opened by sqlite (check the file's and its folder's permissions)"


def _statements(script: str) -> list[str]:
    """Split a migration script into complete SQL statements (sqlite's own tokenizer decides)."""
    out: list[str] = []
    buf = ""
    for piece in script.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n\t;"):
                out.append(buf.strip())
            buf = ""
    if buf.strip(" \n\t;"):
        raise StorageError(f"incomplete SQL at the end of a migration: {buf.strip()[:60]!r}")
    return out


async def _stopped(conn: aiosqlite.Connection) -> None:
    """After a failed connect, wait for aiosqlite's worker thread to finish while the event loop
    still runs: otherwise it reports to a closed loop ("Event loop is closed")."""
    thread = getattr(conn, "_thread", None)
    if thread is not None and thread.is_alive():
        await asyncio.to_thread(thread.join, BUSY_TIMEOUT_S)


class Database:
    """One connection per process; every multi-statement write goes through `transaction()`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        # One shared connection: concurrent tasks (rounds in several servers) take turns.
        self._tx_lock: asyncio.Lock | None = None
        self._tx_owner: asyncio.Task[object] | None = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StorageError("database is not open; call `await db.open()` first")
        return self._conn

    async def open(self) -> Database:
        if self.path != Path(":memory:"):
            self._check_path()
        conn = aiosqlite.connect(self.path, timeout=BUSY_TIMEOUT_S)
        try:
            self._conn = await conn
        except sqlite3.Error as e:
            await _stopped(conn)
            raise storage_error(self.path, e, opening=True) from None
        try:
            self._conn.row_factory = aiosqlite.Row
            await self._conn.execute("PRAGMA foreign_keys = ON")
            await self._conn.execute("PRAGMA journal_mode = WAL")
            await self._conn.execute("PRAGMA synchronous = NORMAL")
            await self.migrate()
        except sqlite3.Error as e:
            await self.close()
            raise storage_error(self.path, e, opening=True) from None
        except BaseException:
            await self.close()  # e.g. a schema newer than this code: never leave the connection open
            raise
        return self

    def _check_path(self) -> None:
        """Name what is wrong with the path before sqlite says only "unable to open"."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageError(f"cannot create the database folder {self.path.parent}: {e.strerror}",
                               "place") from None
        problem = regular_file_problem(self.path)
        if problem is not None and not problem.missing:
            raise StorageError(f"cannot open the database {self.path}: it {problem.reason}", "place")

    async def close(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.close()
            finally:
                self._conn = None

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def schema_version(self) -> int:
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row is not None else 0

    async def migrate(self) -> int:
        """Apply pending migrations, each in its own exclusive transaction; returns the new version.

        Several processes may open a new file at once: each migration takes the write lock
        (waiting up to BUSY_TIMEOUT_S) and re-reads the version inside it, so exactly one
        process applies it and the others see it done."""
        version = await self.schema_version()
        while True:
            self._check_known(version)
            if version >= len(MIGRATIONS):
                return len(MIGRATIONS)
            await self.conn.execute("BEGIN EXCLUSIVE")
            try:
                version = await self.schema_version()  # another process may have migrated meanwhile
                self._check_known(version)
                if version < len(MIGRATIONS):
                    log.info("migrating %s to schema version %d", self.path, version + 1)
                    for statement in _statements(MIGRATIONS[version]):
                        await self.conn.execute(statement)
                    version += 1
                    await self.conn.execute(f"PRAGMA user_version = {version}")
            except BaseException:
                await self.conn.rollback()  # a failing migration leaves nothing behind
                raise
            await self.conn.commit()

    def _check_known(self, version: int) -> None:
        if version > len(MIGRATIONS):
            raise StorageError(
                f"{self.path} has schema version {version}, newer than this Parley knows ({len(MIGRATIONS)})",
                "schema",
            )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception.

        Transactions of different tasks are serialized (they share one connection); a nested
        one in the same task is not waited for (sqlite refuses it, as before)."""
        if self._tx_lock is None:
            self._tx_lock = asyncio.Lock()
        task = asyncio.current_task()
        if task is not None and self._tx_owner is task:
            await self.conn.execute("BEGIN IMMEDIATE")  # raises: nested transaction
        async with self._tx_lock:
            self._tx_owner = task
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                except BaseException:
                    await self.conn.rollback()
                    raise
                else:
                    await self.conn.commit()
            finally:
                self._tx_owner = None
