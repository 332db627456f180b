"""The answer timeline: the data it plots is the analysis's own (pauses, fillers, structure hits)."""

from __future__ import annotations

import pytest

from bot.analysis import analyze, expected_elements
from bot.analysis.lexicon import build_doc
from bot.analysis.structure import detect_structure
from bot.models import Transcript
from bot.practice.timeline import DUE_BY_FRAC, build_timeline
from bot.progress_chart import PNG_SIGNATURE
from bot.timeline_chart import answer_timeline, has_timeline
from tests.unit.practice.timeline_helpers import Q, spoken


def test_plotted_data_is_the_analysis():
    tr = spoken()
    a = analyze(Q, transcript=tr)
    chart = answer_timeline(Q, tr, a)
    assert chart.png.startswith(PNG_SIGNATURE)
    # long pauses: exactly the silences the feedback names
    assert chart.pauses == sorted((round(s.start, 3), round(s.end, 3)) for s in a.silences)
    assert len(chart.pauses) == 2 and all(e - s >= 5.9 for s, e in chart.pauses)
    # speech: three stretches, none overlapping a pause
    assert len(chart.speech) == 3
    for s, e in chart.speech:
        assert not any(ps < e and s < pe for ps, pe in chart.pauses)
    # fillers: at the time of the word that is the filler
    um = next(w for w in tr.words if w.text.strip() == "um")
    assert chart.filler_times == [um.start]
    assert a.metrics["filler_words"] == len(chart.filler_times)
    # structure: heard where StructureReport.hits says, for each element the analysis counts as heard
    report = detect_structure(build_doc([w.text for w in tr.words], [w.start for w in tr.words]), Q.category,
                              expected_elements(Q))
    heard = {e for e, ok in a.structure.items() if ok and e in expected_elements(Q)}
    assert set(chart.heard) == {e for e in heard if report.hits.get(e) is not None}
    for e, x in chart.heard.items():
        assert x == pytest.approx(report.hits[e].time)
    missed = [e for e in expected_elements(Q) if not a.structure.get(e)]
    assert missed and set(chart.due) == set(missed)
    for e in missed:  # due by the analysis's own limit, else by the end
        frac = DUE_BY_FRAC.get(e, 1.0)
        assert chart.due[e] <= tr.words[-1].end + 1e-6
        assert chart.due[e] >= tr.words[max(0, int(frac * len(tr.words)) - 1)].start
    assert chart.rows[:2] == ["speech", "fillers"]
    assert [r.replace(" (missed)", "") for r in chart.rows[2:]] == [e.replace("_", " ") for e in expected_elements(Q)]


def test_assumptions_missed_are_due_by_the_analysis_limit():
    parts = ("Vehicles send to a stateless ingestion service behind a load balancer which writes into Kafka.",
             "In the end I would pick Kafka because replay matters more than simplicity.")
    tr = spoken(parts, gap_s=1.0)
    a = analyze(Q, transcript=tr)
    assert not a.structure["assumptions"]
    tl = build_timeline(Q, tr, a)
    mark = next(m for m in tl.elements if m.element == "assumptions")
    idx = int(DUE_BY_FRAC["assumptions"] * len(tr.words)) - 1
    assert mark.due_s == tr.words[idx].end and mark.at_s is None


def test_typed_answers_have_no_timeline():
    assert not has_timeline(None)
    assert not has_timeline(Transcript(words=[], duration_s=0.0))
    assert has_timeline(spoken())
