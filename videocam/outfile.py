"""What every writer shares: a temporary name, and close-or-abort on `with`.

Writers write to `dir/.name.part.ext` and rename to the final name when they
close, so a crash never leaves a file with the final name that is broken.
"""
from __future__ import annotations

import os
from pathlib import Path


def part_path(path: str | os.PathLike) -> Path:
    """The temporary name a writer uses for `path`: ``dir/.name.part.ext``.

    The real extension is kept last so muxers and Pillow pick the format.
    """
    p = Path(path)
    return p.with_name(f".{p.stem}.part{p.suffix}")


class ClosesOnExit:
    """`with writer:` closes on success and aborts (removes the temp file) on an exception."""

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def abort(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
