"""`process_videos(..., engine="ray")`: the same run on Ray (`pip install -e ".[ray]"`), one machine or a cluster.

- The driver connects (`address`, else $RAY_ADDRESS, else a local Ray on this machine) with an empty
  `working_dir`, so workers import the installed package, never a `videocam/` folder in the driver's
  working directory. It sends absolute paths only: every node needs the inputs, the model and `--out`
  at the same paths (one machine, or a shared filesystem), and checks that first on every node
  (`ray_cluster`: connecting, the nodes, their checks, how workers fit them).
- Workers are actors that each load the model once (`_Worker`), sized from the nodes' own CPUs
  (`ray_cluster.size_workers`: never more CPUs than one node has) and spread over the nodes.
  Ray restarts a worker whose process dies and runs its chunk again. A node that is lost (it leaves
  the cluster) loses its workers for good: the driver runs their chunks again on the others.
- The driver only plans, schedules and reports: what crosses the object store is file names, packet
  times, and small result dicts. Planning (`chunks.scan_video`, a zero-CPU task) lists each video's
  packet times; the driver cuts long videos into chunks at keyframes (`chunks.cut_video`); each chunk
  runs on a free worker, longest first; when a video's chunks are done a worker joins them
  (`chunks.join_outputs`) into the usual `<name>.cam.*` files and writes the run info `<name>.cam.json`,
  which lists each chunk with the node that ran it and its seconds.
- Nothing waits without end: what Ray cannot place, or what does not start within `START_TIMEOUT_S`,
  is one error. If every node running workers is lost, the videos not finished keep what their
  finished chunks show under `.partial` names (as an interrupted local run keeps its files).
"""
from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from videocam.errors import ModelError, VideocamError, first_line, named
from videocam.pipeline.ray_cluster import (  # noqa: F401 - require_ray, _probe: part of this module's surface
    DEFAULT_WORKER_CPUS,
    INSTALL_HINT,
    PROBE_NAME,
    START_TIMEOUT_S,
    _check_storage,
    _node_id,
    _Nodes,
    _probe,
    connect,
    require_ray,
    size_workers,
)

MAX_RESTARTS = 3          # per worker; each restart reloads the model
MAX_TASK_RETRIES = 3      # a chunk whose worker died runs again on the restarted worker
CHUNKS_PER_WORKER = 4     # auto chunk size: about this many chunks per worker over the whole run
# How often the driver asks Ray which nodes are alive while chunks run. Ray itself declares a node dead
# after its health checks fail (`RAY_health_check_period_ms` x `RAY_health_check_failure_threshold`,
# about 15 s by default); this only bounds the driver's delay after that.
NODE_POLL_S = 1.0
KILL_WAIT_S = 10.0  # at most this long for killed workers to be gone before their chunk folders are cleared


