"""`process_videos(..., engine="ray")`: the same run on Ray (`pip install -e ".[ray]"`).

- The driver connects (`address`, else $RAY_ADDRESS, else a local Ray on this machine),
  starts `workers` actors that each load the model once (`_Worker`; restarted by Ray if
  their process dies, and the chunk they held is retried), and only plans, schedules and
  reports: what crosses the object store is file names, packet times, and small result
  dicts. Frames never pass through the driver: workers decode the input and write the
  outputs themselves, so every node needs the inputs and `--out` at the same paths (one
  machine, or a shared filesystem).
- Planning (`chunks.scan_video`, a zero-CPU task) lists each video's packet times; the
  driver cuts long videos into chunks at keyframes (`chunks.cut_video`); each chunk runs
  on a free worker, longest first; when a video's chunks are done a zero-CPU task joins
  them (`chunks.join_outputs`) into the usual `<name>.cam.*` files.
"""
from __future__ import annotations

import logging
import math
import os
import sys
import time
from pathlib import Path
from typing import Callable

from videocam.errors import ModelError, UsageError, VideocamError, first_line

INSTALL_HINT = 'pip install -e ".[ray]" (or: pip install ray)'
MAX_RESTARTS = 3          # per worker; each restart reloads the model
MAX_TASK_RETRIES = 3      # a chunk whose worker died runs again on the restarted worker
CHUNKS_PER_WORKER = 4     # auto chunk size: about this many chunks per worker over the whole run
# CPUs per worker by default. A worker's pipeline already keeps more than one core busy (reader,
# model, drawing, encoder threads): on the 2-core machine one worker holding both CPUs ran the
# 8-video archive's chunks in 32-37 s against 38-39 s for two workers of one CPU each, and started
# sooner (one TensorFlow import, not two at once); scripts/ray_bench.py --also-workers 2.
DEFAULT_WORKER_CPUS = 2


def require_ray():
    try:
        import ray
    except ImportError:
        raise UsageError(f"--engine ray needs Ray, which is not installed: {INSTALL_HINT}") from None
    return ray


class _Worker:
    """A Ray actor: the model, loaded once; runs chunks one at a time."""

    def __init__(self, model, precision: str, threads: int | None):
        self.error = None
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
        """(pid, error): the model is loaded, or why not."""
        return os.getpid(), self.error

    def run_chunk(self, chunk, options: dict) -> dict:
        from videocam.pipeline.process import process_video

        warnings: list[str] = []
        t0 = time.perf_counter()
        try:
            s = process_video(chunk.video, model=self.model, out_dir=chunk.out_dir, name=chunk.part_name,
                              start=chunk.read_from, end=chunk.end_s, warmup_until=chunk.keep_from,
                              gif_fps=chunk.gif_fps, handle_signals=False, progress=False,
                              warn=warnings.append, **options)
        except VideocamError as e:
            return {"error": str(e)}
        except Exception as e:  # noqa: BLE001 - one line for the driver, not a remote traceback
            return {"error": f"unexpected {type(e).__name__}: {first_line(e)}"}
        return {"frames": s.frames, "seconds": time.perf_counter() - t0, "warnings": warnings,
                "outputs": {k: str(p) for k, p in s.outputs.items()}, "pid": os.getpid()}

    def join(self, parts: dict, final: dict, out_dir: str, name: str, discard: bool) -> dict:
        """Join a video's chunks: run by the worker that finished its last chunk, in its warm
        process (a zero-CPU task would start a fresh Python and its imports: measured 3 s)."""
        return _join(parts, final, out_dir, name, discard)


