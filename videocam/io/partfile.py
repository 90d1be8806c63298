"""What every writer shares: a temporary name, and close-or-abort on `with`.

Writers write to `dir/.name.part.ext` and rename to the final name when they
close, so a crash never leaves a file with the final name that is broken.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from videocam.errors import VideoError

log = logging.getLogger(__name__)


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


def remove_quietly(p: Path) -> None:
    """Delete a part file; a file that is already gone is fine."""
    try:
        p.unlink()
    except FileNotFoundError:
        pass
    except OSError as e:  # pragma: no cover - best effort cleanup
        log.warning("could not remove %s: %s", p, e)


class PartFile(ClosesOnExit):
    """Temp-name-then-rename behaviour shared by the writers (MP4, GIF, CSV)."""

    path: Path
    tmp_path: Path
    closed: bool

    def _init_paths(self, path) -> None:
        self.path = Path(path)
        self.tmp_path = part_path(self.path)
        self.closed = False
        if self.path.is_dir():
            raise VideoError(f"cannot write {self.path}: is a directory")
        if not self.path.parent.is_dir():
            raise VideoError(f"cannot write {self.path}: no folder {self.path.parent}")

    def _release(self) -> None:
        """Close the writer's open handle without finishing the file (each writer says how)."""

    def abort(self) -> None:
        """Stop and delete the part file; a file with the final name is never touched."""
        if self.closed:
            return
        self.closed = True
        try:
            self._release()
        except Exception:  # noqa: BLE001 - the part file is thrown away anyway
            pass
        remove_quietly(self.tmp_path)
