"""Postgres behind the same storage API as sqlite: a thin connection adapter over asyncpg.

Why an adapter and not SQLAlchemy Core: the storage modules are ~1,600 lines of plain SQL that is
already (nearly) portable: upserts with ON CONFLICT, LIKE … ESCAPE, COALESCE, sub-selects. Rewriting
them as Core expressions would touch every query and add a dependency on both backends; this module
is one file that makes the existing SQL run on Postgres unchanged:

* `?` placeholders become `$1, $2, …` (outside quoted strings and identifiers);
* an INSERT into a table with an `id` column gets `RETURNING id`, so `cursor.lastrowid` and
  `cursor.rowcount` mean what they mean on sqlite (0 rows when ON CONFLICT DO NOTHING skipped it);
* rows are asyncpg Records, which answer `r["column"]`, `r[0]` and `r.keys()` as sqlite rows do;
* the migrations' DDL is translated (`postgres_ddl`): INTEGER → BIGINT (Discord ids are 64-bit),
  AUTOINCREMENT keys → BIGSERIAL, REAL → DOUBLE PRECISION, sqlite's UTC timestamp default → the
  same text from `to_char`, and CREATE TABLEs ordered so a table exists before one refers to it;
* Postgres errors become the same `StorageError` kinds as sqlite's (busy, full, damaged, place,
  io, schema); a lost connection is reconnected at the next statement outside a transaction.

Like the sqlite backend, a process holds ONE connection and its tasks take turns on it (each
statement under a lock; whole transactions under `Database.transaction`'s lock).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Generator, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bot.storage.errors import StorageError

log = logging.getLogger(__name__)

URL_SCHEMES = ("postgresql://", "postgres://")
# A lock that stays held longer than this is reported as "busy" (sqlite waits BUSY_TIMEOUT_S too).
LOCK_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 10.0
# pg_advisory_xact_lock key for migrations: any constant shared by every Parley process ("PARLEY" in hex-ish)
MIGRATION_LOCK_KEY = 0x5041524C4559


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def redact(url: str) -> str:
    """The URL without its password (and without query parameters, which may hold one): safe to log."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = host + (f":{parts.port}" if parts.port else "")
        if parts.username:
            netloc = f"{parts.username}{':***' if parts.password else ''}@{netloc}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:
        return "postgresql://(unreadable URL)"


# ------------------------------------------------------------------------------------- SQL

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|--[^\n]*|\?")
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+\"?(\w+)\"?", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)


def placeholders(sql: str) -> str:
    """sqlite's `?` as Postgres' `$n`, leaving quoted text, identifiers and comments alone."""
    n = 0

    def swap(m: re.Match[str]) -> str:
        nonlocal n
        if m.group(0) != "?":
            return m.group(0)
        n += 1
        return f"${n}"

    return _TOKENS.sub(swap, sql)


_SQLITE_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
PG_NOW = "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
_CREATE = re.compile(r"^\s*CREATE\s+TABLE\s+(\w+)", re.IGNORECASE)
_REFERENCES = re.compile(r"\bREFERENCES\s+(\w+)", re.IGNORECASE)


