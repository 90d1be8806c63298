"""The user-facing error type; modules raise their own subclasses or this."""
from __future__ import annotations


class UsageError(Exception):
    """A mistake in how the command was called (exit status 2)."""
