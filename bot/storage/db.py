"""The database: sqlite (opening, WAL, foreign keys, migrations by `PRAGMA user_version`) by default,
or Postgres when PARLEY_DATABASE_URL names one (bot/storage/postgres.py: the same API and SQL
through a thin asyncpg adapter, migrations recorded in `parley_schema` under an advisory lock)."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

import aiosqlite

from bot.paths import regular_file_problem
from bot.storage import postgres
from bot.storage.errors import StorageError
from bot.storage.migrations import MIGRATIONS

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)


# How long a write waits for another process's lock before it gives up and says so.
BUSY_TIMEOUT_S = 5.0
# Postgres restarting under a write: how long to wait before each new try (about 8 s in all).
WRITE_RETRY_DELAYS_S: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 4.0)

T = TypeVar("T")


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
    """One connection per process; every multi-statement write goes through `transaction()`.

    `Database(path)` is the embedded sqlite file (the default); `Database("postgresql://…")` is a
    shared Postgres database (PARLEY_DATABASE_URL) behind the same API (bot/storage/postgres.py)."""

    def __init__(self, target: Path | str) -> None:
        self.url = str(target) if postgres.is_postgres_url(target) else ""
        self.path = Path(target) if not self.url else Path()
        self._conn: aiosqlite.Connection | None = None
        self._pg: postgres.PgConnection | None = None
        # One shared connection: concurrent tasks (rounds in several servers) take turns.
        self._tx_lock: asyncio.Lock | None = None
        self._tx_owner: asyncio.Task[object] | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> Database:
        """PARLEY_DATABASE_URL when set, else the sqlite file (PARLEY_DB_PATH or the data folder)."""
        return cls(settings.database_url or settings.database)

    @property
    def dialect(self) -> str:
        return "postgres" if self.url else "sqlite"

    @property
    def where(self) -> str:
        """The database as messages and logs may name it (a URL without its password)."""
        return postgres.redact(self.url) if self.url else str(self.path)

    @property
    def insertion_order(self) -> str:
        """An ORDER BY term for "as inserted" in tables without an id column."""
        return "ctid" if self.url else "rowid"

    @property
    def conn(self) -> aiosqlite.Connection:
        """The connection. On Postgres the adapter answers the part of aiosqlite.Connection that
        storage uses (execute as await or async with, executescript; cursors with fetchone,
        fetchall, rowcount, lastrowid), so it is typed as that one API."""
        if self._pg is not None:
            return cast(aiosqlite.Connection, self._pg)
        if self._conn is None:
            raise StorageError("database is not open; call `await db.open()` first")
        return self._conn

    async def open(self) -> Database:
        if self.url:
            return await self._open_postgres()
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

    async def _open_postgres(self) -> Database:
        pg = postgres.PgConnection(self.url)
        await pg.connect()
        self._pg = pg
        try:
            await self.migrate()
        except BaseException:
            await self.close()
            raise
        log.info("storage: Postgres at %s", self.where)
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
        if self._pg is not None:
            pg, self._pg = self._pg, None
            await pg.close()
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
        if self._pg is not None:
            return await postgres.schema_version(self._pg)
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row is not None else 0

    async def tables(self) -> list[str]:
        """The schema's tables (Parley's own bookkeeping left out), by name."""
        if self._pg is not None:
            return await postgres.tables(self._pg)
        async with self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ) as cur:
            return [str(r[0]) for r in await cur.fetchall()]

    async def columns(self, table: str) -> list[str]:
        if self._pg is not None:
            return await postgres.columns(self._pg, table)
        async with self.conn.execute(f'PRAGMA table_info("{table}")') as cur:
            return [str(r[1]) for r in await cur.fetchall()]

    async def migrate(self) -> int:
        """Apply pending migrations, each in its own exclusive transaction; returns the new version.

        Several processes may open a new database at once: each migration takes the write lock
        (sqlite: BEGIN EXCLUSIVE, waiting up to BUSY_TIMEOUT_S; Postgres: pg_advisory_xact_lock)
        and re-reads the version inside it, so exactly one process applies it and the others see
        it done. A failing migration is rolled back whole (Postgres DDL is transactional too)."""
        version = await self.schema_version()
        while True:
            self._check_known(version)
            if version >= len(MIGRATIONS):
                return len(MIGRATIONS)
            await self._begin("EXCLUSIVE")
            try:
                if self._pg is not None:
                    await postgres.lock_migrations(self._pg)
                version = await self.schema_version()  # another process may have migrated meanwhile
                self._check_known(version)
                if version < len(MIGRATIONS):
                    log.info("migrating %s to schema version %d", self.where, version + 1)
                    statements = _statements(MIGRATIONS[version])
                    if self._pg is not None:
                        statements = postgres.postgres_ddl(statements)
                    for statement in statements:
                        await self.conn.execute(statement)
                    version += 1
                    if self._pg is not None:
                        await postgres.record_version(self._pg, version)
                    else:
                        await self.conn.execute(f"PRAGMA user_version = {version}")
            except BaseException:
                await self.conn.rollback()  # a failing migration leaves nothing behind
                raise
            await self.conn.commit()
            if self._pg is not None:
                self._pg.forget_schema()

    def _check_known(self, version: int) -> None:
        if version > len(MIGRATIONS):
            raise StorageError(
                f"{self.where} has schema version {version}, newer than this Parley knows ({len(MIGRATIONS)})",
                "schema",
            )

    async def _begin(self, mode: str) -> None:
        if self._pg is not None:
            await self._pg.control("BEGIN")
        else:
            await self.conn.execute(f"BEGIN {mode}")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT (Postgres: BEGIN … COMMIT), rolled back on any exception.

        Transactions of different tasks are serialized (they share one connection); a nested
        one in the same task is not waited for (it is refused, as before)."""
        if self._tx_lock is None:
            self._tx_lock = asyncio.Lock()
        task = asyncio.current_task()
        if task is not None and self._tx_owner is task:
            if self._pg is not None:
                raise StorageError("a transaction is already open in this task (transactions do not nest)")
            await self.conn.execute("BEGIN IMMEDIATE")  # raises: nested transaction
        async with self._tx_lock:
            self._tx_owner = task
            try:
                await self._begin("IMMEDIATE")
                if self._pg is not None:
                    self._pg.in_transaction = True
                try:
                    yield self.conn
                except BaseException:
                    await self.conn.rollback()
                    raise
                else:
                    await self.conn.commit()
            finally:
                self._tx_owner = None
                if self._pg is not None:
                    self._pg.in_transaction = False

    async def write(self, body: Callable[[aiosqlite.Connection], Awaitable[T]], *,
                    retries: Sequence[float] | None = None) -> T:
        """Run `body` in one transaction. When Postgres went away before COMMIT (a restart, a
        failover) nothing of it was kept: it is run again on a new connection after each delay in
        `retries`, then reported. A connection lost *during* COMMIT is reported at once (the write
        is whole or absent; running it again could store it twice). On sqlite: one transaction."""
        for delay in (*(WRITE_RETRY_DELAYS_S if retries is None else retries), None):
            try:
                async with self.transaction() as conn:
                    return await body(conn)
            except StorageError as e:
                if not e.retryable or delay is None:
                    raise
                log.warning("%s; writing again in %.1f s", e, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")
