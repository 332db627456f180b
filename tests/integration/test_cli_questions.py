"""`python -m bot questions --for TEXT_OR_@FILE`, run as a user runs it (a real subprocess, real files)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import run_cli as cli
from tests.role_texts import DATA_PLATFORM, PAYMENTS, SRE


def _ids(stdout: str) -> list[str]:
    return re.findall(r"^\s*\d+\. (\S+)\s+\[", stdout, re.M)


def test_help(tmp_path):
    p = cli("questions", "--help", data_dir=tmp_path)
    assert p.returncode == 0 and "--for" in p.stdout and "@" in p.stdout


@pytest.mark.slow  # several CLI processes
def test_three_descriptions_from_files_give_their_own_picks(tmp_path):
    picks = {}
    for name, text in (("pay", PAYMENTS), ("data", DATA_PLATFORM), ("sre", SRE)):
        f = tmp_path / f"{name}.txt"
        f.write_text(text, encoding="utf-8")
        p = cli("questions", "--for", f"@{f}", "--count", "4", data_dir=tmp_path)
        assert p.returncode == 0, p.stderr
        assert "Skills the description asks for" in p.stdout
        ids = _ids(p.stdout)
        assert len(ids) == 4 and len(set(ids)) == 4
        assert p.stdout.count("Picked because it exercises") == 4
        picks[name] = set(ids)
        again = cli("questions", "--for", f"@{f}", "--count", "4", data_dir=tmp_path)
        assert _ids(again.stdout) == ids  # the same text gives the same picks
    assert picks["pay"] != picks["data"] != picks["sre"] != picks["pay"]
    assert "design-telemetry-ingestion" in picks["data"] or "fund-telemetry-data-model" in picks["data"]


def test_inline_text_with_count_and_category(tmp_path):
    p = cli("questions", "--for", "Backend engineer: Kafka, Postgres, on-call", "--count", "2",
            "--category", "fundamentals", data_dir=tmp_path)
    assert p.returncode == 0, p.stderr
    assert len(_ids(p.stdout)) == 2 and p.stdout.count("[fundamentals,") == 2


@pytest.mark.slow  # several CLI processes
def test_bad_input_is_one_clear_line(tmp_path):
    huge = tmp_path / "huge.txt"
    huge.write_text("requirements " * 20_000)
    binary = tmp_path / "cv.pdf"
    binary.write_bytes(b"%PDF-1.4\xff\xfe\x00\x81")
    cases = [
        (("--for", ""), "empty or too short"),
        (("--for", f"@{huge}"), "too long"),
        (("--for", f"@{tmp_path / 'missing.txt'}"), "no such file"),
        (("--for", f"@{binary}"), "not UTF-8 text"),
        (("--for", "@"), "needs a file name"),
        (("--for", "Ingeniero de backend con experiencia en bases de datos y sistemas distribuidos para "
                   "nuestro equipo de pagos en la ciudad de Madrid desde el primer día"), "English"),
        (("--for", "Kafka", "--count", "0"), "--count must be from 1 to 20"),
    ]
    for args, words in cases:
        p = cli("questions", *args, data_dir=tmp_path)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert "Traceback" not in p.stderr and p.stdout == ""
        assert p.stderr.startswith("error: ") and words in p.stderr, (args, p.stderr)
