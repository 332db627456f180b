"""The fault table: every probe of the fault suite records what was tried and what happened.

`pytest tests/fault -s` prints the table once, at the end of the session (tests/fault/conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Probe:
    area: str
    probe: str
    outcome: str
    survived: bool | None  # None: could not be run on this machine (the outcome says why)


RESULTS: list[Probe] = []


def record(area: str, probe: str, outcome: str, survived: bool) -> bool:
    """Add one row; returns `survived` so a test can `assert record(...)`."""
    RESULTS.append(Probe(area, probe, outcome, survived))
    return survived


def not_run(area: str, probe: str, why: str) -> None:
    """A probe this machine cannot run (shown in the table and counted, never silently dropped)."""
    RESULTS.append(Probe(area, probe, f"not run here: {why}", None))


def render() -> str:
    if not RESULTS:
        return ""
    w1 = max(len(r.area) for r in RESULTS)
    w2 = min(72, max(len(r.probe) for r in RESULTS))
    lines = ["", "Parley fault suite: what was tried, what survived",
             f"{'area':<{w1}}  {'probe':<{w2}}  ok?   outcome", "-" * (w1 + w2 + 60)]
    for r in RESULTS:
        ok = "n/a" if r.survived is None else "yes" if r.survived else "NO"
        lines.append(f"{r.area:<{w1}}  {r.probe:<{w2}}  {ok:<4}  {r.outcome}")
    ran = [r for r in RESULTS if r.survived is not None]
    survived = sum(1 for r in ran if r.survived)
    skipped = len(RESULTS) - len(ran)
    lines.append(f"{survived}/{len(ran)} probes survived" + (f"; {skipped} not run on this machine" if skipped else ""))
    return "\n".join(lines)
