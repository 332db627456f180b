"""Persistence on aiosqlite: migrations in db.py, one repository module per concern."""

from bot.storage.db import Database, StorageError

__all__ = ["Database", "StorageError"]
