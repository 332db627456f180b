"""Persistence on aiosqlite (default) or Postgres through asyncpg: migrations in db.py, one
repository module per concern; bot/storage/postgres.py says why an adapter and not SQLAlchemy."""

from bot.storage.db import Database, StorageError

__all__ = ["Database", "StorageError"]
