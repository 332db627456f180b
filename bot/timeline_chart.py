"""The answer-timeline picture attached to spoken feedback, as PNG bytes (matplotlib, Agg).

Like bot/progress_chart.py: the object-oriented API only (no pyplot, no global state), so it is
safe in a worker thread (callers use `asyncio.to_thread`), and it returns the data read back from
the drawn artists next to the PNG, so a test can check the picture shows what the analysis found.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg", force=False)
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.models import Analysis, Question, Transcript  # noqa: E402
from bot.practice.timeline import Timeline, build_timeline  # noqa: E402

SPEECH_COLOUR = "#3b8f5a"
PAUSE_COLOUR = "#d8793b"
FILLER_COLOUR = "#8a5fc7"
HEARD_COLOUR = "#3b6fd8"
MISSED_COLOUR = "#c0392b"


@dataclass(frozen=True)
class TimelineChart:
    png: bytes
    speech: list[tuple[float, float]]           # bars drawn on the speech row: (start, end)
    pauses: list[tuple[float, float]]           # bars drawn for the long pauses
    filler_times: list[float]                   # x of each filler marker
    heard: dict[str, float]                     # element → x of its "heard" marker
    due: dict[str, float]                       # element → x of its "should have been by" marker
    rows: list[str]                             # y tick labels, top to bottom


def _fmt(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def render_timeline(tl: Timeline, *, title: str = "Your answer over time") -> TimelineChart:
    element_rows = [m.element for m in tl.elements]
    rows = ["speech", "fillers"] + element_rows
    n = len(rows)
    fig = Figure(figsize=(9, 1.4 + 0.38 * n), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    fig.suptitle(title, fontsize=12)
    y = {name: n - 1 - i for i, name in enumerate(rows)}  # top to bottom

    speech_bars = ax.broken_barh([(a, b - a) for a, b in tl.speech], (y["speech"] - 0.3, 0.6),
                                 facecolors=SPEECH_COLOUR, label="speaking")
    pause_bars = ax.broken_barh([(a, b - a) for a, b in tl.pauses], (y["speech"] - 0.3, 0.6),
                                facecolors=PAUSE_COLOUR, label="long pause")
    for a, b in tl.pauses:
        ax.annotate(f"{b - a:.0f} s", ((a + b) / 2, y["speech"] + 0.35), ha="center", va="bottom", fontsize=7,
                    color=PAUSE_COLOUR)
    fillers = ax.scatter([t for t, _ in tl.fillers], [y["fillers"]] * len(tl.fillers), marker="x",
                         color=FILLER_COLOUR, label="filler", zorder=3)
    heard_x = [m.at_s for m in tl.elements if m.heard and m.at_s is not None]
    heard_y = [y[m.element] for m in tl.elements if m.heard and m.at_s is not None]
    heard = ax.scatter(heard_x, heard_y, marker="o", color=HEARD_COLOUR, label="heard here", zorder=3)
    due_x = [m.due_s for m in tl.elements if not m.heard and m.due_s is not None]
    due_y = [y[m.element] for m in tl.elements if not m.heard and m.due_s is not None]
    due = ax.scatter(due_x, due_y, marker="|", s=220, linewidths=2.5, color=MISSED_COLOUR,
                     label="missing: due by here", zorder=3)
    for m in tl.elements:
        if not m.heard and m.due_s is not None:
            ax.hlines(y[m.element], 0, m.due_s, colors=MISSED_COLOUR, linestyles="dotted", linewidth=1)

    labels = ["speech", "fillers"] + [m.element.replace("_", " ") + ("" if m.heard else " (missed)")
                                      for m in tl.elements]
    ax.set_yticks([y[r] for r in rows], labels=labels, fontsize=8)
    ax.set_ylim(-0.7, n - 0.3)
    end = max(tl.duration_s, 1.0)
    ax.set_xlim(0, end * 1.02)
    ticks = [t for t in range(0, int(end) + 1, max(5, int(end // 8) // 5 * 5 or 5))]
    ax.set_xticks(ticks, labels=[_fmt(t) for t in ticks], fontsize=8)
    ax.set_xlabel("time into the answer (m:ss)")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28 if n < 6 else -0.12), ncol=5, fontsize=7,
              frameon=False)

    buf = io.BytesIO()
    fig.savefig(buf, format="png")

    def points(coll: Any) -> list[tuple[float, float]]:
        """The (x, y) of each marker drawn by a scatter, as plain floats."""
        return [(float(px), float(py)) for px, py in np.asarray(coll.get_offsets()).tolist()]

    def spans(coll: Any) -> list[tuple[float, float]]:
        out = []
        for path in coll.get_paths():
            xs = path.vertices[:, 0]
            out.append((round(float(xs.min()), 3), round(float(xs.max()), 3)))
        return sorted(out)

    by_y = {v: k for k, v in y.items()}
    heard_pts = {by_y[int(round(py))]: px for px, py in points(heard)} if heard_x else {}
    due_pts = {by_y[int(round(py))]: px for px, py in points(due)} if due_x else {}
    return TimelineChart(
        png=buf.getvalue(),
        speech=spans(speech_bars) if tl.speech else [],
        pauses=spans(pause_bars) if tl.pauses else [],
        filler_times=[px for px, _ in points(fillers)] if tl.fillers else [],
        heard=heard_pts, due=due_pts,
        rows=[t.get_text() for t in ax.get_yticklabels()],
    )


def answer_timeline(question: Question, transcript: Transcript, analysis: Analysis, *,
                    title: str = "Your answer over time") -> TimelineChart:
    """Build and draw a spoken answer's timeline (CPU work: call it with `asyncio.to_thread`)."""
    return render_timeline(build_timeline(question, transcript, analysis), title=title)


def has_timeline(transcript: Transcript | None) -> bool:
    """Only spoken answers with words have a timeline (typed ones have no times)."""
    return transcript is not None and bool(transcript.words)
