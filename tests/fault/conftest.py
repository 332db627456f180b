"""Prints the fault table (tests/fault/table.py) once every fault probe has run. Also the Discord
cog fixtures that tests/fault/test_trust_probes.py drives (defined next to their helpers in tests/discord)."""

from __future__ import annotations

import pytest

from tests.discord.group_helpers import group_cog  # noqa: F401 - the trust probes drive the /group cog
from tests.discord.mock_helpers import mock_cog, round_settings  # noqa: F401 - ... and the /mock cog
from tests.fault import table


@pytest.fixture(scope="session", autouse=True)
def fault_table():
    yield
    text = table.render()
    if text:
        print(text)
