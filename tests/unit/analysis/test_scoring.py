"""The score, the flags, the biggest gap, the follow-up and the summary (bot/analysis/scoring.py),
measured on hand-built structure and timing reports so each rule is seen on its own."""

from __future__ import annotations

import pytest

from bot.analysis.scoring import (
    CODE_ORDER,
    GENERIC_ASSUMPTION_FOLLOW_UPS,
    GENERIC_OUTCOME_FOLLOW_UPS,
    W_DELIVERY,
    W_KEYPOINTS,
    W_LENGTH,
    W_STRUCTURE,
    FlagCode,
    LengthInfo,
    biggest_gap,
    build_flags,
    choose_follow_up,
    compute_score,
    make_summary,
)
from bot.analysis.structure import StructureReport
from bot.analysis.timing import TimingReport
from bot.models import Flag, KeyPoint, Question, Silence

THRESHOLD_S = 4.0


def question(category: str = "system_design", *, target: int = 120, follow_ups: tuple[str, ...] = (),
             key_points: int = 2) -> Question:
    return Question(id="q", category=category, prompt="Design it.", follow_ups=follow_ups, expected=(),
                    key_points=tuple(KeyPoint(f"kp{i}", f"point {i}", (f"kp{i}",)) for i in range(key_points)),
                    target_seconds=target, difficulty="medium")


def struct(present: dict[str, bool], **kw) -> StructureReport:
    return StructureReport(present=present, hits={e: None for e in present}, **kw)


def timing(words: int = 200, *, silences: list[Silence] | None = None, fillers: int = 0,
           first_word: float | None = 0.5, pace: float | None = 140.0, span: float | None = 100.0) -> TimingReport:
    t = TimingReport(words_per_minute=pace, articulation_wpm=pace, time_to_first_word_s=first_word,
                     speaking_ratio=0.9, speaking_span_s=span, silences=silences or [], filler_hits=[],
                     word_count=words)
    t.hesitation_sounds = fillers  # counted as fillers (filler_words), without building FillerHits
    return t


ALL = {"assumptions": True, "outcome": True, "scale": True, "storage": True}


def score(q: Question, s: StructureReport, t: TimingReport, length: LengthInfo, covered: int,
          *, audio: bool = True) -> int:
    flags = build_flags(q, s, t, length, [], len(q.key_points), THRESHOLD_S)
    return compute_score(q, s, t, length, covered, len(q.key_points), flags, audio)


def test_a_complete_answer_scores_every_weight_and_nothing_more() -> None:
    q = question()
    full = score(q, struct(ALL), timing(), LengthInfo(100.0, False, 200), covered=2)
    assert full == round(W_STRUCTURE + W_KEYPOINTS + W_DELIVERY + W_LENGTH) == 100


def test_assumptions_and_outcome_weigh_three_times_another_element() -> None:
    q, t, length = question(), timing(), LengthInfo(100.0, False, 200)
    without_storage = score(q, struct({**ALL, "storage": False}), t, length, 2)
    without_outcome = score(q, struct({**ALL, "outcome": False}), t, length, 2)
    # structure weights 3 + 3 + 1 + 1 = 8: one light element is 45/8, a heavy one 3 * 45/8
    assert 100 - without_storage == round(W_STRUCTURE / 8)
    assert 100 - without_outcome == pytest.approx(3 * W_STRUCTURE / 8, abs=1)


def test_without_key_points_their_weight_moves_to_structure() -> None:
    q = question(key_points=0)
    half = score(q, struct({"assumptions": True, "outcome": False}), timing(), LengthInfo(100.0, False, 200), 0)
    assert half == round((W_STRUCTURE + W_KEYPOINTS) * 0.5 + W_DELIVERY + W_LENGTH)


def test_each_long_pause_costs_delivery_and_is_a_major_flag_with_its_time() -> None:
    q, length = question(), LengthInfo(100.0, False, 200)
    pauses = [Silence(10.0, 16.0), Silence(40.0, 45.5)]
    t = timing(silences=pauses)
    flags = build_flags(q, struct(ALL), t, length, [], 2, THRESHOLD_S)
    silences = [f for f in flags if f.code == FlagCode.LONG_SILENCE]
    assert [(f.at_s, f.severity) for f in silences] == [(10.0, 3), (40.0, 3)]
    assert "6.0 s of silence" in silences[0].message
    assert score(q, struct(ALL), t, length, 2) == round(100 - W_DELIVERY * 0.12 * 2)
    # a typed answer has no pauses to lose points for
    assert score(q, struct(ALL), t, length, 2, audio=False) == 100