class _Worker:
    """A Ray actor: the model, loaded once; runs chunks one at a time."""

    def __init__(self, model, precision: str, threads: int | None):
        self.error = None
        self.node = _node_id()
        try:
            from videocam.model._backend import _quiet_env, backend
            _quiet_env()
            if threads and backend() == "tensorflow":
                from videocam.model._backend import tf
                tf().config.threading.set_intra_op_parallelism_threads(int(threads))
                tf().config.threading.set_inter_op_parallelism_threads(int(threads))
            from videocam.model.loading import load_model
            self.model = load_model(model)
            if precision != "float32":
                self.model.set_precision(precision)
        except VideocamError as e:
            self.error = str(e)

    def ready(self):
        """(pid, error, node id): the model is loaded, or why not; and where."""
        return os.getpid(), self.error, self.node

    def run_chunk(self, chunk, options: dict) -> dict:
        from videocam.pipeline.process import process_video

        warnings: list[str] = []
        t0 = time.perf_counter()
        done = {"node": self.node, "pid": os.getpid()}
        out = Path(chunk.out_dir) / chunk.part_name  # a folder per chunk: its part files and run info are its own
        try:
            s = process_video(chunk.video, model=self.model, out_dir=out, name=chunk.part_name,
                              start=chunk.read_from, end=chunk.end_s, warmup_until=chunk.keep_from,
                              gif_fps=chunk.gif_fps, handle_signals=False, progress=False,
                              warn=warnings.append, **options)
        except VideocamError as e:
            return {**done, "error": str(e)}
        except Exception as e:  # noqa: BLE001 - one line for the driver, not a remote traceback
            return {**done, "error": f"unexpected {type(e).__name__}: {first_line(e)}"}
        info = {}
        if s.run_info is not None:
            try:
                info = json.loads(Path(s.run_info).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                pass
        return {**done, "frames": s.frames, "seconds": time.perf_counter() - t0, "warnings": warnings,
                "outputs": {k: str(p) for k, p in s.outputs.items()},
                "model": info.get("model"), "settings": info.get("settings")}

    def join(self, parts: dict, final: dict, out_dir: str, name: str, discard: bool, record: dict | None) -> dict:
        """Join a video's chunks: run by the worker that finished its last chunk, in its warm
        process (a zero-CPU task would start a fresh Python and its imports: measured 3 s)."""
        return _join(parts, final, out_dir, name, discard, record)


def _join(parts: dict, final: dict, out_dir: str, name: str, discard: bool, record: dict | None,
          complete: bool = True) -> dict:
    """Join a video's chunk files into its outputs (or throw them away) and write its run info
    (`record`: what `_record` gathered); the chunk folder goes. `complete=False` keeps them as partial."""
    from videocam.io import runinfo
    from videocam.pipeline.chunks import join_outputs, remove_chunk_dir

    try:
        if discard:
            return {}
        final = {k: Path(p) if complete else runinfo.partial_path(p) for k, p in final.items()}
        try:
            counts = join_outputs({k: [Path(p) for p in v] for k, v in parts.items()}, final)
            if record is not None:
                out = Path(out_dir)
                if complete:
                    runinfo.remove_partials(out, name)
                info = out / (f"{name}.cam.json" if complete else f"{name}.cam.{runinfo.PARTIAL}.json")
                runinfo.write_run_info(info, outputs={k: p for k, p in final.items() if p.exists()},
                                       complete=complete, interrupted=None if complete else "Ray nodes lost",
                                       **record)
        except VideocamError as e:
            return {"error": str(e)}
        except Exception as e:  # noqa: BLE001
            return {"error": f"unexpected {type(e).__name__} joining chunks: {first_line(e)}"}
        return {"counts": counts, "files": [str(p) for p in final.values() if p.exists()]}
    finally:
        remove_chunk_dir(out_dir, name)


class _Interrupts:
    """SIGINT and SIGTERM both stop the driver the same way (KeyboardInterrupt): workers are
    killed, chunk folders removed, a Ray it started shut down; the name is kept for the exit code."""

    def __init__(self):
        self.name: str | None = None
        self._old: dict = {}

    def install(self):
        import signal
        import threading
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, _frame):
        import signal
        if self.name is None:
            self.name = signal.Signals(signum).name
            raise KeyboardInterrupt

    def restore(self):
        import signal
        for sig, old in self._old.items():
            signal.signal(sig, old)


class _RayMessages:
    """Routes the raylet's messages, which Ray prints on the driver's stdout even with
    `log_to_driver=False`, away from the terminal: a worker's death becomes one warning
    line (Ray restarts it and retries its chunk), the rest goes to the debug log.

    Wraps `ray._private.worker.print_to_stdstream` (private: left alone if it moved)."""

    def __init__(self, warn: Callable[[str], None]):
        self.warn = warn
        self.deaths = 0
        self._module = self._original = None

    def __enter__(self):
        try:
            from ray._private import worker as rw
            original = rw.print_to_stdstream
        except (ImportError, AttributeError):  # pragma: no cover - another Ray layout
            return self

        def route(data, *args, **kwargs):
            if not isinstance(data, dict) or data.get("pid") != "raylet":
                return original(data, *args, **kwargs)
            for line in data.get("lines", ()):
                if "worker died" in str(line).lower():
                    self.deaths += 1
                    self.warn("a Ray worker died (its process was killed or crashed); Ray restarts it and "
                              "runs its chunk again")
                logging.getLogger("videocam.ray").debug("raylet: %s", line)

        self._module, self._original = rw, original
        rw.print_to_stdstream = route
        return self

    def __exit__(self, *exc):
        if self._module is not None:
            self._module.print_to_stdstream = self._original


