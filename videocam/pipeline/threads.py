"""Threads and signals of a run: `AsyncSink` (a consumer thread behind a bounded queue),
`ThreadedWriter` (a frame writer on a thread of its own), `Prefetch` (a producer thread a
few items ahead), `StopFlag` (SIGINT/SIGTERM: stop reading, finish what is in flight) and
`batch_scheduling` (the run's own threads yield the cores to the forward pass's)."""
from __future__ import annotations

import logging
import os
import queue
import signal
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np

from videocam.io.partfile import ClosesOnExit

# Background writing
# --------------------------------------------------------------------------- #

log = logging.getLogger(__name__)

_STOP = object()


def drain(q: queue.Queue) -> None:
    """Throw away whatever waits in `q` (a producer blocked on a full queue can then finish)."""
    try:
        while True:
            q.get_nowait()
    except queue.Empty:
        pass


class AsyncSink(ClosesOnExit):
    """Run ``consume(item)`` on a background thread behind a bounded queue.

    ``put(item)`` blocks while `maxsize` items wait (bounded memory) and
    raises at once if the worker has failed. ``close()`` waits for every item
    to be consumed, then runs `on_close` on the worker thread (e.g. the
    writers' ``close``), joins it and re-raises the worker's exception in
    the caller. ``abort()`` drops waiting items, runs `on_abort`, joins, and
    never raises. As a context manager it closes, or aborts on an exception.
    """

    def __init__(
        self,
        consume: Callable[[Any], None],
        maxsize: int = 8,
        *,
        on_close: Callable[[], None] | None = None,
        on_abort: Callable[[], None] | None = None,
        name: str = "videocam-sink",
    ) -> None:
        self._consume = consume
        self._on_close = on_close
        self._on_abort = on_abort
        self._q: queue.Queue = queue.Queue(maxsize=max(1, int(maxsize)))
        self._exc: BaseException | None = None
        self._aborting = threading.Event()
        self._finished = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def error(self) -> BaseException | None:
        return self._exc

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is _STOP:
                break
            if self._exc is not None or self._aborting.is_set():
                continue  # keep draining so put() never blocks forever
            try:
                self._consume(item)
            except BaseException as e:  # noqa: BLE001 - handed to the caller
                self._exc = e
        if self._exc is None and not self._aborting.is_set():
            if self._on_close is not None:
                try:
                    self._on_close()
                except BaseException as e:  # noqa: BLE001
                    self._exc = e
                    self._call_abort()
        else:
            self._call_abort()

    def _call_abort(self) -> None:
        if self._on_abort is not None:
            try:
                self._on_abort()
            except Exception as e:  # noqa: BLE001
                log.warning("abort failed: %s", e)

    def put(self, item: Any) -> None:
        if self._finished:
            raise RuntimeError("AsyncSink.put after close/abort")
        if self._exc is not None:
            raise self._exc
        while True:
            try:
                self._q.put(item, timeout=0.5)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    raise RuntimeError("AsyncSink worker died") from self._exc
                if self._exc is not None:
                    raise self._exc

    def close(self) -> None:
        if self._finished:
            if self._exc is not None:
                raise self._exc
            return
        self._finished = True
        self._q.put(_STOP)
        self._thread.join()
        if self._exc is not None:
            raise self._exc

    def abort(self) -> None:
        if self._finished and not self._thread.is_alive():
            return
        self._finished = True
        self._aborting.set()
        drain(self._q)
        self._q.put(_STOP)
        self._thread.join()