def test_a_slow_start_is_flagged_at_the_threshold_and_costs_delivery() -> None:
    q, length = question(), LengthInfo(100.0, False, 200)
    just_under = build_flags(q, struct(ALL), timing(first_word=THRESHOLD_S - 0.1), length, [], 2, THRESHOLD_S)
    at = build_flags(q, struct(ALL), timing(first_word=THRESHOLD_S), length, [], 2, THRESHOLD_S)
    assert FlagCode.SLOW_START not in {f.code for f in just_under}
    assert FlagCode.SLOW_START in {f.code for f in at}
    assert score(q, struct(ALL), timing(first_word=THRESHOLD_S), length, 2) == round(100 - W_DELIVERY * 0.15)


def test_fillers_cost_only_beyond_three_per_hundred_words_and_heavy_use_is_flagged() -> None:
    q, length = question(), LengthInfo(100.0, False, 200)
    assert score(q, struct(ALL), timing(fillers=6), length, 2) == 100          # 3 per 100 words
    assert score(q, struct(ALL), timing(fillers=10), length, 2) == round(100 - W_DELIVERY * 0.05 * 2)
    heavy = build_flags(q, struct(ALL), timing(fillers=14), length, [], 2, THRESHOLD_S)   # 7 per 100
    assert FlagCode.FILLER_HEAVY in {f.code for f in heavy}


@pytest.mark.parametrize("pace, code", [(210.0, FlagCode.TOO_FAST), (80.0, FlagCode.TOO_SLOW), (150.0, None)])
def test_pace_outside_the_comfortable_band_is_flagged(pace: float, code: FlagCode | None) -> None:
    flags = build_flags(question(), struct(ALL), timing(pace=pace), LengthInfo(100.0, False, 200), [], 2, THRESHOLD_S)
    paced = {f.code for f in flags} & {FlagCode.TOO_FAST, FlagCode.TOO_SLOW}
    assert paced == ({code} if code else set())


@pytest.mark.parametrize("ratio, expected_frac", [(0.1, 0.0), (0.375, 0.5), (1.0, 1.0), (1.6, 1.0), (2.3, 0.65), (4.0, 0.3)])
def test_length_earns_its_weight_between_sixty_and_a_hundred_sixty_percent_of_the_target(
        ratio: float, expected_frac: float) -> None:
    q = question(target=100)
    got = score(q, struct(ALL), timing(), LengthInfo(100.0 * ratio, False, 200), 2)
    assert got == pytest.approx(W_STRUCTURE + W_KEYPOINTS + W_DELIVERY + W_LENGTH * expected_frac, abs=1)


def test_very_short_answers_are_capped_whatever_else_they_hit() -> None:
    q = question()
    assert score(q, struct(ALL), timing(words=10), LengthInfo(100.0, False, 10), 2) == 10
    assert score(q, struct(ALL), timing(words=30), LengthInfo(100.0, False, 30), 2) == 40
    nothing = build_flags(q, struct(ALL), timing(words=0), LengthInfo(0.0, False, 0), [], 2, THRESHOLD_S)
    assert [f.code for f in nothing] == [FlagCode.TOO_SHORT]
    assert compute_score(q, struct(ALL), timing(words=0), LengthInfo(0.0, False, 0), 0, 2, nothing, True) == 0