def _join(parts: dict, final: dict, out_dir: str, name: str, discard: bool) -> dict:
    """Join a video's chunk files into its final outputs (or throw them away); the chunk folder goes."""
    from videocam.pipeline.chunks import join_outputs, remove_chunk_dir

    try:
        if discard:
            return {}
        try:
            counts = join_outputs({k: [Path(p) for p in v] for k, v in parts.items()},
                                  {k: Path(p) for k, p in final.items()})
        except VideocamError as e:
            return {"error": str(e)}
        except Exception as e:  # noqa: BLE001
            return {"error": f"unexpected {type(e).__name__} joining chunks: {first_line(e)}"}
        return {"counts": counts}
    finally:
        remove_chunk_dir(out_dir, name)


def connect(address: str | None = None, num_cpus: int | None = None) -> bool:
    """Connect to Ray, quietly; True when this call started it (then the caller shuts it down)."""
    ray = require_ray()
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # Ray reports usage online unless told not to
    # Ray starts its workers at nice 15, below everything else on the machine; a local run's
    # workers do the work the one-process run does at nice 0 (measured on a shared 2-core
    # machine: 2.1x the one-process wall time at nice 15). RAY_worker_niceness=15 restores Ray's.
    os.environ.setdefault("RAY_worker_niceness", "0")
    quiet = dict(log_to_driver=False, logging_level=logging.ERROR, include_dashboard=False)
    try:
        if address:
            ray.init(address=address, **quiet)
        else:
            ray.init(num_cpus=num_cpus, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as e:
        where = f"Ray at {address}" if address else "a local Ray"
        raise UsageError(f"cannot start or reach {where}: {first_line(e)}") from None
    return True


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


def run_on_ray(todo, summary, model=None, out_dir="outputs", gif=False, mp4=True, csv=True,
               address=None, workers=None, chunk_s=None, progress=False,
               on_error: Callable[[str], None] | None = None, warn: Callable[[str], None] | None = None,
               on_event: Callable[..., None] | None = None, worker_cpus: float | None = None,
               num_cpus: int | None = None, **options) -> None:
    """Fill the rows of `todo` (`many.VideoRow`) by running their videos on Ray."""
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
    try:
        started = connect(address, num_cpus)
        summary.timings["connect"] = time.perf_counter() - t0
        cpus = float(ray.cluster_resources().get("CPU", 1))
        if workers:  # each worker gets its share of the CPUs, as TensorFlow threads
            worker_cpus = worker_cpus or max(1.0, float(int(cpus // int(workers))))
        else:
            worker_cpus = worker_cpus or min(float(DEFAULT_WORKER_CPUS), cpus)
        n = int(workers) if workers else max(1, int(cpus // worker_cpus))
        precision = options.pop("precision", "float32")
        start, end = options.get("start"), options.get("end")
        run_opts = {k: v for k, v in options.items() if k not in ("start", "end")}
        run_opts.update(gif=gif, mp4=mp4, csv=csv)

        # workers load the model while the videos are scanned
        Worker = ray.remote(_Worker).options(num_cpus=worker_cpus, max_restarts=MAX_RESTARTS,
                                             max_task_retries=MAX_TASK_RETRIES)
        threads = max(1, int(math.ceil(worker_cpus)))
        actors = [Worker.remote(model, precision, threads) for _ in range(n)]
        scan = ray.remote(num_cpus=0)(scan_video)
        scans = ray.get([scan.remote(r.video, start, end) for r in todo])
        # work starts on the first worker with its model loaded; the others join as they are ready
        starting = {a.ready.remote(): i for i, a in enumerate(actors)}
        first, _ = ray.wait(list(starting), num_returns=1)
        pid, error = ray.get(first[0])
        if error:
            raise ModelError(error)  # the model is the same for every worker
        pids = {starting.pop(first[0]): pid}
        summary.timings["ready"] = time.perf_counter() - t0 - summary.timings["connect"]
        on_event("workers", pids=dict(pids))
        t1 = time.perf_counter()

        total = sum(s.frames for s in scans if not s.error)
        if options.get("every") or options.get("fps") or _is_face_model(model):
            # which frames are analysed depends on every frame before (`pipeline.sampling`), and a face
            # model's strangers keep one id through the whole video (`stages.strangers`): not cut
            per = {s.video: max(1, s.frames) for s in scans}
        elif chunk_s:
            per = {s.video: max(1, int(round(chunk_s * s.fps))) for s in scans}
        else:
            auto = max(MIN_CHUNK_FRAMES, math.ceil(total / (n * CHUNKS_PER_WORKER)))
            per = {s.video: auto for s in scans}
        plans = {}
        for row, s in zip(todo, scans):
            plan = cut_video(s, row.name, out_dir, per[s.video], options.get("smooth"))
            if plan.error:
                row.outcome, row.error = "failed", plan.error
                on_error(plan.error)
            else:
                plans[row.name] = (row, plan)
        _schedule(ray, actors, pids, starting, plans, out_dir, gif, mp4, csv, run_opts, progress, total,
                  on_error, warn, on_event, wanted_outputs, tqdm)
        summary.timings["work"] = time.perf_counter() - t1
        summary.notes.append(f"Ray: {'started' if started else 'joined'} in {summary.timings['connect']:.1f} s, "
                             f"first of {n} worker(s) ready in {summary.timings['ready']:.1f} s more (model "
                             f"loaded once per worker), chunks and joins {summary.timings['work']:.1f} s")
        restarted = 0
        for i, p0 in pids.items():
            back, _ = ray.wait([actors[i].ready.remote()], timeout=30)
            restarted += bool(back) and ray.get(back[0])[0] != p0
        if restarted:
            summary.notes.append(f"{restarted} worker(s) died and were restarted; their chunks ran again")
    except KeyboardInterrupt:
        summary.interrupted = stop.name or "SIGINT"
        from videocam.pipeline.chunks import remove_chunk_dir
        for r in todo:
            if r.outcome == "pending":
                r.outcome = "interrupted"
                remove_chunk_dir(out_dir, r.name)
    finally:
        for a in actors:
            try:
                ray.kill(a)
            except Exception:  # noqa: BLE001
                pass
        if started:
            t2 = time.perf_counter()
            ray.shutdown()
            summary.timings["shutdown"] = time.perf_counter() - t2
        quiet.__exit__()
        stop.restore()


def _schedule(ray, actors, pids, starting, plans, out_dir, gif, mp4, csv, run_opts, progress, total, on_error,
              warn, on_event, wanted_outputs, tqdm) -> None:
    """Chunks to free workers, longest first; a video whose chunks are all back is joined by
    the next free worker (joins go before chunks, so outputs appear as videos finish)."""
    from videocam.pipeline.chunks import remove_chunk_dir

    pending = sorted((c for _, plan in plans.values() for c in plan.chunks), key=lambda c: -c.frames)
    results: dict[str, list] = {name: [None] * len(plan.chunks) for name, (_, plan) in plans.items()}
    began: dict[str, float] = {}
    idle = list(pids)       # workers ready and free; `starting` maps ready() refs of the others
    inflight: dict = {}     # ref -> (chunk, actor index)
    to_join: list = []      # (name, join arguments)
    joins: dict = {}        # ref -> (name, actor index)
    bar = tqdm(total=total or None, unit="frame", desc=f"{len(plans)} video(s) on {len(actors)} Ray worker(s)",
               disable=not progress, dynamic_ncols=True, file=sys.stderr)
    try:
        while pending or inflight or joins or to_join:
            while idle and to_join:
                i, (name, args) = idle.pop(0), to_join.pop(0)
                joins[actors[i].join.remote(*args)] = (name, i)
            while idle and pending:
                i, c = idle.pop(0), pending.pop(0)
                began.setdefault(c.name, time.perf_counter())
                inflight[actors[i].run_chunk.remote(c, run_opts)] = (c, i)
            if not (inflight or joins or starting):  # every worker is gone
                for c in pending:
                    results[c.name][c.index] = {"error": "no Ray worker left to run this chunk"}
                pending.clear()
                for name, _ in to_join:
                    row = plans[name][0]
                    if row.outcome != "failed":
                        row.outcome, row.error = "failed", f"{row.video}: no Ray worker left to join its chunks"
                        on_error(row.error)
                    remove_chunk_dir(out_dir, name)
                to_join.clear()
                for name, (row, _) in plans.items():
                    if row.outcome == "pending":
                        row.outcome, row.error = "failed", f"{row.video}: no Ray worker left"
                        on_error(row.error)
                break
            done, _ = ray.wait(list(inflight) + list(joins) + list(starting), num_returns=1)
            for ref in done:
                if ref in starting:
                    i = starting.pop(ref)
                    try:
                        pid, error = ray.get(ref)
                    except ray.exceptions.RayError:
                        pid, error = None, "did not start"
                    if error:
                        warn(f"a Ray worker could not load the model and is left out: {error}")
                    else:
                        pids[i] = pid
                        idle.append(i)
                    continue
                if ref in joins:
                    name, i = joins.pop(ref)
                    if _joined(ray, ref, plans[name][0], began, on_error):
                        idle.append(i)
                    continue
                c, i = inflight.pop(ref)
                try:
                    res = ray.get(ref)
                    idle.append(i)
                except ray.exceptions.RayActorError as e:  # restarts used up: this worker is gone
                    res = {"error": f"its worker died {MAX_TASK_RETRIES + 1} times on this chunk: {first_line(e)}"}
                except ray.exceptions.RayError as e:
                    res = {"error": f"Ray failed on this chunk: {first_line(e)}"}
                    idle.append(i)
                results[c.name][c.index] = res
                bar.update(res.get("frames", 0))
                on_event("chunk", chunk=c, result=res, busy=[pids[j] for _, j in inflight.values()])
                if all(r is not None for r in results[c.name]):
                    to_join.append((c.name, _finish(plans[c.name][0], results[c.name], out_dir, gif, mp4, csv,
                                                    on_error, warn, wanted_outputs)))
    finally:
        bar.close()


def _finish(row, res_all, out_dir, gif, mp4, csv, on_error, warn, wanted_outputs) -> tuple:
    """A video's chunks are all back: its warnings and error, and the arguments of its join."""
    bad = next((r["error"] for r in res_all if "error" in r), None)
    for msg in dict.fromkeys(m for r in res_all for m in r.get("warnings", ())):
        warn(msg if row.video in msg else f"{row.video}: {msg}")
    parts = {k: [r["outputs"][k] for r in res_all if k in r.get("outputs", {})] for k in ("mp4", "csv", "gif")}
    final = {k: str(p) for k, p in wanted_outputs(Path(out_dir), row.name, mp4, csv, gif).items()}
    if bad:
        row.outcome, row.error = "failed", bad if row.video in bad else f"{row.video}: {bad}"
        on_error(row.error)
    row.frames = sum(r.get("frames", 0) for r in res_all)
    row.outputs = final
    return parts, final, str(out_dir), row.name, bool(bad)


def _joined(ray, ref, row, began, on_error) -> bool:
    """Record a finished join; False when its worker is gone for good."""
    alive = True
    try:
        res = ray.get(ref)
    except ray.exceptions.RayActorError as e:
        res, alive = {"error": f"its worker died joining the chunks: {first_line(e)}"}, False
    except ray.exceptions.RayError as e:
        res = {"error": f"Ray failed joining the chunks: {first_line(e)}"}
    if row.outcome == "failed":
        row.outputs = {}
    elif "error" in res:
        row.outcome, row.error, row.outputs = "failed", f"{row.video}: {res['error']}", {}
        on_error(row.error)
    else:
        row.outcome = "ok"
        row.seconds = time.perf_counter() - began.get(row.name, time.perf_counter())
        row.outputs = {k: p for k, p in row.outputs.items() if Path(p).exists()}
    return alive