def postgres_ddl(statements: Sequence[str]) -> list[str]:
    """A migration's sqlite statements as Postgres statements (see the module docstring)."""
    out = []
    for s in statements:
        s = s.replace(_SQLITE_NOW, PG_NOW)
        s = re.sub(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b", "BIGSERIAL PRIMARY KEY", s, flags=re.IGNORECASE)
        s = re.sub(r"\bINTEGER\b", "BIGINT", s, flags=re.IGNORECASE)
        s = re.sub(r"\bREAL\b", "DOUBLE PRECISION", s, flags=re.IGNORECASE)
        out.append(s)
    # sqlite accepts a reference to a table created later in the same script; Postgres does not
    created = {m.group(1).lower(): i for i, s in enumerate(out) if (m := _CREATE.match(s))}
    ordered: list[str] = []
    placed: set[int] = set()

    def place(i: int, seen: frozenset[int]) -> None:
        if i in placed or i in seen:
            return
        m = _CREATE.match(out[i])
        if m:
            for ref in _REFERENCES.findall(out[i]):
                j = created.get(ref.lower())
                if j is not None and j != i:
                    place(j, seen | {i})
        placed.add(i)
        ordered.append(out[i])

    for i in range(len(out)):
        place(i, frozenset())
    return ordered


# ------------------------------------------------------------------------------------- errors

def _asyncpg() -> Any:
    try:
        import asyncpg
    except ImportError:
        raise StorageError(
            "PARLEY_DATABASE_URL names a Postgres database, but asyncpg is not installed: "
            "pip install -e '.[scale]'", "place") from None
    return asyncpg


def connection_lost(e: BaseException) -> bool:
    """Whether `e` means the server or the connection went away (not a refused statement)."""
    asyncpg = _asyncpg()
    if isinstance(e, (OSError, asyncpg.exceptions.ConnectionDoesNotExistError,
                      asyncpg.exceptions.InterfaceError)):
        return True
    code = getattr(e, "sqlstate", "") or ""
    return code.startswith("08") or code in ("57P01", "57P02", "57P03")


def pg_error(url: str, e: BaseException, *, opening: bool = False, during_commit: bool = False) -> StorageError:
    """A StorageError naming the real problem behind a Postgres or connection error."""
    where = redact(url)
    what = f"cannot open the database {where}" if opening else f"the database {where}"
    code = getattr(e, "sqlstate", "") or ""
    if connection_lost(e):
        if opening:
            reason = str(e) or type(e).__name__
            return StorageError(f"{what}: the server is not reachable ({reason}); is it running and is "
                                "PARLEY_DATABASE_URL right?", "io")
        if during_commit:
            return StorageError(f"{what}: the connection was lost while committing; the write may or may "
                                "not have been saved (it is whole or absent, never half-written)", "io")
        err = StorageError(f"{what}: the connection to the server was lost ({type(e).__name__}); nothing of "
                           "the interrupted write was saved", "io")
        err.retryable = True
        return err
    if code in ("55P03", "40001", "40P01", "57014"):
        return StorageError(f"{what} is busy: another process held a lock for more than {LOCK_TIMEOUT_S:g} s "
                            "(nothing was changed; try again when it has finished)", "busy")
    if code == "53100" or code.startswith("53"):
        return StorageError(f"{what} cannot be written: the server is out of disk or memory ({e}); "
                            "nothing was changed", "full")
    if code in ("XX001", "XX002"):
        return StorageError(f"{what} is damaged ({e}); Parley leaves it as it is: restore a backup", "damaged")
    if code.startswith("28") or code in ("3D000", "42501", "25006"):
        return StorageError(f"{what}: {e} (check PARLEY_DATABASE_URL: user, password, database name, "
                            "and the user's rights)", "place")
    return StorageError(f"{what}: {e}")


# ------------------------------------------------------------------------------------- the adapter

class PgCursor:
    """What storage reads from a cursor: fetchone, fetchall, rowcount, lastrowid."""

    def __init__(self, rows: list[Any], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self._at = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> Any:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    async def fetchall(self) -> list[Any]:
        rest = self._rows[self._at:]
        self._at = len(self._rows)
        return rest

    async def close(self) -> None:
        return None


class _Pending:
    """`conn.execute(...)` is awaited or used in `async with`, as aiosqlite's result is."""

    def __init__(self, run: Awaitable[PgCursor]) -> None:
        self._run = run

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return self._run.__await__()

    async def __aenter__(self) -> PgCursor:
        return await self._run

    async def __aexit__(self, *exc: object) -> None:
        return None


class PgConnection:
    """The subset of aiosqlite.Connection the storage modules use, on one asyncpg connection."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._raw: Any = None
        self._op = asyncio.Lock()
        self._id_tables: set[str] | None = None
        self.in_transaction = False

    async def connect(self) -> None:
        asyncpg = _asyncpg()
        try:
            self._raw = await asyncpg.connect(
                self.url, timeout=CONNECT_TIMEOUT_S,
                server_settings={"lock_timeout": f"{int(LOCK_TIMEOUT_S * 1000)}ms", "application_name": "parley"},
            )
        except (asyncpg.PostgresError, OSError, asyncpg.exceptions.InterfaceError) as e:
            raise pg_error(self.url, e, opening=True) from None
        except ValueError as e:  # asyncpg's parser: a malformed URL
            raise StorageError(f"PARLEY_DATABASE_URL is not a usable Postgres URL ({redact(self.url)}): {e}",
                               "place") from None

    async def close(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            try:
                await asyncio.wait_for(raw.close(), 5.0)
            except Exception:  # the server is gone already: nothing to close politely
                raw.terminate()

    @property
    def raw(self) -> Any:
        return self._raw

    async def _ensure(self) -> Any:
        """The live connection; a lost one is replaced, but never in the middle of a transaction."""
        if self._raw is not None and not self._raw.is_closed():
            return self._raw
        if self.in_transaction:
            raise pg_error(self.url, _asyncpg().exceptions.ConnectionDoesNotExistError("connection lost"))
        log.info("reconnecting to %s", redact(self.url))
        try:
            await self.connect()
        except StorageError as e:
            e.retryable = e.kind == "io"  # the server is still away: a later try may find it back
            raise
        return self._raw

    async def _id_tables_now(self, raw: Any) -> set[str]:
        if self._id_tables is None:
            rows = await raw.fetch("SELECT table_name FROM information_schema.columns"
                                   " WHERE table_schema = current_schema() AND column_name = 'id'")
            self._id_tables = {r[0] for r in rows}
        return self._id_tables

    def forget_schema(self) -> None:
        self._id_tables = None

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> _Pending:
        return _Pending(self._execute(sql, tuple(parameters or ())))

    async def _execute(self, sql: str, args: tuple[Any, ...]) -> PgCursor:
        asyncpg = _asyncpg()
        async with self._op:
            try:
                raw = await self._ensure()
                text = placeholders(sql)
                head = sql.lstrip()[:7].upper()
                insert = _INSERT.match(sql)
                if insert and not _RETURNING.search(sql) and insert.group(1) in await self._id_tables_now(raw):
                    rows = await raw.fetch(text + " RETURNING id", *args)
                    return PgCursor([], len(rows), int(rows[-1][0]) if rows else None)
                if head.startswith(("SELECT", "WITH")) or _RETURNING.search(sql):
                    rows = await raw.fetch(text, *args)
                    return PgCursor(list(rows), -1 if head.startswith("SELECT") else len(rows), None)
                status = await raw.execute(text, *args)
                if head.startswith(("CREATE", "ALTER", "DROP")):
                    self.forget_schema()
                return PgCursor([], _count(status), None)
            except asyncpg.PostgresError as e:
                raise pg_error(self.url, e) from None
            except (OSError, asyncpg.exceptions.InterfaceError) as e:
                raise pg_error(self.url, e) from None

    async def executemany(self, sql: str, seq_of_parameters: Iterable[Iterable[Any]]) -> PgCursor:
        total = 0
        for args in seq_of_parameters:
            total += max(0, (await self._execute(sql, tuple(args))).rowcount)
        return PgCursor([], total, None)

    async def executescript(self, script: str) -> None:
        """Several statements at once (no parameters), as sqlite's executescript."""
        asyncpg = _asyncpg()
        async with self._op:
            try:
                raw = await self._ensure()
                await raw.execute(script)
            except (asyncpg.PostgresError, OSError, asyncpg.exceptions.InterfaceError) as e:
                raise pg_error(self.url, e) from None
            finally:
                self.forget_schema()

    async def control(self, statement: str, *, commit: bool = False) -> None:
        """BEGIN / COMMIT / ROLLBACK. A lost connection during COMMIT is reported as such."""
        asyncpg = _asyncpg()
        async with self._op:
            try:
                raw = await self._ensure() if statement == "BEGIN" else self._raw
                if raw is None or raw.is_closed():
                    if statement == "ROLLBACK":
                        return  # the server rolled it back when the connection went
                    raise asyncpg.exceptions.ConnectionDoesNotExistError("connection lost")
                await raw.execute(statement)
            except (asyncpg.PostgresError, OSError, asyncpg.exceptions.InterfaceError) as e:
                if statement == "ROLLBACK" and connection_lost(e):
                    return
                raise pg_error(self.url, e, during_commit=commit) from None

    async def commit(self) -> None:
        await self.control("COMMIT", commit=True)

    async def rollback(self) -> None:
        await self.control("ROLLBACK")


def _count(status: str) -> int:
    """The row count in a command tag ("INSERT 0 1", "UPDATE 3", "DELETE 0")."""
    last = status.rsplit(" ", 1)[-1] if status else ""
    return int(last) if last.isdigit() else -1


# ------------------------------------------------------------------------------------- migrations

VERSION_TABLE = "parley_schema"


async def schema_version(conn: PgConnection) -> int:
    async with conn.execute(f"SELECT to_regclass('{VERSION_TABLE}') IS NOT NULL") as cur:
        row = await cur.fetchone()
    if not row or not row[0]:
        return 0
    async with conn.execute(f"SELECT COALESCE(MAX(version), 0) FROM {VERSION_TABLE}") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def lock_migrations(conn: PgConnection) -> None:
    """Inside the migration's transaction: wait for any other process migrating (released at COMMIT),
    and make sure the version table exists (created under the lock, so two processes never race)."""
    await conn.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
    await conn.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version BIGINT PRIMARY KEY,"
                       f" applied_at TEXT NOT NULL DEFAULT ({PG_NOW}))")


async def record_version(conn: PgConnection, version: int) -> None:
    await conn.execute(f"INSERT INTO {VERSION_TABLE}(version) VALUES(?)", (version,))


async def tables(conn: PgConnection) -> list[str]:
    async with conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        f" AND table_type = 'BASE TABLE' AND table_name != '{VERSION_TABLE}' ORDER BY table_name"
    ) as cur:
        return [str(r[0]) for r in await cur.fetchall()]


async def columns(conn: PgConnection, table: str) -> list[str]:
    async with conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = ? ORDER BY ordinal_position", (table,)
    ) as cur:
        return [str(r[0]) for r in await cur.fetchall()]