def test_penalties_for_buzzwords_a_team_story_vagueness_and_late_assumptions() -> None:
    q, length = question(), LengthInfo(100.0, False, 200)
    base = score(q, struct(ALL), timing(), length, 2)
    buzz = struct(ALL, buzzwords=["kafka", "redis"], buzzwords_unreasoned=["kafka", "redis"])
    vague = struct(ALL, vague=True, vague_examples=["scalable"])
    # assumptions stated only after solving: not missing, a different (lighter) flag, and 3 points
    unstated = struct({**ALL, "assumptions": False})
    late = struct({**ALL, "assumptions": False}, assumptions_late=True)
    late_flags = {f.code for f in build_flags(q, late, timing(), length, [], 2, THRESHOLD_S)}
    assert FlagCode.ASSUMPTIONS_LATE in late_flags and FlagCode.MISSING_ASSUMPTIONS not in late_flags
    assert base - score(q, buzz, timing(), length, 2) == 5
    assert base - score(q, vague, timing(), length, 2) == 6
    assert score(q, unstated, timing(), length, 2) - score(q, late, timing(), length, 2) == 3
    story = question("behavioral")
    we = struct({"assumptions": True, "outcome": True}, we_count=8, i_count=1)
    flags = build_flags(story, we, timing(), length, [], 2, THRESHOLD_S)
    assert FlagCode.TEAM_NOT_I in {f.code for f in flags}
    assert biggest_gap(story, we, flags) == "ownership"


def test_missing_outcome_in_a_story_asks_for_a_number_and_qualitative_results_still_count_as_an_ending() -> None:
    q, length = question("behavioral"), LengthInfo(100.0, False, 200)
    none = build_flags(q, struct({"assumptions": True, "outcome": False}), timing(), length, [], 2, THRESHOLD_S)
    told = build_flags(q, struct({"assumptions": True, "outcome": False}, qualitative_result=True), timing(),
                       length, [], 2, THRESHOLD_S)
    assert {FlagCode.MISSING_OUTCOME, FlagCode.NO_MEASURABLE_RESULT} <= {f.code for f in none}
    assert FlagCode.NO_MEASURABLE_RESULT in {f.code for f in told}
    assert FlagCode.MISSING_OUTCOME not in {f.code for f in told}


def test_flags_are_ordered_major_first_then_by_the_documented_code_order_then_by_time() -> None:
    q, length = question(), LengthInfo(100.0, False, 200)
    s = struct({"assumptions": False, "outcome": False, "scale": False, "storage": True})
    flags = build_flags(q, s, timing(silences=[Silence(30.0, 36.0), Silence(5.0, 11.0)]), length, ["kp0", "kp1"], 2,
                        THRESHOLD_S)
    severities = [f.severity for f in flags]
    assert severities == sorted(severities, reverse=True)
    majors = [f for f in flags if f.severity == 3]
    ranks = [CODE_ORDER.index(FlagCode(f.code)) for f in majors]
    assert ranks == sorted(ranks)
    silences = [f.at_s for f in flags if f.code == FlagCode.LONG_SILENCE]
    assert silences == [5.0, 30.0]


def test_the_biggest_gap_follows_the_category_priority() -> None:
    q = question("system_design")
    s = struct({"assumptions": True, "outcome": False, "scale": False, "storage": False})
    assert biggest_gap(q, s, []) == "scale"
    coding = question("coding")
    assert biggest_gap(coding, struct({"assumptions": False, "complexity": False}), []) == "assumptions"
    assert biggest_gap(q, struct(ALL), []) is None


def test_the_follow_up_prefers_the_questions_own_when_it_fits_the_gap() -> None:
    own = ("How would you shard the table?", "What breaks when the consumer falls behind for an hour?")
    q = question("system_design", follow_ups=own)
    assert choose_follow_up(q, "failure_modes") == own[1]
    assert choose_follow_up(q, "assumptions") == GENERIC_ASSUMPTION_FOLLOW_UPS["system_design"]
    assert choose_follow_up(question("fundamentals"), "outcome") == GENERIC_OUTCOME_FOLLOW_UPS["fundamentals"]
    assert choose_follow_up(q, None) == own[0]


def test_the_summary_names_the_score_the_lead_strength_and_the_gap() -> None:
    text = make_summary(62, ["Stated assumptions before solving"], "failure_modes", "system_design", 180,
                        [Flag(FlagCode.LONG_SILENCE, "", 3.0, 3)])
    assert text.startswith("62/100: stated assumptions before solving.")
    assert "biggest gap is failure modes" in text and "keep talking through the long pauses" in text
    assert "measurable result" in make_summary(50, [], "outcome", "behavioral", 120)
    assert make_summary(0, [], None, "coding", 0).startswith("No answer was heard")
    assert "too short to judge" in make_summary(8, [], "scale", "coding", 10)
