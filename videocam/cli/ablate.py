"""Run the model once over VIDEO, replay the stage chain with each stage off and on, score every
configuration against TRUTH (a per-frame truth CSV) and print a markdown table.
"""
from __future__ import annotations

from videocam.cli.options import unit_interval


def register(sub) -> None:
    p = sub.add_parser("ablate", help="score each stage (nobody, multi, smoothing) on a video with truth",
                       description=__doc__)
    p.add_argument("video", metavar="VIDEO", help="video file")
    p.add_argument("truth", metavar="TRUTH.csv", help="its per-frame truth CSV (frame,time_s,label,boxes), e.g. samples/debate.truth.csv")
    p.add_argument("--model", default=None, metavar="M.keras", help="model .keras file (default: the bundled model)")
    p.add_argument("--smooth", type=int, default=5, help="smoothing window for the smoothed rows (default 5)")
    p.add_argument("--aspect", choices=("square", "keep"), default="square",
                   help="squash frames to the model's square input (default square), or keep the aspect ratio")
    p.add_argument("--boxes", choices=("largest", "all", "union"), default="union",
                   help="box rule (default union; see run --help)")
    p.add_argument("--threshold", type=unit_interval("--threshold"), default=0.2,
                   help="box threshold as a fraction of the CAM max (default 0.2, the paper's)")
    p.add_argument("--scale", choices=("fixed", "adaptive"), default="fixed",
                   help="adaptive: add rows whose boxes come from a pass at the input size that suits "
                   "each person (run --scale adaptive); fixed (default): the one pass only")
    p.add_argument("--json", default=None, help="write the rows as JSON")
    p.set_defaults(func=_run)


def _run(a) -> int:
    from videocam.eval.ablation import run_ablation
    run_ablation(a.model, a.video, a.truth, a.json, a.smooth, a.aspect, a.boxes, a.threshold, a.scale)
    return 0
