"""The labelled answer sets and what each may be used for.

    tests/data/*.toml         dev: written beside the rules; free to study (scores there measure memory)
    tests/data/train/*.toml   train: independent writers, one persona each (docs/labels.md); free to study
    tests/data/train_spoken/  train: a quarter of those, as the recogniser printed them after espeak-ng spoke them
    tests/data/sealed/*.toml  sealed: independent writers; scored, never studied, never trained on.
                              Their hashes are in tests/data/sealed/MANIFEST.sha256.

Two file shapes exist: `[[answers]]` with `question_id` and a `labels` table (the first dev file), and
`[[answer]]` with `question`, `assumptions`, `outcome` and the spoken fields (all others).
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from bench.eval_heldout import HeldoutAnswer, load_answers
from bot.models import Question

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
DEV_FILES = sorted(DATA.glob("*.toml"))
TRAIN_DIR = DATA / "train"
SEALED_DIR = DATA / "sealed"
MANIFEST = SEALED_DIR / "MANIFEST.sha256"


def load_any(path: Path) -> list[HeldoutAnswer]:
    """Answers of one file, either shape."""
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    if "answer" in raw:
        return load_answers(path)
    out = []
    for item in raw.get("answers", []):
        labels = {k: bool(v) for k, v in item.get("labels", {}).items()}
        if "assumptions" not in labels or "outcome" not in labels:
            continue
        out.append(HeldoutAnswer(id=item["id"], question=item["question_id"], persona=item.get("persona", ""),
                                 text=" ".join(item["text"].split()), labels=labels))
    return out


def load_files(paths: list[Path]) -> list[HeldoutAnswer]:
    answers: list[HeldoutAnswer] = []
    seen: set[str] = set()
    for p in paths:
        for a in load_any(p):
            if a.id in seen:
                raise ValueError(f"{p}: duplicate answer id {a.id!r}")
            seen.add(a.id)
            answers.append(a)
    return answers


def dev_answers() -> list[HeldoutAnswer]:
    return load_files(DEV_FILES)


def train_files() -> list[Path]:
    return sorted(TRAIN_DIR.glob("*.toml"))


SPOKEN_SUFFIX = "-sp"  # ids of the spoken copies (bench/make_spoken_train.py)


def spoken_train_files() -> list[Path]:
    """Training answers as whisper printed them after espeak-ng spoke them (bench/make_spoken_train.py)."""
    return sorted((DATA / "train_spoken").glob("*.toml"))


def sealed_files() -> list[Path]:
    return sorted(SEALED_DIR.glob("*.toml"))


_PREFIX_CATEGORY = {"coding": "coding", "fund": "fundamentals", "design": "system_design", "behav": "behavioral"}


def questions_for(answers: list[HeldoutAnswer]) -> dict[str, Question]:
    """The bank question of each answer's id; an id the bank no longer has (older dev answers) gets a
    stand-in with the category read off the id's prefix."""
    from bot.bank import load_bank
    from bot.config import Settings

    bank = load_bank(Settings.from_env({}).bank_dir)
    out: dict[str, Question] = {}
    for a in answers:
        if a.question in out:
            continue
        if a.question in bank:
            out[a.question] = bank.get(a.question)
        else:
            cat = _PREFIX_CATEGORY.get(a.question.split("-", 1)[0], "coding")
            out[a.question] = Question(id=a.question, category=cat, prompt="", follow_ups=(), expected=(),
                                       key_points=(), target_seconds=120, difficulty="medium")
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest() -> dict[str, str]:
    """file name -> recorded sha256."""
    out = {}
    for line in MANIFEST.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            out[name.strip()] = digest
    return out
