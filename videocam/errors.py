"""Every error a user can cause, under one base class that carries the exit status.

The command line catches `VideocamError` and prints its message as one `error:` line;
anything else is a bug and is reported as unexpected.
"""
from __future__ import annotations


class VideocamError(Exception):
    """A failure the user can act on; the message is one human line."""

    exit_code = 1


class UsageError(VideocamError):
    """A mistake in how the command was called (exit status 2)."""

    exit_code = 2


class BackendError(UsageError):
    """KERAS_BACKEND names a backend videocam cannot use for this job."""


class ModelError(VideocamError):
    """A model that cannot be used."""


class DataError(VideocamError):
    """A data folder that cannot be used."""


class VideoError(VideocamError):
    """A video cannot be opened or written."""


class CsvFormatError(VideocamError, ValueError):
    """A per-frame CSV is malformed; the message names what."""


def first_line(e: BaseException) -> str:
    """The first line of an exception's message (FFmpeg and Keras write whole paragraphs)."""
    s = str(e).strip().splitlines()
    return s[0] if s else type(e).__name__


def named(msg: str, subject) -> str:
    """A message that names its subject (a video, a file): `<subject>: <msg>` unless it already does."""
    return msg if str(subject) in msg else f"{subject}: {msg}"
