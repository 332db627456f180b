"""The question bank: the shipped files load and cover the seed; malformed banks fail clearly."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest

from bot.bank import Bank, BankError, NoMatchingQuestion, UnknownQuestion, load_bank, validate_report
from bot.models import CATEGORIES, DIFFICULTIES, STRUCTURE_ELEMENTS

ROOT = Path(__file__).resolve().parents[2]
BANK_DIR = ROOT / "question_bank"


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank(BANK_DIR)


# --------------------------------------------------------------------------- the real bank


def test_real_bank_size_and_categories(bank: Bank) -> None:
    assert len(bank) >= 40
    assert set(bank.categories()) == set(CATEGORIES)
    per_cat = Counter(q.category for q in bank)
    assert all(per_cat[c] >= 12 for c in CATEGORIES), per_cat
    # every file holds only its own category
    for q in bank:
        assert Path(q.source_file).stem == q.category, (q.id, q.source_file)


def test_ids_unique_and_slugs(bank: Bank) -> None:
    ids = bank.ids()
    assert len(ids) == len(set(ids))
    for qid in ids:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", qid), qid
    # the example id of the analyze contract (docs/architecture.md) exists
    assert bank.get("design-telemetry-ingestion").category == "system_design"


def _text(q) -> str:
    return " ".join([q.id, q.prompt]).lower()


# Each theme the seed names → words that must all appear in one question's id or prompt.
SEED_THEMES: dict[str, list[tuple[str, ...]]] = {
    "coding": [
        ("rate limit",),
        ("duplicate", "stream"),
        ("overlap", "window", "sensor"),
        ("most often",),  # top-k frequent identifiers
        ("retr", "same answer"),  # retry-safe processing of repeated requests
        ("string",),
        ("graph", "route"),  # shortest path
        ("brackets",),  # stacks
        ("sorted", "log"),  # heaps: merging sorted streams
        ("non-overlapping",),  # intervals and DP
        ("fewest",),  # DP
        ("thread",),  # concurrency and race conditions
        ("depend",),  # graphs: topological order
    ],
    "fundamentals": [
        ("idempotent", "payment"),
        ("dependency", "slow"),
        ("sql", "nosql"),
        ("telemetry", "write"),
        ("metrics", "alerts", "launch"),
        ("cache", "stale"),
        ("shard",),
        ("exactly-once", "at-least-once"),
        ("backpressure", "retry", "dead-letter"),
        ("authentication", "authorization", "secrets", "audit"),
        ("event-driven",),
        ("consistency",),
    ],
    "system_design": [
        ("telemetry", "vehicles"),
        ("factory", "supply-chain"),
        ("status", "devices"),
        ("job", "workers"),
        ("auditable", "retry"),
        ("inventory",),
        ("reads", "writes", "scale"),
        ("rate-limit",),
        ("caching",),
    ],
    "behavioral": [
        ("end to end",),
        ("production issue",),
        ("disagreed", "architecture"),
        ("requirements", "changed suddenly"),
        ("moving fast", "exactly right"),  # speed versus correctness
        ("faster or cheaper",),  # performance improvement
        ("vague",),  # ambiguous project
        ("got wrong", "failed"),
        ("ownership",),
        ("conflict",),
    ],
}


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_seed_theme_is_covered(bank: Bank, category: str) -> None:
    texts = [_text(q) for q in bank.by_category(category)]
    missing = [words for words in SEED_THEMES[category] if not any(all(w in t for w in words) for t in texts)]
    assert not missing, f"{category}: no question covers {missing}"


def test_seed_coding_prompts_have_their_own_questions(bank: Bank) -> None:
    for qid in (
        "coding-rate-limiter",
        "coding-duplicate-events",
        "coding-merge-sensor-windows",
        "coding-top-k-identifiers",
        "coding-retry-safe-processing",
        "fund-idempotency-payments",
        "fund-slow-downstream",
        "fund-sql-vs-nosql",
        "fund-telemetry-data-model",
        "fund-launch-metrics-alerts",
        "design-factory-workflow-api",
        "design-device-status-tracking",
        "design-job-queue-workers",
        "design-audited-command-service",
        "behav-production-incident",
    ):
        assert qid in bank, qid


EXPECT_ALWAYS = {
    "coding": {"assumptions", "baseline", "complexity", "tests", "outcome"},
    "fundamentals": {"assumptions", "tradeoffs", "outcome"},
    "system_design": {"assumptions", "requirements", "architecture", "failure_modes", "tradeoffs", "outcome"},
    "behavioral": {"assumptions", "scope", "result", "learning", "ownership", "outcome"},
}
# Elements that belong to one family and make no sense elsewhere.
FOREIGN = {
    "coding": {"scope", "result", "learning", "ownership", "entities_apis"},
    "fundamentals": {"restate", "baseline", "scope", "result", "ownership"},
    "system_design": {"restate", "baseline", "tests", "scope", "result", "ownership"},
    "behavioral": {"restate", "baseline", "complexity", "tests", "entities_apis", "architecture", "scale"},
}
TARGET_RANGE = {"coding": (90, 300), "fundamentals": (60, 180), "system_design": (150, 420), "behavioral": (60, 200)}


def test_expected_elements_fit_the_category(bank: Bank) -> None:
    for q in bank:
        assert set(q.expected) <= set(STRUCTURE_ELEMENTS), q.id
        assert EXPECT_ALWAYS[q.category] <= set(q.expected), (q.id, EXPECT_ALWAYS[q.category] - set(q.expected))
        assert not FOREIGN[q.category] & set(q.expected), (q.id, FOREIGN[q.category] & set(q.expected))


def test_question_fields_are_usable(bank: Bank) -> None:
    for q in bank:
        lo, hi = TARGET_RANGE[q.category]
        assert lo <= q.target_seconds <= hi, (q.id, q.target_seconds)
        assert q.difficulty in DIFFICULTIES
        # spoken aloud: short, no markdown
        sentences = [s for s in re.split(r"(?<=[.?!])\s+", q.prompt) if s]
        assert 1 <= len(sentences) <= 3, (q.id, len(sentences))
        assert not re.search(r"[*_`#\[\]<>]", q.prompt), q.id
        assert q.prompt.rstrip().endswith((".", "?")), q.id
        assert q.hint, q.id
        assert 2 <= len(q.follow_ups) <= 4, q.id
        assert all(f.endswith("?") or f.endswith(".") for f in q.follow_ups), q.id
        assert 3 <= len(q.key_points) <= 6, q.id
        for kp in q.key_points:
            assert len(kp.triggers) >= 3, (q.id, kp.id)
            assert all(t == t.lower() and t.strip() == t for t in kp.triggers), (q.id, kp.id)
        assert len({kp.id for kp in q.key_points}) == len(q.key_points), q.id


def test_every_category_offers_every_difficulty(bank: Bank) -> None:
    for cat in CATEGORIES:
        for diff in DIFFICULTIES:
            assert bank.pick(category=cat, difficulty=diff, rng=random.Random(0)).difficulty == diff


def test_validate_report_counts(bank: Bank) -> None:
    report = validate_report(bank)
    assert f"{len(bank)} questions in 4 files" in report
    for cat in CATEGORIES:
        per = Counter(q.difficulty for q in bank.by_category(cat))
        row = next(line for line in report.splitlines() if line.strip().startswith(cat + " "))
        assert row.split()[1:] == [str(len(bank.by_category(cat)))] + [str(per[d]) for d in DIFFICULTIES]


# --------------------------------------------------------------------------- look-ups


def test_get_and_unknown_question_suggestions(bank: Bank) -> None:
    assert bank.get("coding-rate-limiter").id == "coding-rate-limiter"
    assert bank.get(" Coding-Rate-Limiter ").id == "coding-rate-limiter"
    with pytest.raises(UnknownQuestion) as exc:
        bank.get("coding-rate-limitr")
    assert isinstance(exc.value, KeyError)
    assert str(exc.value) == "unknown question id 'coding-rate-limitr'; did you mean: coding-rate-limiter?"
    assert exc.value.args[0] == str(exc.value)
    with pytest.raises(UnknownQuestion) as exc:
        bank.get("telemetry")
    assert set(exc.value.suggestions) == {"fund-telemetry-data-model", "design-telemetry-ingestion"}
    with pytest.raises(UnknownQuestion) as exc:
        bank.get("zzzz")
    assert str(exc.value) == "unknown question id 'zzzz'"


def test_pick_filters_and_exclude(bank: Bank) -> None:
    rng = random.Random(7)
    seen = set()
    for _ in range(60):
        q = bank.pick(category="behavioral", rng=rng)
        assert q.category == "behavioral"
        seen.add(q.id)
    assert len(seen) > 5  # it is random, not always the same question
    assert bank.pick(category="design", rng=rng).category == "system_design"  # alias
    hard = bank.pick(difficulty="hard", rng=rng)
    assert hard.difficulty == "hard"

    coding = [q.id for q in bank.by_category("coding")]
    keep = coding[3]
    q = bank.pick(category="coding", exclude=[i for i in coding if i != keep], rng=rng)
    assert q.id == keep
    with pytest.raises(NoMatchingQuestion, match=r"all \d+ coding questions were excluded"):
        bank.pick(category="coding", exclude=coding)
    with pytest.raises(NoMatchingQuestion, match="unknown category 'cooking'"):
        bank.pick(category="cooking")
    with pytest.raises(NoMatchingQuestion, match="unknown difficulty 'brutal'"):
        bank.pick(difficulty="brutal")


def test_pick_is_reproducible_with_a_seeded_rng(bank: Bank) -> None:
    a = [bank.pick(rng=random.Random(42)).id for _ in range(3)]
    b = [bank.pick(rng=random.Random(42)).id for _ in range(3)]
    assert a == b


def test_pick_reports_empty_selection() -> None:
    small = Bank(questions=[q for q in load_bank(BANK_DIR) if q.category == "coding"])
    with pytest.raises(NoMatchingQuestion, match="no behavioral questions"):
        small.pick(category="behavioral")
    assert small.categories() == ("coding",)
    assert len(list(iter(small))) == len(small)


# --------------------------------------------------------------------------- malformed banks

GOOD = '''
[[questions]]
id = "{id}"
category = "{category}"
prompt = "Explain how you would do it."
hint = "Think first."
follow_ups = ["Why?", "What breaks?"]
expected = ["assumptions", "outcome"]
key_points = [{{ id = "kp", label = "A point", triggers = ["one", "two"] }}]
target_seconds = 120
difficulty = "medium"
skills = ["algorithms", "testing"]
strong_outline = ["Say the constraints.", "Give a plain first solution.", "Test an edge case."]
challenges = ["Why not the simpler option?", "What if the input is huge?"]
'''


def write(dir_: Path, name: str, body: str, category: str | None = None) -> Path:
    dir_.mkdir(parents=True, exist_ok=True)
    head = f'category = "{category or name}"\n' if category != "" else ""
    path = dir_ / f"{name}.toml"
    path.write_text(head + body)
    return path


def good(qid: str, category: str = "coding") -> str:
    return GOOD.format(id=qid, category=category)


def problems_of(dir_: Path) -> list[str]:
    with pytest.raises(BankError) as exc:
        load_bank(dir_)
    err = exc.value
    assert isinstance(err, ValueError)
    for p in err.problems:  # every problem is shown in the message
        assert p in str(err)
    return err.problems


def test_minimal_valid_bank_loads(tmp_path: Path) -> None:
    write(tmp_path, "coding", good("coding-a") + good("coding-b"))
    b = load_bank(tmp_path)
    assert b.ids() == ["coding-a", "coding-b"]
    q = b.get("coding-a")
    assert q.key_points[0].triggers == ("one", "two")
    assert q.follow_ups == ("Why?", "What breaks?")
    assert q.source_file.endswith("coding.toml")


def test_bad_toml_syntax_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "coding", good("coding-a") + '\nid = "oops" broken\n')
    [problem] = problems_of(tmp_path)
    assert "coding.toml" in problem
    assert "invalid TOML" in problem
    assert re.search(r"line \d+", problem)


def test_missing_field_names_file_id_and_field(tmp_path: Path) -> None:
    write(tmp_path, "coding", good("coding-a").replace("target_seconds = 120\n", ""))
    [problem] = problems_of(tmp_path)
    assert "coding.toml" in problem and "'coding-a'" in problem and "'target_seconds'" in problem
    assert "missing" in problem


def test_missing_id_is_named_by_position(tmp_path: Path) -> None:
    write(tmp_path, "coding", good("coding-a") + good("coding-b").replace('id = "coding-b"\n', ""))
    [problem] = problems_of(tmp_path)
    assert "question #2" in problem and "'id'" in problem and "coding.toml" in problem


def test_wrong_type_names_field_and_value(tmp_path: Path) -> None:
    write(tmp_path, "coding", good("coding-rate-limiter").replace("target_seconds = 120", 'target_seconds = "two"'))
    [problem] = problems_of(tmp_path)
    assert problem.endswith(
        "coding.toml: question 'coding-rate-limiter': field 'target_seconds' "
        'must be a positive integer from 15 to 900 (got "two")'
    )


@pytest.mark.parametrize(
    ("old", "new", "field", "detail"),
    [
        ('expected = ["assumptions", "outcome"]', 'expected = ["assumptions", "complexty"]', "'expected'",
         "did you mean 'complexity'"),
        ('difficulty = "medium"', 'difficulty = "medum"', "'difficulty'", "easy, medium, hard"),
        ("target_seconds = 120", "target_seconds = 5", "'target_seconds'", "got 5"),
        ("target_seconds = 120", "target_seconds = true", "'target_seconds'", "got True"),
        ('prompt = "Explain how you would do it."', 'prompt = "  "', "'prompt'", "non-empty"),
        ('follow_ups = ["Why?", "What breaks?"]', 'follow_ups = "Why?"', "'follow_ups'", "list of strings"),
        ('triggers = ["one", "two"]', 'triggers = ["one", ""]', "triggers'", "empty"),
        ('triggers = ["one", "two"]', "triggers = []", "triggers'", "at least 1"),
        ('hint = "Think first."', 'hnt = "Think first."', "'hnt'", "did you mean 'hint'"),
        ('skills = ["algorithms", "testing"]', 'skills = ["algorithm", "testing"]', "'skills'",
         "did you mean 'algorithms'"),
        ('skills = ["algorithms", "testing"]', 'skills = ["testing", "testing"]', "'skills'", "repeats testing"),
        ('skills = ["algorithms", "testing"]', "skills = []", "'skills'", "at least 1"),
        ('skills = ["algorithms", "testing"]',
         'skills = ["algorithms", "testing", "caching", "security", "messaging", "performance"]',
         "'skills'", "keep the 5"),
        ('strong_outline = ["Say the constraints.", "Give a plain first solution.", "Test an edge case."]',
         'strong_outline = ["Say the constraints."]', "'strong_outline'", "at least 3"),
        ('strong_outline = ["Say the constraints.", "Give a plain first solution.", "Test an edge case."]',
         'strong_outline = ["Say the **constraints**.", "b", "c"]', "'strong_outline'", "markdown"),
        ('strong_outline = ["Say the constraints.", "Give a plain first solution.", "Test an edge case."]',
         'strong_outline = "Say the constraints."', "'strong_outline'", "list of strings"),
        ('challenges = ["Why not the simpler option?", "What if the input is huge?"]',
         'challenges = ["Why not the simpler option?"]', "'challenges'", "at least 2"),
        ('challenges = ["Why not the simpler option?", "What if the input is huge?"]',
         'challenges = ["Why not?", "' + "x" * 301 + '"]', "'challenges'", "under 300"),
    ],
)
def test_each_bad_field_is_reported(tmp_path: Path, old: str, new: str, field: str, detail: str) -> None:
    body = good("coding-a")
    assert old in body
    write(tmp_path, "coding", body.replace(old, new))
    [problem] = problems_of(tmp_path)
    assert "coding.toml" in problem and "'coding-a'" in problem and field in problem and detail in problem


@pytest.mark.parametrize("field", ["skills", "strong_outline", "challenges"])
def test_issue14_fields_are_required(tmp_path: Path, field: str) -> None:
    body = "\n".join(line for line in good("coding-a").splitlines() if not line.startswith(field + " ="))
    write(tmp_path, "coding", body + "\n")
    [problem] = problems_of(tmp_path)
    assert problem.endswith(f"coding.toml: question 'coding-a': field {field!r} is missing")


def test_shipped_bank_has_outlines_challenges_and_known_skills() -> None:
    from bot.skills import SKILLS

    bank = load_bank(BANK_DIR)
    for q in bank:
        assert q.skills and set(q.skills) <= set(SKILLS), q.id
        assert len(q.strong_outline) >= 3 and len(q.challenges) >= 2, q.id
    # every tag in the vocabulary is exercised by some question, so a description naming it can be served
    assert {t for q in bank for t in q.skills} == set(SKILLS)


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    write(tmp_path, "behavioral", good("shared-id", "behavioral"))
    write(tmp_path, "coding", good("shared-id"))
    [problem] = problems_of(tmp_path)
    assert problem.startswith(str(tmp_path / "coding.toml"))
    assert "'shared-id'" in problem and "'id'" in problem and "behavioral.toml" in problem


def test_unknown_category_and_mismatch(tmp_path: Path) -> None:
    write(tmp_path, "coding", good("coding-a", "design") + good("coding-b", "behavioral"))
    problems = problems_of(tmp_path)
    assert len(problems) == 2
    assert "'coding-a'" in problems[0] and "'category'" in problems[0] and "did you mean 'system_design'" in problems[0]
    assert "'coding-b'" in problems[1] and "file's category is 'coding'" in problems[1]


def test_unknown_file_category(tmp_path: Path) -> None:
    write(tmp_path, "coding", good("coding-a", "coding"), category="cooking")
    problems = problems_of(tmp_path)
    assert any("coding.toml" in p and "'category'" in p and "'cooking'" in p for p in problems)


def test_question_may_inherit_the_file_category(tmp_path: Path) -> None:
    write(tmp_path, "coding", good("coding-a").replace('category = "coding"\n', ""))
    assert load_bank(tmp_path).get("coding-a").category == "coding"
    write(tmp_path, "coding", good("coding-a").replace('category = "coding"\n', ""), category="")
    [problem] = problems_of(tmp_path)
    assert "'category'" in problem and "missing" in problem


def test_all_problems_are_collected(tmp_path: Path) -> None:
    write(tmp_path, "coding", good("coding-a").replace("difficulty = \"medium\"", "difficulty = 3")
          + good("coding-b").replace('expected = ["assumptions", "outcome"]', 'expected = ["vibes"]'))
    write(tmp_path, "fundamentals", "category = \"fundamentals\"\n[[questions]\n", category="")
    problems = problems_of(tmp_path)
    assert len(problems) == 3
    assert any("'coding-a'" in p and "'difficulty'" in p for p in problems)
    assert any("'coding-b'" in p and "'vibes'" in p for p in problems)
    assert any("fundamentals.toml" in p and "invalid TOML" in p for p in problems)


def test_missing_directory_and_empty_bank(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path / "nope")
    assert "does not exist" in problem and "nope" in problem
    (tmp_path / "empty").mkdir()
    [problem] = problems_of(tmp_path / "empty")
    assert "no .toml files" in problem
    write(tmp_path / "noq", "coding", "")
    [problem] = problems_of(tmp_path / "noq")
    assert "coding.toml" in problem and "no [[questions]]" in problem