def _is_face_model(model) -> bool:
    """Whether the model file (a path, None for the default, or a loaded model) is a face model."""
    if model is not None and not isinstance(model, (str, os.PathLike)):
        return bool(getattr(model, "is_face_model", False))
    import zipfile

    from videocam.model.cam_model import default_model_path
    from videocam.model.face_model import is_face_info
    from videocam.model.info import read_info
    try:
        return is_face_info(read_info(default_model_path() if model is None else model))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return False


def _absolute(p) -> str:
    return os.path.abspath(os.fspath(p))


def _as_given(msg: str, sent: str, given: str) -> str:
    """A worker's message about a video, naming it as the user gave it (workers get absolute paths)."""
    return named(msg.replace(sent, given), given)


def run_on_ray(todo, summary, model=None, out_dir="outputs", gif=False, mp4=True, csv=True,
               address=None, workers=None, chunk_s=None, progress=False,
               on_error: Callable[[str], None] | None = None, warn: Callable[[str], None] | None = None,
               on_event: Callable[..., None] | None = None, worker_cpus: float | None = None,
               num_cpus: int | None = None, **options) -> None:
    """Fill the rows of `todo` (`many.VideoRow`) by running their videos on Ray.

    Raises `VideocamError` (one line) when the run cannot go on: no node can hold a worker, a node
    cannot read an input or write `--out`, nothing starts within `START_TIMEOUT_S`, every node with
    workers was lost."""
    from tqdm import tqdm

    from videocam.pipeline.chunks import MIN_CHUNK_FRAMES, cut_video, scan_video
    from videocam.pipeline.process import wanted_outputs

    ray = require_ray()
    on_error = on_error or (lambda m: print(f"error: {m}", file=sys.stderr, flush=True))
    warn = warn or (lambda m: print(f"warning: {m}", file=sys.stderr, flush=True))
    on_event = on_event or (lambda kind, **info: None)
    if not todo:
        return
    stop = _Interrupts().install()
    quiet = _RayMessages(warn).__enter__()
    started, actors = False, []
    t0 = time.perf_counter()
    shown_out = Path(out_dir)
    out_dir = _absolute(out_dir)  # workers run elsewhere: they get absolute paths only
    if isinstance(model, (str, os.PathLike)):
        model = _absolute(model)
    sources = {r.name: _absolute(r.video) for r in todo}
    try:
        started = connect(address, num_cpus)
        summary.timings["connect"] = time.perf_counter() - t0
        nodes = _Nodes(ray)
        worker_cpus, n, note = size_workers(list(nodes.cpus.values()), workers, worker_cpus)
        if note:
            warn(note)
        precision = options.pop("precision", "float32")
        start, end = options.get("start"), options.get("end")
        run_opts = {k: v for k, v in options.items() if k not in ("start", "end")}
        run_opts.update(gif=gif, mp4=mp4, csv=csv)

        # workers load the model while the nodes check the files and the videos are scanned
        Worker = ray.remote(_Worker).options(num_cpus=worker_cpus, max_restarts=MAX_RESTARTS,
                                             max_task_retries=MAX_TASK_RETRIES, scheduling_strategy="SPREAD")
        threads = max(1, math.ceil(worker_cpus))
        actors = [Worker.remote(model, precision, threads) for _ in range(n)]
        # a file the driver cannot read either fails as its video, as in a local run
        _check_storage(ray, nodes, [v for v in sources.values() if os.path.isfile(v)], out_dir, on_error)
        scan = ray.remote(num_cpus=0)(scan_video)
        try:
            scans = ray.get([scan.remote(sources[r.name], start, end) for r in todo], timeout=START_TIMEOUT_S)
        except ray.exceptions.GetTimeoutError:
            raise VideocamError(f"Ray did not scan the videos within {START_TIMEOUT_S:.0f} s") from None
        # work starts on the first worker with its model loaded; the others join as they are ready
        starting = {a.ready.remote(): i for i, a in enumerate(actors)}
        first, _ = ray.wait(list(starting), num_returns=1, timeout=START_TIMEOUT_S)
        if not first:
            raise VideocamError(f"no Ray worker started within {START_TIMEOUT_S:.0f} s ({n} asked for, "
                                f"{worker_cpus:g} CPU(s) each; `ray status` shows what the cluster is waiting for)")
        try:
            pid, error, node = ray.get(first[0])
        except ray.exceptions.RayError as e:
            raise VideocamError(f"a Ray worker did not start: {first_line(e)}") from None
        if error:
            raise ModelError(error)  # the model is the same for every worker
        i0 = starting.pop(first[0])
        pids, where = {i0: pid}, {i0: node}
        summary.timings["ready"] = time.perf_counter() - t0 - summary.timings["connect"]
        on_event("workers", pids=dict(pids))
        t1 = time.perf_counter()

        total = sum(s.frames for s in scans if not s.error)
        if options.get("every") or options.get("fps") or _is_face_model(model):
            # which frames are analysed depends on every frame before (`pipeline.sampling`), and a face
            # model's strangers keep one id through the whole video (`stages.strangers`): not cut
            per = {s.video: max(1, s.frames) for s in scans}
        elif chunk_s:
            per = {s.video: max(1, round(chunk_s * s.fps)) for s in scans}
        else:
            auto = max(MIN_CHUNK_FRAMES, math.ceil(total / (n * CHUNKS_PER_WORKER)))
            per = {s.video: auto for s in scans}
        plans = {}
        for row, s in zip(todo, scans):
            plan = cut_video(s, row.name, out_dir, per[s.video], options.get("smooth"))
            if plan.error:
                row.outcome, row.error = "failed", _as_given(plan.error, sources[row.name], row.video)
                on_error(row.error)
            else:
                plans[row.name] = (row, plan)
        ctx = _Context(ray, nodes, actors, pids, where, starting, plans, out_dir, shown_out, (mp4, csv, gif),
                       run_opts, (start, end), _above_bars(on_error), _above_bars(warn), on_event, wanted_outputs)
        bar = tqdm(total=total or None, unit="frame", desc=f"{len(plans)} video(s) on {n} Ray worker(s)",
                   disable=not progress, dynamic_ncols=True, file=sys.stderr)
        try:
            ctx.schedule(bar)
        finally:
            bar.close()
        summary.timings["work"] = time.perf_counter() - t1
        summary.notes.append(f"Ray: {'joined' if address or os.environ.get('RAY_ADDRESS') else 'started'} in "
                             f"{summary.timings['connect']:.1f} s, first of {n} worker(s) ready in "
                             f"{summary.timings['ready']:.1f} s more (model loaded once per worker), chunks "
                             f"and joins {summary.timings['work']:.1f} s")
        restarted = 0
        for i, p0 in pids.items():
            if i in ctx.gone:
                continue
            back, _ = ray.wait([actors[i].ready.remote()], timeout=30)
            restarted += bool(back) and ray.get(back[0])[0] != p0
        if restarted:
            summary.notes.append(f"{restarted} worker(s) died and were restarted; their chunks ran again")
        if ctx.lost:
            summary.notes.append(f"Ray node(s) lost: {', '.join(ctx.lost)}; their chunks ran again on the others")
    except KeyboardInterrupt:
        summary.interrupted = stop.name or "SIGINT"
        from videocam.pipeline.chunks import remove_chunk_dir
        for r in todo:
            if r.outcome == "pending":
                r.outcome = "interrupted"
                remove_chunk_dir(out_dir, r.name)
    finally:
        for a in actors:
            with suppress(Exception):
                ray.kill(a)
        if started:
            t2 = time.perf_counter()
            ray.shutdown()
            summary.timings["shutdown"] = time.perf_counter() - t2
        quiet.__exit__()
        stop.restore()


