"""Structure of an answer: which of the moves a good interviewer listens for are present.

The knowledge lives in data: phrase families in `families.toml`, and in `rules/<element>.toml` which
families count for which element, in which categories, where in the answer, and with what near them.
`engine.py` applies them; `checks.py` holds the named checks rules refer to; `options.py` every threshold.
Each rule carries examples that run as tests (tests/unit/analysis/test_rule_examples.py).
"""

from bot.analysis.structure.context import Hit
from bot.analysis.structure.engine import StructureReport, detect_structure, rule_hits
from bot.analysis.structure.options import DEFAULT_OPTIONS, StructureOptions

__all__ = ["DEFAULT_OPTIONS", "Hit", "StructureOptions", "StructureReport", "detect_structure", "rule_hits"]
