"""Show who is on screen, and where, live. The newest frame from the source
goes through the model and the same stages as `videocam run`, and is shown annotated
(CAM heatmap, boxes, probabilities, live fps) in a window; q or Esc quits.

When inference is slower than the source, frames are dropped rather than queued,
so the picture never lags; the closing summary says how many. Without a display
(or with --no-display) it runs headless. Ctrl-C or SIGTERM stop it cleanly:
--record and --csv are always finished (a playable MP4, a complete CSV).
"""
from __future__ import annotations

import argparse

from videocam.cli.options import add_stage_options, int_at_least, stage_switches


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "live", help="run the model live on a webcam, a stream or a video file",
        description=__doc__,
        epilog="examples:  videocam live                      (webcam 0, window)\n"
               "           videocam live --source rtsp://cam.local/stream --record out.mp4\n"
               "           videocam live --source debate.mp4 --no-display --csv live.csv --max-frames 500",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--source", default="0", metavar="SRC",
                   help="camera index (0, 1, ...), /dev/videoN, a stream URL (rtsp://, http://) or a "
                        "video file, played at its own frame rate like a camera (default: 0)")
    p.add_argument("--record", default=None, metavar="OUT.mp4",
                   help="also write the annotated video (H.264 MP4, capture timestamps)")
    p.add_argument("--csv", default=None, metavar="OUT.csv",
                   help="also write the per-frame CSV (same columns as `videocam run`; `frame` is "
                        "the source's frame number, with gaps where frames were dropped)")
    p.add_argument("--no-display", action="store_true", help="no window: run headless")
    p.add_argument("--max-frames", type=int_at_least("--max-frames", 1), default=None, metavar="N",
                   help="stop after N processed frames")
    add_stage_options(p, 1, "frames per forward pass (default 1: lowest latency; more can raise "
                      "throughput on a slow machine at the cost of latency)")
    p.set_defaults(func=cmd_live)


def cmd_live(a) -> int:
    from videocam.pipeline.live import run_live

    summary = run_live(
        a.source, model=a.model, record=a.record, csv=a.csv,
        display=False if a.no_display else None, max_frames=a.max_frames,
        threshold=a.threshold, boxes=a.boxes, norm=a.norm, aspect=a.aspect, nobody=a.nobody,
        multi=a.multi, smooth=a.smooth, scale=a.scale, batch=a.batch, steady=a.steady, **stage_switches(a),
    )
    print(summary.describe(), flush=True)
    return summary.exit_code
