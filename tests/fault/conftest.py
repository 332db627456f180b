"""Prints the fault table (tests/fault/table.py) once every fault probe has run."""

from __future__ import annotations

import pytest

from tests.fault import table


@pytest.fixture(scope="session", autouse=True)
def fault_table():
    yield
    text = table.render()
    if text:
        print(text)
