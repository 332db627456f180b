"""The server, push channel and members of the daily tests here (the `daily` fixture of
tests/integration/conftest.py sets that server up)."""

from __future__ import annotations

GUILD = 31337
CHANNEL = 4242
ADA, BO = 1001, 1002
