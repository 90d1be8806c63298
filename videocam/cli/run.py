"""Run the GAP model over every frame of a video and write an annotated MP4 (CAM heatmap, boxes,
probabilities), a per-frame CSV and optionally a GIF.
"""
from __future__ import annotations

from videocam.cli.options import add_stage_options, nonneg_float, positive_float, positive_int


def register(subparsers) -> None:
    r = subparsers.add_parser("run", help="annotate a video: MP4 + per-frame CSV (+ GIF)",
                       description=__doc__)
    r.add_argument("input", help="video file (mp4, avi, mkv, webm, mov, ...)")
    r.add_argument("--out", default="outputs", help="output folder (default: outputs/)")
    r.add_argument("--gif", action="store_true", help="also write <stem>.cam.gif")
    r.add_argument("--no-mp4", action="store_true", help="do not write the annotated MP4")
    r.add_argument("--no-csv", action="store_true", help="do not write the per-frame CSV")
    r.add_argument("--start", type=nonneg_float("--start"), default=None, help="start time in seconds")
    r.add_argument("--end", type=nonneg_float("--end"), default=None, help="end time in seconds")
    r.add_argument("--every", type=positive_int("--every"), default=None, metavar="N",
                   help="analyse every Nth decoded frame only (default: every frame); the CSV gets one row "
                        "per analysed frame, the MP4 and GIF keep every frame")
    r.add_argument("--fps", type=positive_float("--fps"), default=None, metavar="F",
                   help="analyse about F frames per second of video (default: every frame); e.g. --fps 5 "
                        "for long archives")
    add_stage_options(r, None, "frames per forward pass (default: chosen for the model)")
    r.add_argument("--precision", choices=("float32", "bf16"), default="float32",
                   help="inference precision")
    r.set_defaults(func=cmd_run)


def cmd_run(a) -> int:
    from videocam.pipeline.process import process_video
    summary = process_video(
        a.input, model=a.model, out_dir=a.out, gif=a.gif, mp4=not a.no_mp4, csv=not a.no_csv,
        batch=a.batch, threshold=a.threshold, boxes=a.boxes, norm=a.norm, start=a.start, end=a.end,
        aspect=a.aspect, nobody=a.nobody, multi=a.multi, smooth=a.smooth, scale=a.scale, steady=a.steady,
        torso=not a.no_torso, panel=not a.no_panel, progress=True,
        precision=a.precision, every=a.every, fps=a.fps,
    )
    print(summary.describe())
    return summary.exit_code
