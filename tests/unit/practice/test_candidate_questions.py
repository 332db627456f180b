"""The candidate's own questions, judged against the guide's advice (specific, about the real work)."""

from __future__ import annotations

import pytest

from bot.practice.candidate_questions import TOPICS, judge_candidate_questions, judge_question, split_questions


@pytest.mark.parametrize(("question", "topic"), [
    # the guide's kinds of question, in our own wording
    ("What's the hardest reliability problem your team is dealing with right now?", "challenges"),
    ("How does this team trade off shipping quickly against keeping the services stable?", "delivery_vs_stability"),
    ("What would a great first three months look like for a backend engineer here?", "early_success"),
    ("Is most of the work building new services from scratch, or improving the existing systems?",
     "greenfield_vs_existing"),
    ("Which of your core services is the biggest bottleneck today, and why?", "bottlenecks"),
])
def test_the_guides_kinds_of_question_are_strong(question, topic):
    j = judge_question(question)
    assert j.verdict == "strong" and topic in j.topics and not j.perks


@pytest.mark.parametrize(("question", "verdict"), [
    ("What is the salary range for this position?", "perks"),
    ("How many vacation days and what kind of bonus do you offer?", "perks"),
    ("What's the culture like?", "generic"),
    ("Do you enjoy working here overall?", "generic"),
    ("What are the main challenges?", "fair"),  # right ground, but not tied to this team
])
def test_perks_and_generic_questions(question, verdict):
    assert judge_question(question).verdict == verdict


def test_split_spoken_questions_without_question_marks():
    said = ("okay so my first question is what are the biggest scaling problems on this team right now "
            "and my second question is how do you balance delivery speed with stability")
    qs = split_questions(said)
    assert len(qs) == 2 and "scaling problems" in qs[0] and "balance delivery" in qs[1]
    assert split_questions("No, I think I'm good. Thanks for your time.") == []


def test_round_feedback_verdicts():
    good = judge_candidate_questions(
        "What are the biggest reliability challenges your team has right now? How does the team balance "
        "shipping fast with on-call stability? What does success look like in the first 90 days?")
    assert good.verdict == "good" and len(good.questions) == 3
    assert all("Good." in line for line in good.lines[:2])
    perks = judge_candidate_questions("What's the salary? Is there a bonus? Can I work from home?")
    assert perks.verdict == "perks_only" and any("recruiter" in line for line in perks.lines)
    assert any("Next time try one about" in line for line in perks.lines)
    silent = judge_candidate_questions("")
    assert silent.verdict == "none" and silent.questions == []
    assert "didn't hear a question" in silent.lines[0]
    assert all(TOPICS[t][0] in silent.lines[1] for t in ("challenges",))
    mixed = judge_candidate_questions("What's the culture like? Where are the bottlenecks in your services today?")
    assert mixed.verdict == "needs_work"
    assert mixed.to_dict()["questions"][1]["verdict"] == "strong"


def test_a_spoken_question_without_its_question_mark_or_opening_word_still_counts():
    """Whisper drops the '?' of spoken questions and sometimes mishears the opening word; a long
    sentence about the interviewer's side is still one of the candidate's questions. Short
    pleasantries and announcements are not."""
    heard = ("Okay, I have two things to ask. Well, it's our biggest scaling challenge on your team "
             "right now. And how does the team balance shipping fast with keeping things stable. Thank you.")
    qs = split_questions(heard)
    assert qs == ["Well, it's our biggest scaling challenge on your team right now.",
                  "And how does the team balance shipping fast with keeping things stable."]
    fb = judge_candidate_questions(heard)
    assert len(fb.questions) == 2 and fb.questions[0].topics[0] == "challenges"


def test_a_long_thank_you_or_goodbye_is_not_a_question():
    """Closing words also speak to the interviewer ("you", "the role") and can run past seven
    words; without a "?" or a question's opening they are not one of the candidate's questions."""
    heard = ("So what does the first month in this role usually look like for a new engineer. "
             "Thanks a lot for your time, I really enjoyed talking with you about the role today. "
             "It was great to meet you and the team this afternoon.")
    assert split_questions(heard) == ["So what does the first month in this role usually look like for a new engineer."]
    assert len(judge_candidate_questions(heard).questions) == 1
