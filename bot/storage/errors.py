"""The one error the storage layer raises, on either backend."""

from __future__ import annotations


class StorageError(RuntimeError):
    """The database cannot be opened or written; the message says where and why.

    `kind` says what a user can do about it: "place" (choose another path or fix its permissions),
    "busy", "full", "damaged", "io", "schema" or "other". `retryable`: nothing of the failed write
    was kept and running it again may succeed (a Postgres connection lost before COMMIT)."""

    def __init__(self, message: str, kind: str = "other") -> None:
        super().__init__(message)
        self.kind = kind
        self.retryable = False
