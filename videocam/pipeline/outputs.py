"""One set of writers for a run's results: the annotated MP4, the GIF and the per-frame CSV.

`run` and `live --record/--csv` both write through it, so the files of the two are made the same way.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from videocam.types import Frame, FrameResult

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
        self._held: list[Frame] = []  # drawn-only frames waiting for the next analysed result
        self._last: FrameResult | None = None

    def write(self, r: FrameResult, img: np.ndarray | None = None, flush: bool = True) -> None:
        """One result; `img` is its annotated frame when the caller drew it already (live's window).
        `flush=False` leaves its CSV row buffered (`consume` flushes once a batch)."""
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
            self.csv.write(r, flush=flush)
        self.count += 1

    def consume(self, items: list) -> None:
        """A batch from `analyse_stream`: `FrameResult`s, and `Frame`s that are only drawn."""
        for item in items:
            if isinstance(item, FrameResult):
                self._draw_held(item)
                self.write(item, flush=False)
                self._last = item
            else:
                self._held.append(item)
        if self.csv is not None:
            self.csv.flush()  # the CSV can be followed with `tail -f`, a batch at a time

    def _draw_held(self, nxt: FrameResult | None) -> None:
        """Draw the frames between two analysed ones, each with the nearer one's result (MP4/GIF)."""
        for f in self._held:
            prev = self._last
            near = nxt if prev is None or (nxt is not None and nxt.frame.time_s - f.time_s < f.time_s - prev.frame.time_s) else prev
            if near is None or (self.mp4 is None and self.gif is None):
                continue
            img = self.renderer.annotate(f.rgb, near.with_(frame=f))
            for w in (self.mp4, self.gif):
                if w is not None:
                    w.write(img, f.time_s)
        self._held.clear()

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
        self._draw_held(None)
        for w in self.open:
            w.close()

    def abort(self) -> None:
        for w in self.open:
            try:
                w.abort()
            except Exception:  # noqa: BLE001 - already failing; remove what we can
                pass
