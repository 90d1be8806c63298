"""How the writer side of `videocam run` is threaded, measured: configurations alternated on one clip.

A: one writer thread draws, encodes the MP4 (one x264 thread) and the GIF (the old path);
B: MP4 and GIF each on a thread of their own, one x264 thread;
C: as B, with `encoder_threads()` x264 threads (the default; 1 below 8 CPUs);
D: as B, with libx264's own thread count.
Usage: python scripts/writers_ab.py [MODEL] [--batch N] [--rounds N] [--gif]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import videocam.io.writers as video
import videocam.pipeline.outputs as outputs
import videocam.pipeline.process as pipeline
from videocam.model.loading import load_model
from videocam.synth.video import make_video

CONFIGS = {
    "A serial writer, x264 1 thread": (False, lambda cpus=None: 1),
    "B threaded writers, x264 1 thread": (True, lambda cpus=None: 1),
    "C threaded writers, x264 default": (True, video.encoder_threads),
    "D threaded writers, x264 own choice": (True, lambda cpus=None: 0),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default=None)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--gif", action="store_true")
    a = ap.parse_args()
    cm = load_model(a.model)
    with tempfile.TemporaryDirectory() as d:
        clip = Path(d) / "ab.mp4"
        make_video(clip, Path(d) / "ab.truth.csv", seed=7, duration_s=12.8, fps=25, size=(640, 360),
                   progress=False)
        pipeline.process_video(clip, model=cm, out_dir=d, batch=a.batch, handle_signals=False,
                               warn=lambda m: None)  # warm: tracing/compiling stays out
        fps: dict[str, list[float]] = {k: [] for k in CONFIGS}
        for _ in range(a.rounds):
            for name, (threaded, threads) in CONFIGS.items():
                outputs.THREADED_WRITERS = threaded
                video.encoder_threads = threads
                s = pipeline.process_video(clip, model=cm, out_dir=d, gif=a.gif, batch=a.batch,
                                           handle_signals=False, warn=lambda m: None)
                fps[name].append(s.frames / s.seconds)
    print(f"{os.cpu_count()} CPUs, batch {a.batch}, gif {a.gif}, {a.rounds} alternated rounds, "
          f"320 frames 640x360; default x264 threads here: {CONFIGS['C threaded writers, x264 default'][1]()}")
    base = statistics.median(fps["A serial writer, x264 1 thread"])
    for name, v in fps.items():
        m = statistics.median(v)
        print(f"{name:38s} {m:7.1f} fps  {m / base:5.2f}x A  ({', '.join(f'{x:.1f}' for x in v)})")


if __name__ == "__main__":
    main()
