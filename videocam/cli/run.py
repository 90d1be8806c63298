"""Annotate videos: an MP4 (CAM heatmap, boxes, probabilities), a per-frame CSV, optionally a GIF.
Several videos make an archive run (locally or on Ray)."""
from __future__ import annotations

from pathlib import Path

from videocam.cli.options import add_stage_options, nonneg_float, positive_float, positive_int, stage_switches


def register(subparsers) -> None:
    r = subparsers.add_parser("run", help="annotate videos: MP4 + per-frame CSV (+ GIF); many, or on Ray",
                       description=__doc__)
    r.add_argument("input", nargs="+", metavar="INPUT",
                   help="video file, folder of videos or quoted glob pattern (several: an archive run, "
                   "with a table and <out>/index.csv)")
    o = r.add_argument_group("outputs")
    o.add_argument("--out", default="outputs", help="output folder (default: outputs/)")
    o.add_argument("--gif", action="store_true", help="also write <stem>.cam.gif")
    o.add_argument("--no-mp4", action="store_true", help="do not write the annotated MP4")
    o.add_argument("--no-csv", action="store_true", help="do not write the per-frame CSV")
    f = r.add_argument_group("which frames")
    f.add_argument("--start", type=nonneg_float("--start"), default=None, help="start time in seconds")
    f.add_argument("--end", type=nonneg_float("--end"), default=None, help="end time in seconds")
    f.add_argument("--every", type=positive_int("--every"), default=None, metavar="N",
                   help="analyse every Nth frame (the MP4 and GIF keep every frame)")
    f.add_argument("--fps", type=positive_float("--fps"), default=None, metavar="F",
                   help="analyse about F frames a second, e.g. 5 for long archives")
    add_stage_options(r.add_argument_group("model and stages (docs/run.md says what each rule does)"),
                      None, "frames per forward pass (default: chosen for the model)")
    m = r.add_argument_group("archives and Ray (docs/many-videos.md)")
    m.add_argument("--precision", choices=("float32", "bf16"), default="float32",
                   help="inference precision (default float32; bf16 pays on a GPU)")
    m.add_argument("--skip-done", action="store_true",
                   help="skip videos whose outputs all exist (resumes a stopped run)")
    m.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local (default), or ray: chunks of long videos run in parallel (pip install -e \".[ray]\")")
    m.add_argument("--address", default=None, metavar="ADDR",
                   help="the Ray cluster to join (default: $RAY_ADDRESS, else a local Ray)")
    m.add_argument("--workers", type=positive_int("--workers"), default=None, metavar="N",
                   help="Ray workers, each holding the model (default: one per 2 CPUs of a node)")
    m.add_argument("--chunk", type=nonneg_float("--chunk"), default=None, metavar="SECONDS",
                   help="chunk length on Ray (default: about 4 chunks per worker, >= 250 frames each)")
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
    _note_demo_model(a, summary.notes)
    print(summary.describe())
    return summary.exit_code


def _note_demo_model(a, notes: list, classes=None) -> None:
    """The demo model's one-line reminder, for one video or an archive alike."""
    from videocam.model.cam_model import demo_model_note
    note = demo_model_note(a.model, classes) if classes else demo_model_note(a.model)
    if note:
        notes.append(note)


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
    _note_demo_model(a, summary.notes, summary.model_classes)
    print(summary.describe())
    return summary.exit_code
