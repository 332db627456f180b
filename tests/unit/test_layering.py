"""The core never imports discord: only the adapter (bot/discord_io/) and the cogs do."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports_discord(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import) and any(a.name == "discord" or a.name.startswith("discord.") for a in node.names):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and (
                node.module == "discord" or node.module.startswith("discord.")):
            lines.append(node.lineno)
    return lines


def test_nothing_in_bot_outside_the_adapter_imports_discord() -> None:
    offenders = {str(p.relative_to(ROOT)): lines for p in sorted((ROOT / "bot").rglob("*.py"))
                 if "discord_io" not in p.parts and (lines := _imports_discord(p))}
    assert not offenders, f"discord imported outside bot/discord_io/: {offenders}"


def test_the_check_sees_an_import_when_there_is_one(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("import os\nfrom discord.ext import commands\n")
    assert _imports_discord(f) == [2]


def _imported_modules(path: Path) -> dict[str, int]:
    """Every absolute module `path` imports (at any depth, TYPE_CHECKING blocks included) → line."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for a in node.names:
                found.setdefault(a.name, node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.setdefault(node.module, node.lineno)
    return found


# The layers below the practice layer: storage keeps what practice decides, analysis and speech
# judge and hear; none of them may reach up into a session or a front end.
LOWER_LAYERS = ("storage", "analysis", "speech")
UPPER_PACKAGES = ("bot.practice", "bot.discord_io", "cogs")


def test_imports_flow_down_storage_analysis_and_speech_never_import_practice_or_front_ends() -> None:
    offenders = {
        f"{p.relative_to(ROOT)}:{line}": module
        for layer in LOWER_LAYERS for p in sorted((ROOT / "bot" / layer).rglob("*.py"))
        for module, line in _imported_modules(p).items()
        if any(module == up or module.startswith(up + ".") for up in UPPER_PACKAGES)
    }
    assert not offenders, f"a lower layer imports an upper one: {offenders}"


def test_the_downward_check_sees_an_upward_import(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.practice.tailoring import RoleNeeds\n")
    assert _imported_modules(f)["bot.practice.tailoring"] == 3
