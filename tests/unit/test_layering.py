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
