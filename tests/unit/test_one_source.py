"""Facts kept in one place: the category wording, Discord's audio format, "long silence", flag codes."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.analysis.scoring import CODE_ORDER, FlagCode
from bot.config import LONG_SILENCE_S, Settings
from bot.models import CATEGORIES, category_label
from bot.practice.listening import ListenerConfig
from bot.speech.audio_format import DISCORD_RATE, FRAME_BYTES, FRAME_S, PCM_BYTES_PER_SECOND, SAMPLE_RATE

ROOT = Path(__file__).resolve().parents[2]


def test_each_category_has_one_label_for_every_front_end() -> None:
    assert [category_label(c) for c in CATEGORIES] == ["Coding", "Backend fundamentals", "System design", "Behavioral"]
    assert category_label("new_kind") == "New kind"  # a category the bank adds later still reads well


def test_no_module_defines_its_own_category_label() -> None:
    files = sorted((ROOT / "bot").rglob("*.py")) + sorted((ROOT / "cogs").rglob("*.py"))
    defs = [f"{p.relative_to(ROOT)}:{n.lineno}" for p in files
            for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
            if isinstance(n, ast.FunctionDef) and "category_label" in n.name]
    assert [d.split(":")[0] for d in defs] == ["bot/models.py"], defs


def test_discord_audio_format() -> None:
    assert (SAMPLE_RATE, DISCORD_RATE, FRAME_S) == (16000, 48000, 0.02)
    assert PCM_BYTES_PER_SECOND == 192_000 and FRAME_BYTES == 3840


def test_long_silence_is_one_threshold_for_the_nudge_and_the_flag() -> None:
    assert Settings().long_silence_s == LONG_SILENCE_S == ListenerConfig().long_silence_s
    s = Settings(long_silence_s=6.0, end_silence_s=20.0)
    assert ListenerConfig.from_settings(s).long_silence_s == 6.0  # the nudge follows PARLEY_LONG_SILENCE_S


def test_flag_codes_are_their_own_strings() -> None:
    assert FlagCode.LONG_SILENCE == "long_silence" and str(FlagCode.LONG_SILENCE) == "long_silence"
    assert f"{FlagCode.SLOW_START}" == "slow_start"
    assert FlagCode.missing("tests") is FlagCode.MISSING_TESTS and FlagCode.missing("learning") == "missing_learning"
    assert all(isinstance(c, FlagCode) for c in CODE_ORDER)
