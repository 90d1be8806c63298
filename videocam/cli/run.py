"""Run the GAP model over every frame of a video and write an annotated MP4 (CAM heatmap, boxes,
probabilities), a per-frame CSV and optionally a GIF. Several videos, folders or patterns make an
archive run: one model load, each video's outputs, a table and <out>/index.csv; --engine ray runs it
on Ray.
"""
from __future__ import annotations

from pathlib import Path

from videocam.cli.options import add_stage_options, nonneg_float, positive_float, positive_int, stage_switches


def register(subparsers) -> None:
    r = subparsers.add_parser("run", help="annotate videos: MP4 + per-frame CSV (+ GIF); many, or on Ray",
                       description=__doc__)
    r.add_argument("input", nargs="+", metavar="INPUT",
                   help="video file (mp4, avi, mkv, webm, mov, ...), folder (its video files, sorted) or "
                   "quoted glob pattern; with more than one video, or a folder or pattern, each video gets "
                   "its <stem>.cam.* outputs, a failing one an error line while the others go on, and the "
                   "run ends with a table and <out>/index.csv")
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
                   help="inference precision (default float32; bf16 pays for large models on a GPU)")
    r.add_argument("--skip-done", action="store_true",
                   help="skip videos whose requested outputs all exist (files get their final names only "
                   "when complete, so this resumes a stopped run; default: redo every video)")
    r.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local (default): one video after another in this process; ray: on Ray, one model "
                   "per worker, long videos cut into chunks run in parallel (pip install -e \".[ray]\")")
    r.add_argument("--address", default=None, metavar="ADDR",
                   help="with --engine ray: the Ray cluster to join (default: $RAY_ADDRESS, else start a "
                   "local Ray on this machine)")
    r.add_argument("--workers", type=positive_int("--workers"), default=None, metavar="N",
                   help="with --engine ray: workers, each holding the model and an equal share of the "
                   "cluster's CPUs (default: one per 2 CPUs)")
    r.add_argument("--chunk", type=nonneg_float("--chunk"), default=None, metavar="SECONDS",
                   help="with --engine ray: cut videos into chunks of about this length, at keyframes "
                   "(default: about 4 chunks per worker over the whole run, at least 250 frames each; "
                   "videos are not cut with --every/--fps)")
    r.set_defaults(func=cmd_run)


def _many(a) -> bool:
    """Several inputs, a folder or a pattern, --skip-done or another engine: the archive run."""
    if len(a.input) != 1 or a.engine != "local" or a.skip_done or a.address or a.workers or a.chunk:
        return True
    p = Path(a.input[0])
    return p.is_dir() or (not p.exists() and any(ch in a.input[0] for ch in "*?["))


def cmd_many(a) -> int:
    from videocam.pipeline.many import process_videos
    summary = process_videos(
        a.input, engine=a.engine, model=a.model, out_dir=a.out, gif=a.gif, mp4=not a.no_mp4,
        csv=not a.no_csv, skip_done=a.skip_done, address=a.address, workers=a.workers, chunk_s=a.chunk,
        progress=True, batch=a.batch, threshold=a.threshold, boxes=a.boxes, norm=a.norm, start=a.start,
        end=a.end, aspect=a.aspect, nobody=a.nobody, multi=a.multi, smooth=a.smooth, scale=a.scale,
        steady=a.steady, **stage_switches(a), precision=a.precision, every=a.every, fps=a.fps,
    )
    print(summary.describe())
    return summary.exit_code


def cmd_run(a) -> int:
    if _many(a):
        return cmd_many(a)
    from videocam.pipeline.process import process_video
    summary = process_video(
        a.input[0], model=a.model, out_dir=a.out, gif=a.gif, mp4=not a.no_mp4, csv=not a.no_csv,
        batch=a.batch, threshold=a.threshold, boxes=a.boxes, norm=a.norm, start=a.start, end=a.end,
        aspect=a.aspect, nobody=a.nobody, multi=a.multi, smooth=a.smooth, scale=a.scale, steady=a.steady,
        **stage_switches(a), progress=True, precision=a.precision, every=a.every, fps=a.fps,
    )
    from videocam.model.cam_model import demo_model_note
    note = demo_model_note(a.model, summary.model_classes)
    if note:
        summary.notes.append(note)
    print(summary.describe())
    return summary.exit_code
