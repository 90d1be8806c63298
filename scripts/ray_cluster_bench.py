"""Two 1-CPU Ray nodes against a local Ray with the same 2 CPUs, on the same videos (root only).

The cluster is built on this machine as the two-node test builds it (tests/netns_cluster.py: a network
namespace per node), so both configurations share the same two cores; what differs is Ray's own cost of
two raylets, two object stores, and scheduling across nodes. Each configuration is the command a user
types (a fresh `videocam run` process: TensorFlow's import, the model load, connecting or starting Ray
all count); the cluster's nodes are started before and not counted. Every CSV is compared with a
one-process local run of the same video (`--steady 0`: byte for byte).

  local Ray:  videocam run VIDEOS --engine ray --workers 2 --steady 0          (2 workers of 1 CPU)
  cluster:    videocam run VIDEOS --engine ray --address HEAD --steady 0       (1 worker on each node)

Usage: sudo python scripts/ray_cluster_bench.py [--videos N] [--rounds N] [--chunk SECONDS]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from netns_cluster import Cluster  # the two-node test's cluster, from tests/

SAMPLE = ROOT / "samples" / "debate.mp4"
VIDEOCAM = Path(sys.executable).parent / "videocam"


def timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, str]:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    return wall, p.stdout


def phases(out: str) -> str:
    m = re.search(r"note: Ray: (.*)", out)
    return m.group(1) if m else ""


def work_s(out: str) -> float:
    m = re.search(r"chunks and joins ([\d.]+) s", out)
    return float(m.group(1)) if m else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=2, help="copies of samples/debate.mp4 (600 frames each)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--chunk", type=float, default=None, help="--chunk SECONDS for both (default: videocam's)")
    a = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env.update(RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="token")
    chunk = ["--chunk", str(a.chunk)] if a.chunk else []
    with tempfile.TemporaryDirectory(prefix="ray_cluster_bench_") as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        names = [f"debate{i:02d}" for i in range(a.videos)]
        for n in names:
            shutil.copy(SAMPLE, tmp / "in" / f"{n}.mp4")
        vids = [f"in/{n}.mp4" for n in names]
        timed([str(VIDEOCAM), "run", *vids, "--out", "one", "--steady", "0"], tmp, env)  # the reference CSVs
        cluster = Cluster((1, 1)).start()
        try:
            print(f"{os.cpu_count()} CPUs; {a.videos} x {SAMPLE.name} (600 frames, 640x360), bundled model, "
                  f"--steady 0{' --chunk ' + str(a.chunk) if a.chunk else ''}")
            for r in range(a.rounds):
                load = f"{os.getloadavg()[0]:.1f}"
                w1, o1 = timed([str(VIDEOCAM), "run", *vids, "--out", f"local{r}", "--engine", "ray", "--workers", "2",
                                "--steady", "0", *chunk], tmp, env)
                w2, o2 = timed(cluster.command([str(VIDEOCAM), "run", *vids, "--out", f"cluster{r}", "--engine", "ray",
                                                "--address", cluster.address, "--steady", "0", *chunk]), tmp, cluster.env)
                same = all((tmp / d / f"{n}.cam.csv").read_bytes() == (tmp / "one" / f"{n}.cam.csv").read_bytes()
                           for d in (f"local{r}", f"cluster{r}") for n in names)
                ran: dict[str, int] = {}
                for n in names:
                    for c in json.loads((tmp / f"cluster{r}" / f"{n}.cam.json").read_text())["chunks"]:
                        ran[c["node"]] = ran.get(c["node"], 0) + 1
                print(f"round {r + 1}: local Ray (2 CPUs, 2 workers) {w1:.1f} s, two 1-CPU nodes {w2:.1f} s, "
                      f"ratio {w2 / w1:.2f}; chunk phase {work_s(o1):.1f} vs {work_s(o2):.1f} s "
                      f"(ratio {work_s(o2) / work_s(o1):.2f}); CSVs {'byte-identical' if same else 'DIFFER'} to "
                      f"one-process runs; load before {load}")
                print(f"  local:   {phases(o1)}")
                print(f"  cluster: {phases(o2)}")
                print(f"  chunks per node: {', '.join(f'{k} {v}' for k, v in sorted(ran.items()))}")
        finally:
            cluster.close()


if __name__ == "__main__":
    main()
