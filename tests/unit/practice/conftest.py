"""Fixtures shared by the practice tests."""

from __future__ import annotations

import pytest

from bot.practice.listening import IncrementalListener


@pytest.fixture
def open_listeners():
    """The listeners a test opened (it appends them); closed at teardown."""
    made: list[IncrementalListener] = []
    yield made
    for lst in made:
        lst.close()
