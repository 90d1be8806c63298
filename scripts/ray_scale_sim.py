"""What the Ray engine's driver costs as workers grow, with the frames per worker held fixed.

The real driver path runs (scan every video with a zero-CPU task, cut at keyframes,
schedule chunks longest first, join), but each worker is a stand-in whose `run_chunk`
sleeps `frames / FPS` instead of running the model, so one 2-core machine can hold many
workers: what is left over the ideal time is Ray's and the driver's overhead. Every
worker gets the same work (2 copies of samples/debate.mp4, 600 frames each, cut into
chunks of about --chunk seconds), so with no overhead every row would take the same time. Columns: ideal = work frames /
(workers x fps); busiest = the most one worker slept (the chunk assignment's own bound:
busiest - ideal is imbalance); Ray+driver = wall time of the chunk phase (to the last
join) - busiest; ms/chunk = that, spread over each worker's chunks (the latency one chunk
costs); start = connecting plus every worker ready.
Also prints what crosses the object store per chunk and per video.

Usage: python scripts/ray_scale_sim.py [--workers 2,4,8,16,32] [--fps 600] [--chunk 4]
"""
from __future__ import annotations

import argparse
import os
import pickle
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "debate.mp4"


class SleepWorker:
    """Stands in for `ray_engine._Worker`: same methods, sleeps instead of computing."""

    fps = 600.0

    def __init__(self, model, precision, threads):
        import os as _os
        self.pid = _os.getpid()

    def ready(self):
        return self.pid, None

    def run_chunk(self, chunk, options):
        import time as _t
        t0 = _t.perf_counter()
        frames = chunk.frames + (0 if chunk.keep_from is None else 56)  # the warm-up is work too
        _t.sleep(frames / self.fps)
        return {"frames": chunk.frames, "seconds": _t.perf_counter() - t0, "warnings": [], "outputs": {},
                "pid": self.pid}

    def join(self, *args):
        from videocam.pipeline.ray_engine import _join
        return _join(*args)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", default="2,4,8,16,32")
    ap.add_argument("--fps", type=float, default=600.0, help="frames per second of a stand-in worker")
    ap.add_argument("--chunk", type=float, default=4.0, help="chunk length in seconds (debate: 25 fps)")
    a = ap.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

    import videocam.pipeline.ray_engine as engine
    from videocam.pipeline.chunks import cut_video, scan_video
    from videocam.pipeline.many import ManySummary, VideoRow

    SleepWorker.fps = a.fps
    engine._Worker = SleepWorker  # the driver, scheduler and joins stay the real ones

    scan = scan_video(SAMPLE)
    plan = cut_video(scan, "debate", "/tmp", int(round(a.chunk * scan.fps)))
    print(f"object store per video: scan {len(pickle.dumps(scan))} B ({scan.frames} frames), plan "
          f"{len(pickle.dumps(plan))} B; per chunk: task args {len(pickle.dumps(plan.chunks[0]))} B, "
          f"result ~{len(pickle.dumps({'frames': 150, 'seconds': 1.0, 'warnings': [], 'outputs': {'mp4': '/x/c0000.cam.mp4', 'csv': '/x/c0000.cam.csv'}, 'pid': 1}))} B; "
          f"{len(plan.chunks)} chunks of ~{a.chunk:g} s per 600-frame video; frames stay on the workers")
    print(f"stand-in worker: {a.fps:g} fps; each worker gets 2 videos (1200 frames + warm-ups)")
    print(f"{'workers':>7} {'chunks':>6} {'ideal s':>8} {'busiest s':>9} {'work s':>7} {'Ray+driver s':>12} "
          f"{'efficiency':>10} {'start s':>7} {'ms/chunk':>8}")
    with tempfile.TemporaryDirectory(prefix="ray_sim_") as tmp:
        tmp = Path(tmp)
        for w in (int(x) for x in a.workers.split(",")):
            vids = []
            for i in range(2 * w):
                p = tmp / f"v{w}_{i:03d}.mp4"
                if not p.exists():
                    os.symlink(SAMPLE, p)
                vids.append(p)
            rows = [VideoRow(str(p), p.stem) for p in vids]
            summary = ManySummary(engine="ray")
            chunks = []
            engine.run_on_ray(rows, summary, out_dir=tmp / f"out{w}", workers=w, chunk_s=a.chunk, num_cpus=w,
                              on_event=lambda kind, **i: chunks.append(dict(i, at=time.perf_counter())),
                              smooth=None)
            t_ready = chunks.pop(0)["at"]  # the "workers" event
            head = chunks[0]["at"] - t_ready - chunks[0]["result"]["seconds"]
            tail = t_ready + summary.timings["work"] - chunks[-1]["at"]
            bad = [r for r in rows if r.outcome != "ok"]
            if bad:
                raise SystemExit(f"{len(bad)} videos not ok: {bad[0]}")
            work_frames = sum(c["chunk"].frames + (0 if c["chunk"].keep_from is None else 56) for c in chunks)
            ideal = work_frames / (w * a.fps)
            t = summary.timings
            busy: dict = {}
            for c in chunks:
                busy[c["result"]["pid"]] = busy.get(c["result"]["pid"], 0.0) + c["result"]["seconds"]
            busiest = max(busy.values())  # the assignment's own bound: imbalance is busiest - ideal
            over = t["work"] - busiest      # what Ray and the driver add on top
            print(f"{w:>7} {len(chunks):>6} {ideal:>8.2f} {busiest:>9.2f} {t['work']:>7.2f} {over:>12.2f} "
                  f"{ideal / t['work']:>10.2f} {t['connect'] + t['ready']:>7.1f} "
                  f"{1000 * over * w / len(chunks):>8.1f}   (first chunk back {head:.2f} s late, "
                  f"last join {tail:.2f} s after the last chunk)")
            time.sleep(1)


if __name__ == "__main__":
    main()