class ThreadedWriter:
    """A frame writer (`write(rgb, time_s)`, `close()`, `abort()`) run on a thread of its own.

    Why: one thread that draws, encodes the MP4 and quantises the GIF in turn
    caps the run at the sum of the three. On 2 cores that costs nothing (the
    cores are busy anyway); on a many-core GPU machine that one thread was the
    whole pipeline's ceiling. Frames reach the writer in the order written;
    its errors come back from the next `write` or from `close`.
    """

    def __init__(self, writer, maxsize: int = 8, name: str = "videocam-writer") -> None:
        self.writer = writer
        self._sink = AsyncSink(lambda item: writer.write(*item), maxsize, on_close=writer.close,
                               on_abort=writer.abort, name=name)

    def write(self, rgb: np.ndarray, time_s: float | None = None) -> None:
        self._sink.put((rgb, time_s))

    def close(self) -> None:
        self._sink.close()

    def abort(self) -> None:
        self._sink.abort()


class StopFlag:
    """Set by SIGINT/SIGTERM: stop reading, finish what is in flight."""

    def __init__(self):
        self.event = threading.Event()
        self.signal_name: str | None = None
        self._old = {}

    def install(self):
        if threading.current_thread() is not threading.main_thread():
            return self
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except (ValueError, OSError):  # pragma: no cover
                pass
        return self

    def _handle(self, signum, _frame):
        if self.event.is_set():  # second signal: give up at once
            raise KeyboardInterrupt
        self.signal_name = signal.Signals(signum).name
        self.event.set()

    def restore(self):
        for sig, old in self._old.items():
            try:
                signal.signal(sig, old)
            except (ValueError, OSError):  # pragma: no cover
                pass


class Prefetch:
    """Run an iterator on a thread, a bounded number of items ahead."""

    def __init__(self, it: Iterator, depth: int = 2):
        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._exc: BaseException | None = None
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, args=(it,), daemon=True, name="videocam-reader")
        self._t.start()

    def _run(self, it):
        try:
            for item in it:
                while not self._stop.is_set():
                    try:
                        self._q.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    break
        except BaseException as e:  # noqa: BLE001 - re-raised in the consumer
            self._exc = e
        finally:
            while True:
                try:
                    self._q.put(_STOP, timeout=0.2)
                    break
                except queue.Full:
                    if self._stop.is_set():
                        break

    def __iter__(self):
        while True:
            item = self._q.get()
            if item is _STOP:
                if self._exc is not None:
                    raise self._exc
                return
            yield item

    def close(self):
        self._stop.set()
        drain(self._q)
        self._t.join(timeout=5)


@contextmanager
def batch_scheduling(enabled: bool = True) -> Iterator[bool]:
    """Run the calling thread, and the threads it starts meanwhile, under Linux's SCHED_BATCH.

    A run on the CPU keeps TensorFlow's compute threads busy on every core while the reader, the
    stages and the writers wake up hundreds of times a second (a batch queued, a pass finished).
    Under the normal policy each wake-up preempts a compute thread at once, and the pass comes back
    to caches the Python thread has filled; a SCHED_BATCH thread never preempts on waking, it waits
    for the running thread's time slice. Threads inherit the policy from the thread that starts
    them, so the reader, sink, writer and forward-pool threads started inside get it; TensorFlow's
    own threads, started when the model was loaded, keep the normal policy. Measured (bundled model,
    640x360, batch 16, alternated runs of the bare model and `run`): CSV-only 489 -> 498 fps (8 runs
    each) and 487 -> 500 (7 more), MP4 + CSV 245 -> 254; an hour at `--fps 5`, where decoding is the
    limit, 46.6 against 47.2 s. The calling thread's policy is restored on exit; any
    policy other than the normal one (a user's choice), other systems and refusals leave it as is.
    Yields whether it took effect.
    """
    sched_batch = getattr(os, "SCHED_BATCH", None)
    old = None
    if enabled and sched_batch is not None:
        try:
            if os.sched_getscheduler(0) == os.SCHED_OTHER:
                old = os.sched_getparam(0)
                os.sched_setscheduler(0, sched_batch, os.sched_param(0))
        except (OSError, AttributeError):
            old = None
    try:
        yield old is not None
    finally:
        if old is not None:
            try:
                os.sched_setscheduler(0, os.SCHED_OTHER, old)
            except OSError:  # pragma: no cover - lowering was allowed, so going back is
                pass