def _above_bars(say: Callable[[str], None]) -> Callable[[str], None]:
    """`say`, on a line of its own above the progress bar (not in the middle of the bar's line)."""
    def above(msg: str) -> None:
        from tqdm import tqdm
        with tqdm.external_write_mode(file=sys.stderr):
            say(msg)
    return above


class _Context:
    """The chunk phase: chunks to free workers, longest first; a video whose chunks are all back is
    joined by the next free worker (joins go before chunks, so outputs appear as videos finish).
    Lost nodes' chunks and joins go back in the queue; with no worker left, what is finished is kept."""

    def __init__(self, ray, nodes, actors, pids, where, starting, plans, out_dir, shown_out, kinds, run_opts,
                 span, on_error, warn, on_event, wanted_outputs):
        self.ray, self.nodes, self.actors, self.pids, self.where = ray, nodes, actors, pids, where
        self.starting, self.plans, self.out_dir, self.shown_out = starting, plans, out_dir, shown_out
        self.kinds, self.run_opts, self.span = kinds, run_opts, span
        self.on_error, self.warn, self.on_event, self.wanted_outputs = on_error, warn, on_event, wanted_outputs
        self.pending = sorted((c for _, plan in plans.values() for c in plan.chunks), key=lambda c: -c.frames)
        self.results: dict[str, list] = {name: [None] * len(plan.chunks) for name, (_, plan) in plans.items()}
        self.began: dict[str, float] = {}
        self.idle = list(pids)  # workers ready and free; `starting` maps ready() refs of the others
        self.inflight: dict = {}  # ref -> (chunk, actor index)
        self.to_join: list = []   # (name, join arguments)
        self.joins: dict = {}     # ref -> (name, actor index, join arguments)
        self.gone: set[int] = set()  # workers lost for good (their node, or their restarts)
        self.lost: list[str] = []    # names of lost nodes
        self.checked = time.monotonic()
        self.no_worker_since: float | None = None

    # ---------------------------------------------------------------- the loop

    def schedule(self, bar) -> None:
        ray = self.ray
        while self.pending or self.inflight or self.joins or self.to_join:
            while self.idle and self.to_join:
                i, (name, args) = self.idle.pop(0), self.to_join.pop(0)
                self.joins[self.actors[i].join.remote(*args)] = (name, i, args)
            while self.idle and self.pending:
                i, c = self.idle.pop(0), self.pending.pop(0)
                self.began.setdefault(c.name, time.perf_counter())
                self.inflight[self.actors[i].run_chunk.remote(c, self.run_opts)] = (c, i)
            if not (self.inflight or self.joins or self.starting):
                self._no_worker_left()
                return
            self._starting_deadline()
            done, _ = ray.wait(list(self.inflight) + list(self.joins) + list(self.starting), num_returns=1,
                               timeout=NODE_POLL_S)
            if not done or time.monotonic() - self.checked >= NODE_POLL_S:
                self._check_nodes()
            for ref in done:
                if ref in self.starting:
                    self._started(ref)
                elif ref in self.joins:
                    self._joined(ref)
                elif ref in self.inflight:
                    self._chunk_back(ref, bar)

    def _started(self, ref) -> None:
        i = self.starting.pop(ref)
        try:
            pid, error, node = self.ray.get(ref)
        except self.ray.exceptions.RayError:
            pid, error, node = None, "did not start", None
        if error:
            self.warn(f"a Ray worker could not load the model and is left out: {error}")
            self.gone.add(i)
        elif node not in self.nodes.refresh():
            self.gone.add(i)
        else:
            self.pids[i], self.where[i] = pid, node
            self.idle.append(i)

    def _chunk_back(self, ref, bar) -> None:
        ray = self.ray
        c, i = self.inflight.pop(ref)
        try:
            res = ray.get(ref)
            if res.get("node"):
                self.where[i] = res["node"]  # a restarted worker may be elsewhere
            self.idle.append(i)
        except ray.exceptions.RayError as e:
            if self._node_lost(i):  # its node left: the chunk goes back in the queue (`_check_nodes`)
                self.inflight[ref] = (c, i)
                self._check_nodes()
                return
            if isinstance(e, ray.exceptions.RayActorError):  # restarts used up: this worker is gone
                res = {"error": f"its worker died and was restarted as often as Ray may ({MAX_RESTARTS} times): "
                                f"{first_line(e)}"}
                self.gone.add(i)
            else:
                res = {"error": f"Ray failed on this chunk: {first_line(e)}"}
                self.idle.append(i)
        self.results[c.name][c.index] = res
        bar.update(res.get("frames", 0))
        self.on_event("chunk", chunk=c, result=res, busy=[self.pids[j] for _, j in self.inflight.values()])
        if all(r is not None for r in self.results[c.name]):
            self.to_join.append((c.name, self._finish(c.name)))

    def _joined(self, ref) -> None:
        """Record a finished join."""
        ray = self.ray
        name, i, args = self.joins.pop(ref)
        row = self.plans[name][0]
        try:
            res = ray.get(ref)
            self.idle.append(i)
        except ray.exceptions.RayError as e:
            if self._node_lost(i):
                self.joins[ref] = (name, i, args)
                self._check_nodes()
                return
            if isinstance(e, ray.exceptions.RayActorError):
                res = {"error": f"its worker died joining the chunks: {first_line(e)}"}
                self.gone.add(i)
            else:
                res = {"error": f"Ray failed joining the chunks: {first_line(e)}"}
                self.idle.append(i)
        self._record_join(row, res)

    def _record_join(self, row, res) -> None:
        if row.outcome == "failed":
            row.outputs = {}
        elif "error" in res:
            row.outcome, row.error, row.outputs = "failed", self._as_given(res["error"], row), {}
            self.on_error(row.error)
        else:
            row.outcome = "ok"
            row.seconds = self._seconds(row.name)
            row.outputs = {k: p for k, p in row.outputs.items() if Path(self.out_dir, Path(p).name).exists()}

    # ---------------------------------------------------------------- nodes and workers lost

    def _node_lost(self, i: int) -> bool:
        node = self.where.get(i)
        return node is not None and node not in self.nodes.refresh()

    def _check_nodes(self) -> None:
        """Workers on nodes that left the cluster are gone for good: their chunks and joins go back
        in the queue (Ray would restart them only where CPUs are free, which may be nowhere)."""
        self.checked = time.monotonic()
        alive = self.nodes.refresh()
        lost: dict[str, list[str]] = {}
        for i, node in list(self.where.items()):
            if node in alive or i in self.gone:
                continue
            self.gone.add(i)
            retried = lost.setdefault(node, [])
            with suppress(Exception):
                self.ray.kill(self.actors[i], no_restart=True)
            if i in self.idle:
                self.idle.remove(i)
            for ref, (c, j) in list(self.inflight.items()):
                if j == i:
                    del self.inflight[ref]
                    self.pending.insert(0, c)
                    retried.append(f"{c.name} chunk {c.index + 1}/{c.count}")
            for ref, (name, j, args) in list(self.joins.items()):
                if j == i:
                    del self.joins[ref]
                    self.to_join.insert(0, (name, args))
                    retried.append(f"{name} join")
        for node, retried in lost.items():
            name = self.nodes.name(node)
            self.lost.append(name)
            left = sorted({self.nodes.name(self.where[j]) for j in self.where if j not in self.gone})
            self.warn(f"Ray node {name} was lost; "
                      + (f"retrying its chunks on {', '.join(left) or 'the other nodes'}: {', '.join(retried)}"
                         if retried else "it held no chunk"))

    def _wait_for_killed_workers(self, timeout_s: float = KILL_WAIT_S) -> None:
        """`ray.kill` returns before the process is gone, and a worker killed mid-chunk may still write
        into its chunk folder: a call to each killed worker fails once it is dead (bounded wait)."""
        refs = []
        for i in self.gone:
            with suppress(Exception):
                refs.append(self.actors[i].ready.remote())
        if refs:
            with suppress(Exception):
                self.ray.wait(refs, num_returns=len(refs), timeout=timeout_s)

    def _starting_deadline(self) -> None:
        """With no worker running, workers still starting get `START_TIMEOUT_S` to start."""
        if self.idle or self.inflight or self.joins or not self.starting:
            self.no_worker_since = None
            return
        self.no_worker_since = self.no_worker_since or time.monotonic()
        if time.monotonic() - self.no_worker_since > START_TIMEOUT_S:
            for ref, i in list(self.starting.items()):
                self.gone.add(i)
                with suppress(Exception):
                    self.ray.kill(self.actors[i], no_restart=True)
            self.starting.clear()

    def _no_worker_left(self) -> None:
        """Every worker is gone: videos whose chunks are all done are joined here; the others keep what
        their finished chunks show under `.partial` names; one error for the run."""
        self._wait_for_killed_workers()
        for name, args in self.to_join:
            self._record_join(self.plans[name][0], _join(*args))
        self.to_join.clear()
        kept, unfinished = [], []
        for name, (row, plan) in self.plans.items():
            if row.outcome != "pending":
                continue
            unfinished.append(row.video)
            done = []
            for r in self.results[name]:
                if r is None or "error" in r:
                    break
                done.append(r)
            parts = {k: [r["outputs"][k] for r in done if k in r.get("outputs", {})] for k in ("mp4", "csv", "gif")}
            final = {k: str(p) for k, p in self.wanted_outputs(Path(self.out_dir), name, *self.kinds).items()}
            res = _join(parts, final, self.out_dir, name, not done,
                        self._record(row, done, plan.chunks, self._seconds(name)) if done else None, complete=False)
            kept += [str(self.shown_out / Path(p).name) for p in res.get("files", ())]
            row.outcome, row.frames = "failed", sum(r.get("frames", 0) for r in done) or None
            row.error = named("no Ray worker left to finish it", row.video)
            row.outputs = {}
        why = f"every Ray node running workers was lost ({', '.join(self.lost)})" if self.lost else \
            "no Ray worker is left (each died more often than Ray restarts one)"
        msg = f"{why}: {len(unfinished)} video(s) not finished ({', '.join(unfinished)})"
        if kept:
            msg += f"; what their finished chunks show is kept as {', '.join(kept)}"
        raise VideocamError(msg)

    # ---------------------------------------------------------------- a video's chunks are back

    def _record(self, row, res_all: list, chunks, seconds: float) -> dict:
        """The run info of a video run in chunks (`runinfo.write_run_info`'s arguments): the model and
        settings its chunks report, the run's own start and end, and each chunk's node and seconds."""
        from videocam.io.runinfo import END_OF_VIDEO, START_OF_VIDEO
        first = next((r for r in res_all if r.get("settings")), {})
        m = first.get("model") or {}
        start, end = self.span
        settings = {**(first.get("settings") or {}), "start": float(START_OF_VIDEO if start is None else start),
                    "end": END_OF_VIDEO if end is None else float(end)}
        chunk_info = [{"start_s": c.keep_from if c.keep_from is not None else (c.read_from or 0.0), "end_s": c.end_s,
                       "frames": r.get("frames", 0), "node": self.nodes.name(r.get("node")),
                       "seconds": round(float(r.get("seconds", 0.0)), 2)} for c, r in zip(chunks, res_all)]
        return {"input": self.plans[row.name][1].video, "frames": sum(r.get("frames", 0) for r in res_all),
                "seconds": seconds, "model_path": m.get("path"), "bundled": bool(m.get("bundled")),
                "classes": m.get("classes") or [], "settings": settings,
                "extra": {"engine": "ray", "chunks": chunk_info}}

    def _as_given(self, msg: str, row) -> str:
        return _as_given(msg, self.plans[row.name][1].video, row.video)

    def _seconds(self, name: str) -> float:
        return time.perf_counter() - self.began.get(name, time.perf_counter())

    def _finish(self, name: str) -> tuple:
        """A video's chunks are all back: its warnings, nodes and error, and the arguments of its join."""
        row, plan = self.plans[name]
        res_all = self.results[name]
        bad = next((r["error"] for r in res_all if "error" in r), None)
        for msg in dict.fromkeys(m for r in res_all for m in r.get("warnings", ())):
            self.warn(self._as_given(msg, row))
        parts = {k: [r["outputs"][k] for r in res_all if k in r.get("outputs", {})] for k in ("mp4", "csv", "gif")}
        final = {k: str(p) for k, p in self.wanted_outputs(Path(self.out_dir), name, *self.kinds).items()}
        if bad:
            row.outcome, row.error = "failed", self._as_given(bad, row)
            self.on_error(row.error)
        row.frames = sum(r.get("frames", 0) for r in res_all)
        row.nodes = sorted({self.nodes.name(r["node"]) for r in res_all if r.get("node") and "error" not in r})
        row.outputs = {k: str(p) for k, p in self.wanted_outputs(self.shown_out, name, *self.kinds).items()}
        record = None if bad else self._record(row, res_all, plan.chunks, self._seconds(name))
        return parts, final, self.out_dir, name, bool(bad), record
