"""Run the GAP model over every frame of a video and write an annotated MP4 (CAM heatmap, boxes,
probabilities), a per-frame CSV and optionally a GIF.
"""
from __future__ import annotations

from videocam.cli.options import add_stage_options, nonneg_float


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
    add_stage_options(r, None, "frames per forward pass (default: chosen for the model)")
    r.add_argument("--precision", choices=("float32", "bf16"), default="float32",
                   help="inference precision (default float32; bf16 pays for large models on a GPU)")
    r.set_defaults(func=cmd_run)


def cmd_run(a) -> int:
    from videocam.pipeline.process import process_video
    summary = process_video(
        a.input, model=a.model, out_dir=a.out, gif=a.gif, mp4=not a.no_mp4, csv=not a.no_csv,
        batch=a.batch, threshold=a.threshold, boxes=a.boxes, norm=a.norm, start=a.start, end=a.end,
        aspect=a.aspect, nobody=a.nobody, multi=a.multi, smooth=a.smooth, scale=a.scale, progress=True,
        precision=a.precision,
    )
    from videocam.model.cam_model import demo_model_note
    note = demo_model_note(a.model, summary.model_classes)
    if note:
        summary.notes.append(note)
    print(summary.describe())
    return summary.exit_code
