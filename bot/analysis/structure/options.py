"""Every threshold of the structure checks, named in one place.

Rules in `rules/*.toml` refer to the position limits by field name (`max_frac = "early_frac"`), so a
threshold is changed here, once, and never as a literal inside a rule or a check.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StructureOptions:
    # --- answer length
    long_answer_words: int = 45  # below this an answer is "short": position limits relax

    # --- where moves may occur (fraction of the way through the answer's tokens)
    early_frac: float = 0.35  # framing (scale, questions, cases) counts up to here
    assume_by_frac: float = 0.5  # past this an "assumption" is part of the solving (long answers)
    context_by_frac: float = 0.4  # behavioral: the scene is set up front (long answers)
    context_by_frac_short: float = 0.5
    story_opener_frac: float = 0.25  # "I inherited a job that ..." sets the scene only as the opening
    scope_by_frac: float = 0.5
    result_from_frac: float = 0.3  # earlier numbers describe the situation, not the result
    coding_outcome_from_frac: float = 0.3  # final complexity / checks come after the solution (long answers)
    decision_late_frac: float = 0.3  # a bare strong decision counts from here (a "my pick is" noun anywhere)
    conclusion_from_frac: float = 0.4
    landing_from_frac: float = 0.5
    ownership_scene_frac: float = 0.25

    # --- negation (tokens before a match)
    negation_lookback: int = 8
    negation_near: int = 2  # "no", "not", "without" reach this far
    negation_far: int = 5  # "didn't", "won't", "skipped" reach this far
    negation_far_with_or: int = 8  # ... or further across an "or" list
    negation_condition_lookback: int = 3  # "if the consumer doesn't ack": a condition, not a negation

    # --- what must be near (tokens before, after)
    proposal_tradeoff_before: int = 25
    proposal_tradeoff_after: int = 30
    strong_reason_before: int = 10
    strong_reason_after: int = 25
    weighed_after: int = 30
    no_side_after: int = 4
    deliberating_after: int = 4
    conclusion_after: int = 30
    reason_beside: int = 12
    storage_reason_before: int = 12
    storage_reason_after: int = 20
    storage_detail_window: int = 15
    dashboard_health_window: int = 8
    scene_after: int = 14
    person_scene_before: int = 25
    relative_after: int = 8
    baseline_before_complexity: int = 12
    check_context_before: int = 6
    check_context_after: int = 12
    test_case_after: int = 22
    test_case_before: int = 8
    test_promise_case_after: int = 20
    test_clause_after: int = 5
    complexity_value_after: int = 15
    worked_example_window: int = 40
    sentence_window: int = 40  # tokens either side that bound "the hit's sentence"
    framing_choice_after: int = 25
    buzz_reason_before: int = 8
    buzz_reason_after: int = 14
    announcement_max_tokens: int = 6  # "so first the requirements": judged with the sentence after it

    # --- answer-level signals
    load_estimate_min_count: float = 50  # "2 threads" is a detail; "500 devices" a load
    min_question_tokens: int = 4  # "right?" tags are too short to be a clarifying question
    vague_min_words: int = 20
    vague_min_count: int = 3
    ownership_min_i: int = 2
    ownership_i_share_of_we: float = 0.5


DEFAULT_OPTIONS = StructureOptions()
