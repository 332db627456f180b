"""Parley: spoken interview practice. The core package never imports discord (see bot/discord_io)."""

__version__ = "0.1.0"
