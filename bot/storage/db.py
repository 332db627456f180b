"""The sqlite database: opening, WAL, foreign keys and migrations by `PRAGMA user_version`."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import aiosqlite

from bot.storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)


class StorageError(RuntimeError):
    """The database cannot be opened or written; the message says where and why."""


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

    async def open(self) -> "Database":
        if self.path != Path(":memory:"):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StorageError(f"cannot create the database folder {self.path.parent}: {e.strerror}") from None
        try:
            self._conn = await aiosqlite.connect(self.path)
            self._conn.row_factory = aiosqlite.Row
            await self._conn.execute("PRAGMA foreign_keys = ON")
            await self._conn.execute("PRAGMA journal_mode = WAL")
            await self._conn.execute("PRAGMA synchronous = NORMAL")
            await self._conn.execute("PRAGMA busy_timeout = 5000")
            await self.migrate()
        except sqlite3.Error as e:
            await self.close()
            raise StorageError(f"cannot open the database {self.path}: {e}") from None
        except BaseException:
            await self.close()  # e.g. a schema newer than this code: never leave the connection open
            raise
        return self

    async def close(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.close()
            finally:
                self._conn = None

    async def __aenter__(self) -> "Database":
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def schema_version(self) -> int:
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0])

    async def migrate(self) -> int:
        """Apply pending migrations, each in its own transaction; returns the new version."""
        version = await self.schema_version()
        if version > len(MIGRATIONS):
            raise StorageError(
                f"{self.path} has schema version {version}, newer than this Parley knows ({len(MIGRATIONS)})"
            )
        for i, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            log.info("migrating %s to schema version %d", self.path, i)
            # executescript commits first; wrap in BEGIN/COMMIT so a failing migration leaves nothing behind
            await self.conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {i};\nCOMMIT;")
        return len(MIGRATIONS)

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
