"""A server's daily push schedule as stored: the settings and how a member types them.

Below storage and practice: bot/storage/daily.py stores a `Schedule`, bot/practice/daily.py
computes its pushes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


class ScheduleError(ValueError):
    """A schedule setting is not usable; the message says what to type instead."""


def parse_time_local(text: str) -> time:
    """'9:00', '09:00', '21:30' → time. Rejects anything else with an example."""
    raw = text.strip()
    parts = raw.split(":")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise ScheduleError(f"'{raw}' is not a time; use 24-hour HH:MM, for example 09:00 or 18:30.")
    hour, minute = int(parts[0]), int(parts[1])
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ScheduleError(f"'{raw}' is out of range; hours go 00–23 and minutes 00–59.")
    return time(hour, minute)


def format_time_local(t: time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def parse_timezone(name: str) -> ZoneInfo:
    """An IANA zone name such as Europe/Berlin; a clear error suggesting close names otherwise."""
    raw = name.strip()
    if raw.upper() in ("UTC", "GMT", "Z"):
        return ZoneInfo("UTC")
    try:
        if not raw or raw.startswith("/") or ".." in raw:
            raise ZoneInfoNotFoundError(raw)
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        needle = raw.lower().replace(" ", "_")
        close = sorted(z for z in available_timezones() if needle and needle.split("/")[-1] in z.lower())[:3]
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ScheduleError(
            f"'{raw}' is not a time zone I know; use an IANA name like America/New_York, "
            f"Europe/Berlin or Asia/Kolkata.{hint}"
        ) from None


@dataclass(frozen=True)
class Schedule:
    """One server's daily push settings, as stored."""

    guild_id: int
    channel_id: int
    time_local: time
    tz: ZoneInfo
    categories: tuple[str, ...] = ()
    paused: bool = False
    last_push_utc: datetime | None = None
    active_since: datetime | None = None

    @property
    def timezone_name(self) -> str:
        return self.tz.key
