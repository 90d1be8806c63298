"""Frames -> batches -> forward passes -> results through the stages: the one path every loop uses.

`analyse` makes a batch's results; `analyse_batch` is one batch end to end (live, ablate);
`analyse_stream` a whole stream with a reader thread ahead (run). `forward_stream` runs the
passes in order, one or two batches in flight:

Why two: on a CPU, TensorFlow splits each convolution into one slice per core
and waits for the slowest. When the reader or writer thread takes a core for a
few milliseconds, the other core's slice finishes and waits, so every
millisecond of I/O costs the model two core-milliseconds. With two batches in
flight, the other core has work of its own to go on with. Measured with
VGG16-GAP on 2 cores (`videocam bench`, 120 frames): pipeline/model 0.92x with
one batch in flight against 0.96x with two.

Why not always two: with a small model the pipeline is bound by decoding,
drawing and encoding, not by the model, and a second forward stream only takes
CPU from those threads (bundled model: 220 against 206 fps). So the stream
starts with one batch in flight, times the forward pass on the first batches
after tracing, and goes to two only when the model is the slow part.
"""
from __future__ import annotations

import os
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from videocam.types import Frame, FrameResult

# A forward pass slower than this per frame makes the run model-bound: decoding, drawing
# and encoding a 640x360 frame take about 3-5 ms of one core on the 2-core reference machine.
PARALLEL_FORWARD_MS = 10.0
TIMED_BATCHES = 2  # batches timed after the first (which traces the graph)


def in_flight_when_nothing_is_drawn(cpus: int | None = None) -> int | None:
    """Batches in flight for a run that draws nothing (CSV only): two on 2+ cores, whatever the model.

    With nothing to draw or encode, the work beside the model is decoding (one model-sized
    conversion) and the stages, so a second forward stream has the cores to itself. Measured on
    the 2-core machine, bundled model, demo video, batch 16, alternated: 365-403 fps with one batch
    in flight against 417-437 with two (the bare model: ~445). With drawing, one stays better for
    a fast model (see the module doc); None lets `forward_stream` choose by the forward time.
    """
    cpus = cpus or os.cpu_count() or 1
    return 2 if cpus >= 2 else None


# Frames up to this many pixels decode on one thread in a run that draws nothing (below).
ONE_THREAD_DECODE_PIXELS = 640 * 480


def decode_threads_when_nothing_is_drawn(pixels: int) -> int | None:
    """Decoder threads for a CSV-only run with the model on the CPU: 1 for small frames, else FFmpeg's.

    The forward pass fills the cores, so FFmpeg's frame and scaler threads add only their own
    cost: 640x360 H.264 and its model-sized copy took 0.51 core-ms a frame on one thread against
    0.56-0.63 with FFmpeg's threads, and the whole CSV-only run 4.1 against 4.3 core-ms a frame
    (bundled model, 2 cores, 1,500 frames, alternated). One thread still decodes such a frame at
    ~1,900 fps, three times the model; a 720p frame (4x the pixels) would not keep up, so larger
    frames and models on an accelerator (which leave the CPU to the reader) keep FFmpeg's threads.
    """
    from videocam.model._backend import accelerated
    if pixels > ONE_THREAD_DECODE_PIXELS or accelerated():
        return None
    return 1


def in_flight_for(ms_per_frame: float, cpus: int) -> int:
    """How many batches to keep in flight for a forward pass of `ms_per_frame`."""
    return 2 if cpus >= 2 and ms_per_frame >= PARALLEL_FORWARD_MS else 1


