"""The `/stats` chart: score over time and the most frequent flags, as PNG bytes (matplotlib, Agg).

Uses the object-oriented API (Figure + FigureCanvasAgg), never pyplot, so it keeps no global state
and is safe to call from a worker thread. It returns the data it plotted next to the PNG, so a
test can check the picture shows exactly what is stored.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

import matplotlib

matplotlib.use("Agg", force=False)
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, num2date  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.practice.progress import parse_utc, top_flags  # noqa: E402
from bot.storage.attempts import AttemptRow  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class ChartResult:
    """The PNG and the data read back from the drawn artists (not just the inputs)."""

    png: bytes
    times: list[datetime]  # x of the score line, in the chart's time zone, oldest first
    scores: list[float]  # y of the score line
    attempt_ids: list[int]  # the attempts behind each point
    flag_codes: list[str]  # bar labels as flag codes, most frequent first
    flag_counts: list[int]  # bar lengths


def render_progress_chart(
    attempts: Sequence[AttemptRow], *, tz: tzinfo = UTC, title: str = "Your progress", top_n: int = 6,
) -> ChartResult:
    rows = sorted(attempts, key=lambda a: (parse_utc(a.created_at), a.id))
    times = [parse_utc(a.created_at).astimezone(tz) for a in rows]
    scores = [int(a.score) for a in rows]
    flags = top_flags(rows, top_n)
    codes = [c for c, _ in flags]
    counts = [n for _, n in flags]

    fig = Figure(figsize=(8, 6.5), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax_score, ax_flags = fig.subplots(2, 1, height_ratios=(3, 2))
    fig.suptitle(title, fontsize=13)

    if times:
        ax_score.plot(times, scores, marker="o", linewidth=1.6, color="#3b6fd8", label="score")
        if len(scores) >= 3:  # a 3-answer moving average shows the trend without hiding single answers
            avg = [sum(scores[max(0, i - 2): i + 1]) / len(scores[max(0, i - 2): i + 1]) for i in range(len(scores))]
            ax_score.plot(times, avg, linewidth=1.0, linestyle="--", color="#999999", label="3-answer average")
        ax_score.legend(loc="lower right", fontsize=8)
        locator = AutoDateLocator(tz=tz)
        ax_score.xaxis.set_major_locator(locator)
        ax_score.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=tz))
    else:
        ax_score.text(0.5, 0.5, "No answers yet", ha="center", va="center", transform=ax_score.transAxes)
    ax_score.set_ylim(0, 100)
    ax_score.set_ylabel("score (0–100)")
    ax_score.grid(True, alpha=0.3)

    if codes:
        labels = [c.replace("_", " ") for c in codes]
        ypos = list(range(len(codes)))
        ax_flags.barh(ypos, counts, color="#d8793b")
        ax_flags.set_yticks(ypos, labels=labels)
        ax_flags.invert_yaxis()
        ax_flags.set_xlabel("answers with this flag")
        ax_flags.xaxis.get_major_locator().set_params(integer=True)
    else:
        ax_flags.text(0.5, 0.5, "No flags raised", ha="center", va="center", transform=ax_flags.transAxes)
        ax_flags.set_yticks([])
    ax_flags.set_title("Most frequent flags", fontsize=10)

    buf = io.BytesIO()
    fig.savefig(buf, format="png")

    # read back what was drawn, so callers (and tests) see the plotted values themselves
    plotted_times: list[datetime] = []
    plotted_scores: list[float] = []
    if times:
        line = ax_score.lines[0]
        plotted_times = [num2date(x, tz=tz) for x in line.get_xdata(orig=False)]
        plotted_scores = [float(y) for y in line.get_ydata(orig=False)]
    plotted_counts = [int(round(b.get_width())) for b in ax_flags.patches] if codes else []
    plotted_codes = [t.get_text().replace(" ", "_") for t in ax_flags.get_yticklabels()] if codes else []
    return ChartResult(buf.getvalue(), plotted_times, plotted_scores, [a.id for a in rows], plotted_codes,
                       plotted_counts)
