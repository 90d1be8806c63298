"""What every writer shares: a temporary name, and close-or-abort on `with`.

Writers write to `dir/.name.part.ext` and rename to the final name when they
close, so a crash never leaves a file with the final name that is broken.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from videocam.errors import UsageError, VideoError

log = logging.getLogger(__name__)


def part_path(path: str | os.PathLike) -> Path:
    """The temporary name a writer uses for `path`: ``dir/.name.part.ext``.

    The real extension is kept last so muxers and Pillow pick the format.
    """
    p = Path(path)
    return p.with_name(f".{p.stem}.part{p.suffix}")


def writable_folder(folder: str | os.PathLike, flag: str = "--out", create: bool = True) -> Path:
    """Make `folder` if needed (`create`; else it must exist) and prove that it takes new files;
    else one `UsageError` naming it.

    Permission bits do not say it (root may write anywhere by them, yet /proc and /sys take no
    new files), so a hidden probe file is made and removed: nothing else is created.
    """
    import tempfile

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{flag} is not a folder: {folder}")
    if not create and not folder.is_dir():
        raise UsageError(f"{flag}: no folder {folder}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create {flag} folder {folder}: {e.strerror or e}") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".videocam-probe-", dir=folder)
    except OSError as e:
        raise UsageError(f"{flag} folder is not writable: {folder} ({e.strerror or e})") from None
    os.close(fd)
    remove_quietly(Path(probe))
    return folder


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