def forward_stream(
    forward: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    batches: Iterable[tuple[list, np.ndarray]],
    in_flight: int | None = None,
    cpus: int | None = None,
    stop: threading.Event | None = None,
) -> Iterator[tuple[list, np.ndarray, np.ndarray]]:
    """Yield `(frames, probs, cams)` for each `(frames, x)` batch, in input order.

    `in_flight` fixes the number of batches run at once; None chooses it from
    the measured forward time (see `in_flight_for`). Once `stop` is set, no
    new batch starts: passes already running finish and are yielded, batches
    still waiting are dropped (so Ctrl-C on a slow model is answered within
    one pass, not after everything decoded ahead has gone through).
    """
    cpus = cpus or os.cpu_count() or 1
    it = iter(batches)
    chosen = in_flight
    timed_ms: list[float] = []
    seen = 0
    while chosen is None or chosen <= 1:
        if _stopped(stop):
            return
        try:
            frames, x = next(it)
        except StopIteration:
            return
        if x is None:  # drawn-only frames: nothing to run
            yield frames, None, None
            continue
        t0 = time.perf_counter()
        out = forward(x)  # (probs, cams), or (probs, cams, faces) for a face model
        if chosen is None and seen >= 1 and len(x):
            timed_ms.append(1000.0 * (time.perf_counter() - t0) / len(x))
            if len(timed_ms) >= TIMED_BATCHES:
                chosen = in_flight_for(float(np.median(timed_ms)), cpus)
        seen += 1
        yield (frames, *out)
    yield from _overlapped(forward, it, chosen, stop)


def _no_pass():
    """A finished future for a batch with nothing to run."""
    from concurrent.futures import Future
    f: Future = Future()
    f.set_result((None, None))
    return f


