"""One set of writers for a run's results: the annotated MP4, the GIF and the per-frame CSV.

`run` and `live --record/--csv` both write through it, so the files of the two are made the same way.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from videocam.types import FrameResult

# MP4 and GIF encode on threads of their own (measured, 2 cores: +8% with --gif, even without)
THREADED_WRITERS = True


class Outputs:
    """The writers for one run's results, fed on a writer thread (`AsyncSink`).

    `paths` maps "mp4" / "gif" / "csv" to the files to write. That thread draws
    each frame once and writes the CSV; with THREADED_WRITERS the MP4 and the
    GIF each encode on a thread of their own (`ThreadedWriter`). `extra(result,
    image)` sees every drawn frame (the Python API's `on_result`). `gif_span_s`, the
    seconds the run will cover, lets the GIF keep to its byte budget (`GifWriter`).
    """

    def __init__(self, paths: dict[str, Path], classes, fps: float, width: int, height: int,
                 gif_fps: float = 10.0, extra: Callable | None = None, gif_span_s: float | None = None):
        from videocam.io.csvfile import CsvWriter
        from videocam.io.render import Renderer
        from videocam.io.writers import GifWriter, Mp4Writer, encoder_threads
        from videocam.pipeline.threads import ThreadedWriter

        wrap = ThreadedWriter if THREADED_WRITERS else (lambda w, name="": w)
        self.renderer = Renderer()
        self.open: list = []
        self.files: dict = {}  # kind -> the writer itself (unwrapped), whose `path` is where it ends
        self.mp4 = self.gif = self.csv = None
        try:
            if "mp4" in paths:
                self.files["mp4"] = Mp4Writer(paths["mp4"], fps, width, height, threads=encoder_threads())
                self.mp4 = wrap(self.files["mp4"], name="videocam-mp4")
                self.open.append(self.mp4)
            if "gif" in paths:
                self.files["gif"] = GifWriter(paths["gif"], fps, max_fps=gif_fps, span_s=gif_span_s)
                self.gif = wrap(self.files["gif"], name="videocam-gif")
                self.open.append(self.gif)
            if "csv" in paths:
                self.csv = self.files["csv"] = CsvWriter(paths["csv"], classes)
                self.open.append(self.csv)
        except BaseException:
            self.abort()
            raise
        self.extra = extra
        self.count = 0

    def write(self, r: FrameResult, img: np.ndarray | None = None) -> None:
        """One result; `img` is its annotated frame when the caller drew it already (live's window)."""
        if self.mp4 is not None or self.gif is not None or self.extra is not None:
            if img is None:
                img = self.renderer.annotate(r.frame.rgb, r)
            if self.mp4 is not None:
                self.mp4.write(img, r.frame.time_s)
            if self.gif is not None:
                self.gif.write(img, r.frame.time_s)
            if self.extra is not None:
                self.extra(r, img)
        if self.csv is not None:
            self.csv.write(r)
        self.count += 1

    def consume(self, results: list[FrameResult]) -> None:
        for r in results:
            self.write(r)

    @property
    def paths(self) -> dict[str, Path]:
        """Where each file ends when closed."""
        return {k: w.path for k, w in self.files.items()}

    def keep_as_partial(self) -> None:
        """Close under `<stem>.cam.partial.<ext>` (an interrupted run): complete files keep their names.

        Call before `close` (the writers read `path` when they rename)."""
        from videocam.io.runinfo import partial_path
        for w in self.files.values():
            w.path = partial_path(w.path)

    def close(self) -> None:
        for w in self.open:
            w.close()

    def abort(self) -> None:
        for w in self.open:
            try:
                w.abort()
            except Exception:  # noqa: BLE001 - already failing; remove what we can
                pass
