"""Role-tailored picking: reading job descriptions for skills, and the one picking policy."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from bot.bank import load_bank
from bot.practice.tailoring import (
    MAX_DESCRIPTION_CHARS,
    DescriptionError,
    RoleNeeds,
    choose,
    choose_many,
    clean_markup,
    next_for_round,
    read_description,
)
from bot.skills import SKILLS
from tests.role_texts import DATA_PLATFORM, PAYMENTS, SRE

BANK = load_bank(Path(__file__).resolve().parents[3] / "question_bank")

def _skill_share(picks, tags) -> float:
    """Share of the picks that exercise at least one of `tags`."""
    return sum(1 for p in picks if set(p.question.skills) & set(tags)) / len(picks)


@pytest.mark.parametrize(("text", "expected_top"), [
    (PAYMENTS, {"security", "reliability", "api-design", "data-modeling"}),
    (DATA_PLATFORM, {"data-pipelines", "messaging", "devices-iot"}),
    (SRE, {"incident-response", "observability", "reliability"}),
])
def test_each_description_names_its_own_skills(text: str, expected_top: set[str]) -> None:
    needs = read_description(text)
    assert set(needs.top(len(expected_top))) <= expected_top | {"data-modeling", "api-design", "reliability"}
    assert expected_top <= set(needs.weights)
    for tag in expected_top:  # every weighted skill is backed by words from the text
        assert all(w in " ".join(text.split()).lower() for w in needs.evidence[tag])


def test_picks_for_three_descriptions_differ_as_expected() -> None:
    picks = {name: choose_many(BANK.questions, read_description(text), 5, rng=random.Random(7))
             for name, text in (("payments", PAYMENTS), ("data", DATA_PLATFORM), ("sre", SRE))}
    ids = {name: {p.question.id for p in ps} for name, ps in picks.items()}
    # each set of five is mostly its own
    assert len(ids["payments"] & ids["data"]) <= 1
    assert len(ids["payments"] & ids["sre"]) <= 1
    assert len(ids["data"] & ids["sre"]) <= 1
    # and leans to the skills its description asks for
    assert _skill_share(picks["payments"], {"security", "api-design", "data-modeling"}) >= 0.8
    assert _skill_share(picks["data"], {"data-pipelines", "messaging", "devices-iot"}) >= 0.8
    assert _skill_share(picks["sre"], {"incident-response", "observability"}) >= 0.8
    # signature questions of each role come up
    assert ids["data"] & {"design-telemetry-ingestion", "fund-telemetry-data-model"}
    assert ids["sre"] & {"fund-launch-metrics-alerts", "behav-production-incident", "fund-observability-tail-latency",
                         "behav-reduce-operational-risk"}
    # every pick says why, naming what matched
    for ps in picks.values():
        for p in ps:
            assert p.matched and p.reason.startswith("Picked because")
            assert set(p.matched) <= set(p.question.skills)


def test_picks_vary_over_categories_and_are_repeatable_with_a_seed() -> None:
    needs = read_description(SRE)
    a = choose_many(BANK.questions, needs, 4, rng=random.Random(3))
    b = choose_many(BANK.questions, needs, 4, rng=random.Random(3))
    assert [p.question.id for p in a] == [p.question.id for p in b]
    assert len({p.question.category for p in a}) >= 3  # the category penalty spreads a round
    assert len({p.question.id for p in a}) == 4
    firsts = {choose(BANK.questions, needs, rng=random.Random(s)).question.id for s in range(30)}
    assert len(firsts) >= 2  # near-best candidates are drawn from, not always the same one


def test_category_and_difficulty_filters_hold() -> None:
    needs = read_description(PAYMENTS)
    picks = choose_many(BANK.questions, needs, 6, categories=("coding",), rng=random.Random(1))
    assert picks and all(p.question.category == "coding" for p in picks)
    p = choose(BANK.questions, needs, categories=("behavioral",), difficulty="hard", rng=random.Random(1))
    assert p is not None and (p.question.category, p.question.difficulty) == ("behavioral", "hard")


def test_without_needs_the_policy_is_a_plain_random_pick() -> None:
    seen = Counter(choose(BANK.questions, None, rng=random.Random(s)).question.category for s in range(200))
    assert set(seen) == {"coding", "fundamentals", "system_design", "behavioral"}
    p = choose(BANK.questions, None, rng=random.Random(0))
    assert p.matched == () and "/profile set" in p.reason


def test_next_for_round_loosens_then_repeats() -> None:
    needs = read_description(SRE)
    hard_behav = [q.id for q in BANK if q.category == "behavioral" and q.difficulty == "hard"]
    p = next_for_round(BANK.questions, needs, category="behavioral", difficulty="hard", asked=hard_behav,
                       rng=random.Random(0))
    assert p.question.category == "behavioral" and p.question.id not in hard_behav
    p = next_for_round(BANK.questions, needs, category=None, difficulty=None, asked=BANK.ids(),
                       rng=random.Random(0))
    assert p.question.id in BANK  # everything asked: a repeat rather than an early end


def test_stored_tags_rebuild_needs_in_order() -> None:
    needs = RoleNeeds.from_tags(["observability", "not-a-skill", "reliability"], role="SRE")
    assert needs.top() == ["observability", "reliability"]
    assert choose(BANK.questions, needs, rng=random.Random(0)).matched


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(("text", "words"), [
    ("", "empty or too short"),
    ("   \n\t ", "empty or too short"),
    ("<div><br/><img src='x.png'></div> **** ---", "only formatting"),
    ("x" * 70_000, "too long"),
    ("Wir suchen eine erfahrene Entwicklerin für unser Zahlungsteam. Du arbeitest mit Datenbanken und "
     "verteilten Systemen und übernimmst Verantwortung für den Betrieb unserer Dienste.", "English"),
    ("我们正在寻找一名后端工程师，负责支付系统的设计与开发，熟悉数据库和分布式系统。", "another language"),
    ("I like to cook pasta and walk my dog in the park at the weekend.", "couldn't find any skills"),
])
def test_unusable_descriptions_get_a_clear_reason(text: str, words: str) -> None:
    with pytest.raises(DescriptionError) as exc:
        read_description(text)
    assert words in str(exc.value)


def test_markup_heavy_description_is_read_for_its_words() -> None:
    html = ("<html><body><h1>Backend&nbsp;Engineer</h1><ul>" + "".join(
        f"<li class='req req-{i}' style='color:#333;margin:0'><b>{w}</b></li>"
        for i, w in enumerate(["Kafka streaming", "on-call rotation", "Postgres schemas"])) + "</ul></body></html>")
    needs = read_description(html)
    assert {"messaging", "incident-response", "data-modeling"} <= set(needs.weights)
    assert needs.notes and "formatting" in needs.notes[0]
    md = "## Role\n* **Kafka** and [Flink](https://flink.apache.org) pipelines\n```yaml\nkey: value\n```\n"
    assert clean_markup(md) == "Role Kafka and Flink pipelines"
    assert "data-pipelines" in read_description(md).weights


def test_long_but_allowed_description_and_role_title() -> None:
    body = (SRE + " ") * (MAX_DESCRIPTION_CHARS // (len(SRE) + 1))
    assert read_description(body).weights
    with pytest.raises(DescriptionError, match="role title"):
        read_description(SRE, role="x" * 200)
    # the role title counts: a bare title is enough to tailor on
    assert "incident-response" in read_description("", role="Site reliability engineer, on-call").weights


def test_every_vocabulary_tag_can_be_named_by_a_description() -> None:
    for tag, skill in SKILLS.items():
        assert skill.cues, tag


def test_domains_and_role_follow_ups():
    from bot.practice.tailoring import DOMAINS, find_domains, role_follow_up

    assert read_description(PAYMENTS).domains[0] == "payments"
    assert read_description(DATA_PLATFORM).domains[:2] == ("data", "vehicles")
    assert read_description(SRE).domains == ()
    assert find_domains("Backend engineer at an online marketplace: orders, checkout and shop search")[0] == "commerce"
    needs = read_description(PAYMENTS)
    design = BANK.get("design-inventory-api")
    assert role_follow_up(needs, design) == DOMAINS["payments"][1]
    assert "double charge" in role_follow_up(needs, design)
    assert role_follow_up(needs, BANK.get("behav-tight-deadline")) is None  # stories keep their own follow-ups
    assert role_follow_up(read_description(SRE), design) is None
    assert role_follow_up(None, design) is None
    # a saved profile keeps its domain (found again in the stored description)
    assert RoleNeeds.from_tags(needs.top(), text=PAYMENTS).domains[0] == "payments"