def _stopped(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()


_SKIPPED = object()  # a batch that reached a free thread after the stop


def _overlapped(forward, it: Iterator, in_flight: int, stop: threading.Event | None) -> Iterator:
    """`in_flight` forward passes at once on a small thread pool, results in input order.

    Each pass has one more batch queued behind it. Passes of equal length that start together end
    together; with one batch queued for both, the second pass's thread waited for the consumer to
    finish the first batch's stages and submit the next (p90 gap 7-8 ms; passes in flight 96% of a
    CSV-only run against 98.5% for the bare model). With one each: 99%. A queued batch that reaches
    a free thread after the stop is not run; the pool starts batches in order, so neither is any
    after it, and what comes back is a run of batches from the oldest on, nothing skipped between.
    """
    def run(x):
        return _SKIPPED if _stopped(stop) else forward(x)

    with ThreadPoolExecutor(in_flight, thread_name_prefix="videocam-forward") as pool:
        pending: deque = deque()
        try:
            for frames, x in it:
                if _stopped(stop):
                    break
                pending.append((frames, pool.submit(run, x) if x is not None else _no_pass()))
                if len(pending) >= 2 * in_flight:
                    frames_done, fut = pending.popleft()
                    out = fut.result()
                    if out is _SKIPPED:
                        return
                    yield (frames_done, *out)
            while pending:
                frames_done, fut = pending.popleft()
                out = fut.result()
                if out is _SKIPPED:
                    return
                yield (frames_done, *out)
        finally:
            for _, fut in pending:  # stopped, or a consumer that quit early: drop what has not started
                fut.cancel()


# ------------------------------------------------------------------ results
# The one place a batch of frames becomes results: run, live, ablate and bench all go through here.

def batch_size_at(size: int, made: int, expected: int | None = None) -> int:
    """The next batch's size, `made` analysed frames into a stream of about `expected`: `size`,
    smaller at both ends.

    Passes run two at a time, each on one core (`forward_stream`). At the start the first pass
    waited for a whole batch to be decoded and the second for another (12-17 and 23-33 ms with the
    cores half idle, 1,200-frame CSV-only run); at the end the last pass ran alone for up to a
    pass (25-43 ms). So the first batches are a quarter and a half of `size`, and the last two
    batches' worth of frames go in quarters. A wrong `expected` (a header's frame count can be)
    only moves the small batches; the results do not depend on the batching.
    """
    small = max(1, size // 4)
    if made == 0:
        return small
    if made < size // 2:  # the second batch
        return max(1, size // 2)
    if expected is not None and expected - made <= 2 * size:
        return small
    return size


def batches(frames: Iterable[Frame], size: int, prepare: Callable, stop: threading.Event | None = None,
            expected: int | None = None, taper: bool = False) -> Iterator:
    """Group frames into `((frames, analysed), model_input)`: `size` analysed frames a batch, with
    the frames between them that are only drawn (`Frame.analysed` False) kept in order in `frames`.
    Drawn-only frames after the last analysed one come last, with `analysed` empty and no input.
    With `taper`, batches are smaller at the start and near `expected` analysed frames
    (`batch_size_at`)."""
    items: list[Frame] = []
    chosen: list[Frame] = []
    def size_after(made: int) -> int:
        return batch_size_at(size, made, expected) if taper else size

    made = 0
    want = size_after(made)
    for f in frames:
        if _stopped(stop):
            break
        items.append(f)
        if f.analysed:
            chosen.append(f)
            if len(chosen) == want:
                yield (items, chosen), prepare(chosen)
                made += len(chosen)
                items, chosen = [], []
                want = size_after(made)
    if chosen:
        yield (items, chosen), prepare(chosen)
    elif items:
        yield (items, chosen), None


def model_input(cm, frames: Sequence[Frame], size: tuple[int, int] | None) -> np.ndarray:
    """The model's batch for `frames` at input `size` (height, width); None: the full frames (a
    face model finds the faces on them)."""
    return cm.prepare([f.model_input(size) if size is not None else f.rgb for f in frames], size)


def analyse(frames: Sequence[Frame], probs: np.ndarray, cams: np.ndarray | None, classes: Sequence[str],
            stages: Iterable = (), faces: list | None = None) -> list[FrameResult]:
    """One batch's forward-pass outputs (probs B x C, cams B x C x h x w) through the stage chain.
    A face model's pass gives no frame maps but each frame's faces (`notes["faces"]`), from which
    its stage makes the maps."""
    from videocam.stages.chain import run_stages
    classes = tuple(classes)
    results = [FrameResult(frame=f, classes=classes, probs=probs[i], cams=cams[i] if cams is not None else None,
                           notes={"faces": faces[i]} if faces is not None else {})
               for i, f in enumerate(frames)]
    return run_stages(stages, results)


def analyse_batch(cm, frames: Sequence[Frame], size: tuple[int, int] | None,
                  stages: Iterable = ()) -> list[FrameResult]:
    """Prepare, one forward pass, the stages: a batch of frames in, results out."""
    probs, cams, *faces = cm.probs_and_cams(model_input(cm, frames, size))
    return analyse(frames, probs, cams, cm.classes, stages, faces[0] if faces else None)


def analyse_stream(cm, frames: Iterable[Frame], size: tuple[int, int], batch: int, stages: Iterable = (),
                   stop: threading.Event | None = None, prefetch: bool = True,
                   in_flight: int | None = None, expected: int | None = None) -> Iterator[list]:
    """Results batch by batch for a stream of frames, in order: a `FrameResult` for each analysed
    frame and the `Frame` itself for each frame that is only drawn. Batches are made (decoded,
    resized) on a reader thread ahead of the model; `forward_stream` chooses how many passes to overlap.
    With TensorFlow the batches are smaller at both ends of the stream (about `expected` analysed
    frames; `batch_size_at`); JAX compiles once per batch shape, so there they stay whole."""
    from videocam.model._backend import backend
    from videocam.pipeline.threads import Prefetch
    taper = backend() == "tensorflow"
    if hasattr(cm, "reset_stream"):
        cm.reset_stream()  # a face model's tracks belong to one stream
    made = batches(frames, batch, lambda fs: model_input(cm, fs, size), stop, expected, taper=taper)
    source = Prefetch(made) if prefetch else None
    try:
        for (items, chosen), probs, cams, *faces in forward_stream(
                cm.probs_and_cams, source if source is not None else made, in_flight=in_flight, stop=stop):
            results = analyse(chosen, probs, cams, cm.classes, stages, faces[0] if faces else None) if chosen else []
            if len(results) == len(items):
                yield results
            else:
                it = iter(results)
                yield [next(it) if f.analysed else f for f in items]
    finally:
        if source is not None:
            source.close()
