"""Opt-in raw audio: written only for members who turned `keep_audio` on, deleted after
`settings.keep_audio_days`.

By default Parley keeps no audio at all: answers are transcribed from memory. A member may opt
in (`/privacy audio on`) to keep their recordings for a while; each file gets an `audio_files`
row with its expiry, and `purge_expired` (run at start-up and periodically) deletes expired files
and rows, plus files left on disk without a row (a crash between writing and recording).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from bot.clock import WallClock, utc_now
from bot.config import Settings
from bot.paths import remove_files
from bot.speech.audio_format import SAMPLE_RATE
from bot.storage.attempts import ensure_user
from bot.storage.db import Database
from bot.storage.privacy import get_settings

log = logging.getLogger(__name__)

_SAFE_EXT = re.compile(r"^[a-z0-9]{1,5}$")
_ORPHAN_GRACE_S = 600.0  # a file younger than this without a row is left alone


def stamp(dt: datetime) -> str:
    """The database's own UTC format ('2026-11-25T07:42:00.123Z'), which sorts as text."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class PurgeReport:
    rows: int       # expired audio_files rows deleted
    files: int      # files removed from disk (expired ones and orphans)
    orphans: int    # of which had no row


class AudioRetention:
    """Writes and expires kept audio. `clock` returns an aware UTC datetime (tests pass their own)."""

    def __init__(self, settings: Settings, db: Database, *, clock: WallClock = utc_now) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock

    @property
    def root(self) -> Path:
        return self.settings.audio_dir

    async def wants_audio(self, user_id: int) -> bool:
        """True when the member opted in and retention is not switched off server-wide."""
        if self.settings.keep_audio_days <= 0:
            return False
        return (await get_settings(self.db, user_id)).keep_audio

    async def keep(
        self,
        user_id: int,
        audio: bytes | np.ndarray,
        *,
        attempt_id: int | None = None,
        ext: str = "wav",
        rate: int = SAMPLE_RATE,
    ) -> Path | None:
        """Store one recording if (and only if) the member opted in; returns its path or None.

        `audio` is either the encoded file as received (bytes, e.g. a voice message) or mono
        float samples at `rate` (written as WAV).
        """
        if not await self.wants_audio(user_id):
            return None
        ext = "wav" if isinstance(audio, np.ndarray) else ext.lower().lstrip(".")
        if not _SAFE_EXT.match(ext):
            ext = "bin"
        now = self.clock()
        folder = self.root / str(user_id)
        path = folder / f"{now.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.{ext}"
        await asyncio.to_thread(_write, path, audio, rate)
        expires = stamp(now + timedelta(days=self.settings.keep_audio_days))
        try:
            async with self.db.transaction() as conn:
                await ensure_user(self.db, user_id)
                await conn.execute(
                    "INSERT INTO audio_files(user_id, attempt_id, path, expires_at) VALUES(?, ?, ?, ?)",
                    (user_id, attempt_id, str(path), expires),
                )
        except BaseException:
            path.unlink(missing_ok=True)  # no row, no file
            raise
        return path

    async def purge_expired(self) -> PurgeReport:
        """Delete expired recordings (rows and files) and files no row refers to."""
        now = stamp(self.clock())
        async with self.db.transaction() as conn:
            async with conn.execute("SELECT path FROM audio_files WHERE expires_at <= ?", (now,)) as cur:
                expired = [Path(r[0]) for r in await cur.fetchall()]
            cur = await conn.execute("DELETE FROM audio_files WHERE expires_at <= ?", (now,))
            rows = cur.rowcount or 0
        async with self.db.conn.execute("SELECT path FROM audio_files") as cur:
            live = {str(Path(r[0])) for r in await cur.fetchall()}
        files, orphans = await asyncio.to_thread(_remove, expired, self.root, live)
        if rows or files:
            log.info("audio retention: %d expired recordings removed (%d orphan files)", rows, orphans)
        return PurgeReport(rows=rows, files=files, orphans=orphans)


def _write(path: Path, audio: bytes | np.ndarray, rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(audio, np.ndarray):
        from bot.speech.audio import write_wav

        write_wav(path, audio, rate)
    else:
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(audio)
        tmp.replace(path)


def _remove(expired: list[Path], root: Path, live: set[str]) -> tuple[int, int]:
    files, _ = remove_files(expired, what="an expired recording")
    orphans = 0
    if root.is_dir():
        for p in root.rglob("*"):
            if p.is_file() and str(p) not in live:
                try:
                    if time.time() - p.stat().st_mtime < _ORPHAN_GRACE_S:
                        continue  # may be a recording whose row is being written right now
                    p.unlink()
                    orphans += 1
                except OSError:
                    pass
        for d in sorted((d for d in root.iterdir() if d.is_dir()), reverse=True):
            try:
                d.rmdir()  # only empty folders go
            except OSError:
                pass
    return files + orphans, orphans
