"""An answer's timeline: when the member spoke, the long pauses, the fillers, and where each structure
element was heard (or the point by which it should have been). Pure data from the analysis; the
picture is drawn by bot/timeline_chart.py.

Everything comes from the same sources as the feedback: long pauses are `Analysis.silences`,
fillers are `bot.analysis.timing.find_fillers` on the transcript, whether an element was heard is
`Analysis.structure`, and where it was heard is `StructureReport.hits` from the structure analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.analysis import expected_elements
from bot.analysis.lexicon import build_doc
from bot.analysis.structure import detect_structure
from bot.analysis.structure.options import DEFAULT_OPTIONS
from bot.analysis.timing import _WORD_RX, find_fillers
from bot.models import STRUCTURE_ELEMENTS, Analysis, Question, Transcript

SPEECH_GAP_S = 0.35  # words closer than this form one stretch of speech

# How far into the answer (share of its words) an element should have been heard: the structure
# analysis's own limits where it has one, else by the end.
DUE_BY_FRAC: dict[str, float] = {
    "assumptions": DEFAULT_OPTIONS.assume_by_frac,
    "requirements": DEFAULT_OPTIONS.early_frac,
    "restate": DEFAULT_OPTIONS.early_frac,
    "scale": DEFAULT_OPTIONS.early_frac,
    "scope": DEFAULT_OPTIONS.scope_by_frac,
    "constraints": DEFAULT_OPTIONS.context_by_frac,
}


@dataclass(frozen=True)
class ElementMark:
    element: str
    label: str
    heard: bool
    at_s: float | None   # where it was heard; None when missed or heard without a position
    due_s: float | None  # for a missed element: the point by which it should have been heard


@dataclass
class Timeline:
    duration_s: float
    speech: list[tuple[float, float]] = field(default_factory=list)   # (start, end) of each stretch
    pauses: list[tuple[float, float]] = field(default_factory=list)   # the long pauses the feedback names
    fillers: list[tuple[float, str]] = field(default_factory=list)    # (time, filler)
    elements: list[ElementMark] = field(default_factory=list)


def _speech(transcript: Transcript) -> list[tuple[float, float]]:
    spans: list[list[float]] = []
    for w in sorted(transcript.words, key=lambda w: w.start):
        if spans and w.start - spans[-1][1] <= SPEECH_GAP_S:
            spans[-1][1] = max(spans[-1][1], w.end)
        else:
            spans.append([w.start, w.end])
    return [(round(a, 3), round(b, 3)) for a, b in spans]


def _filler_times(transcript: Transcript) -> list[tuple[float, str]]:
    """Each filler `find_fillers` reports, at the start time of the word it sits in."""
    words = transcript.words
    owner: list[int] = []  # token index → word index (the tokens find_fillers counts)
    for i, w in enumerate(words):
        owner.extend([i] * len(_WORD_RX.findall(w.text.lower().replace("\u2019", "'"))))
    text = " ".join(w.text.strip() for w in words)
    return [(words[owner[h.index]].start, h.text) for h in find_fillers(text) if h.index < len(owner)]


def build_timeline(question: Question, transcript: Transcript, analysis: Analysis) -> Timeline:
    """The timeline of a spoken answer (`transcript` with word times, analysed into `analysis`)."""
    words = sorted(transcript.words, key=lambda w: w.start)
    tl = Timeline(duration_s=max([transcript.duration_s] + [w.end for w in words]) if words else transcript.duration_s)
    tl.speech = _speech(transcript)
    tl.pauses = [(s.start, s.end) for s in analysis.silences]
    tl.fillers = _filler_times(transcript)
    elements = expected_elements(question)
    hits = {}
    if words:
        doc = build_doc([w.text for w in words], [w.start for w in words])
        hits = detect_structure(doc, question.category, elements).hits
    for e in elements:
        heard = bool(analysis.structure.get(e))
        hit = hits.get(e)
        at = hit.time if heard and hit is not None else None
        due = None
        if not heard and words:
            frac = DUE_BY_FRAC.get(e, 1.0)
            due = words[min(len(words) - 1, max(0, int(frac * len(words)) - 1))].end
        tl.elements.append(ElementMark(e, STRUCTURE_ELEMENTS.get(e, e), heard, at, due))
    return tl
