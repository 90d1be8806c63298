"""Frames/s of the bare model, the full run pipeline (with and without GIF) and the original per-frame
loop, plus a stage breakdown and start-up time. Default input: a 1,200-frame 640x360 clip made on the
fly (the run rows go over all of it, so that filling and draining the pipeline, about 50 ms a run,
weighs 1%, not 5%; the model rows and the breakdown use its first 300 frames).
"""
from __future__ import annotations


def register(sub) -> None:
    from videocam.cli.options import int_at_least
    b = sub.add_parser("bench", help="measure model vs pipeline vs the per-frame baseline",
                       description=__doc__)
    b.add_argument("--model", default=None, metavar="M.keras", help="model .keras file (default: the bundled model)")
    b.add_argument("--video", default=None, help="a real video to measure on (default: a synthetic 640x360 clip)")
    b.add_argument("--frames", type=int_at_least("--frames", 1), default=1200,
                   help="frames of the synthetic clip (default 1200; the model rows and the breakdown use "
                   "at most its first 300; with --video, frames read from the video for them)")
    b.add_argument("--batch", type=int_at_least("--batch", 1), default=None,
                   help="batch size (default: the fastest measured)")
    b.add_argument("--baseline-frames", type=int, default=30,
                   help="frames for the slow per-frame baseline (0 = skip; default 30)")
    b.add_argument("--precision", choices=("float32", "bf16"), default="float32",
                   help="inference precision measured (default float32)")
    b.add_argument("--no-bf16", action="store_true", help="skip the bf16 speed/drift comparison")
    b.add_argument("--repeat", type=int_at_least("--repeat", 1), default=1,
                   help="measure model and pipeline N times, alternating, and report medians and the "
                   "range of back-to-back ratios (for noisy machines; default 1)")
    b.add_argument("--json", default=None, help="write the figures as JSON")
    b.set_defaults(func=_run)


def _run(a) -> int:
    from videocam.studies.bench import run_bench
    run_bench(a.model, a.video, a.frames, a.batch, a.json, a.baseline_frames, a.precision,
              with_bf16=not a.no_bf16, repeat=a.repeat)
    return 0
