"""`videocam run` over many videos: one process against `--engine ray` on a local Ray.

Each configuration runs as the command a user types (a fresh `videocam run` process, so
TensorFlow's import, the model load, Ray's start and shutdown all count), one after the
other; the ratio is taken from one round (times drift between hours on a shared machine).
Every annotated CSV of the Ray run is compared with the one-process CSV of the same video.
The load average before each round is printed: on a shared machine it moves the ratio.

  archive: 8 copies of samples/debate.mp4 (600 frames each), bundled model, default options
  long:    one video (samples/debate.mp4), cut into chunks on Ray

Usage: python scripts/ray_bench.py [--rounds N] [--videos N] [--workers N] [--gif] [--also-workers N]
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "debate.mp4"


def run(args: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "videocam", "run", *args], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): videocam run {' '.join(args)}\n{p.stderr[-2000:]}")
    return wall, p.stdout


def rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


def same_csv(a: Path, b: Path) -> tuple[bool, float]:
    """Same frames, times, labels and boxes; the largest probability difference."""
    ra, rb = rows(a), rows(b)
    if len(ra) != len(rb) or ra[0] != rb[0]:
        return False, float("inf")
    worst, same = 0.0, True
    for x, y in zip(ra[1:], rb[1:]):
        same &= x[:3] == y[:3] and x[-1] == y[-1]
        worst = max(worst, max(abs(float(p) - float(q)) for p, q in zip(x[3:-1], y[3:-1])))
    return same, worst


def ray_note(out: str) -> str:
    m = re.search(r"note: (Ray: .*)", out)
    return m.group(1) if m else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--videos", type=int, default=8)
    ap.add_argument("--workers", type=int, default=None, help="Ray workers (default: videocam's, one per 2 CPUs)")
    ap.add_argument("--gif", action="store_true")
    ap.add_argument("--also-workers", type=int, default=None, metavar="N",
                    help="also run the archive on N Ray workers")
    a = ap.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    extra = ["--gif"] if a.gif else []
    ray_extra = ["--engine", "ray"] + (["--workers", str(a.workers)] if a.workers else [])
    with tempfile.TemporaryDirectory(prefix="ray_bench_") as tmp:
        tmp = Path(tmp)
        vids = tmp / "videos"
        vids.mkdir()
        for i in range(a.videos):
            shutil.copy(SAMPLE, vids / f"debate{i:02d}.mp4")
        print(f"{os.cpu_count()} CPUs; archive: {a.videos} x {SAMPLE.name} (600 frames, 640x360); "
              f"long: 1 x {SAMPLE.name} cut into chunks")
        for r in range(a.rounds):
            one = tmp / f"one{r}"
            load = f"{os.getloadavg()[0]:.1f}"
            w1, _ = run([str(vids), "--out", str(one), *extra])
            w2, out = run([str(vids), "--out", str(tmp / f"ray{r}"), *extra, *ray_extra])
            checks = [same_csv(tmp / f"ray{r}" / f"debate{i:02d}.cam.csv", one / f"debate{i:02d}.cam.csv")
                      for i in range(a.videos)]
            ok = all(s for s, _ in checks)
            print(f"round {r + 1} archive: one process {w1:.1f} s, ray {w2:.1f} s, ratio {w2 / w1:.2f}; "
                  f"CSVs {'equal' if ok else 'DIFFER'} "
                  f"(max prob diff {max(d for _, d in checks):.1e}); load before {load}")
            print(f"  {ray_note(out)}")
            if a.also_workers:
                n = str(a.also_workers)
                w5, out = run([str(vids), "--out", str(tmp / f"rayn{r}"), *extra, "--engine", "ray", "--workers", n])
                print(f"round {r + 1} archive, ray --workers {n}: {w5:.1f} s, ratio {w5 / w1:.2f}")
                print(f"  {ray_note(out)}")
            w3, _ = run([str(SAMPLE), "--out", str(tmp / f"long1{r}"), *extra])
            w4, out = run([str(SAMPLE), "--out", str(tmp / f"longr{r}"), "--chunk", "8", *extra, *ray_extra])
            s, d = same_csv(tmp / f"longr{r}" / "debate.cam.csv", tmp / f"long1{r}" / "debate.cam.csv")
            print(f"round {r + 1} long: one process {w3:.1f} s, ray (chunks of ~8 s) {w4:.1f} s, "
                  f"ratio {w4 / w3:.2f}; CSV {'equal' if s else 'DIFFERS'} "
                  f"(max prob diff {d:.1e})")
            print(f"  {ray_note(out)}")


if __name__ == "__main__":
    main()
