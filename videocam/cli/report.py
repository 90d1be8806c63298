"""Read a per-frame CSV from `videocam run` or `videocam live` and report, per class: screen time (a
class is on screen when it is the frame's label or has a box), time by label (each frame to its
label; these add up to the duration with nobody), appearances, the longest appearance and the mean
probability; also time with nobody, with two or more people, and per pair. Writes
DIR/<stem>.summary.csv and DIR/<stem>.timeline.png.
"""
from __future__ import annotations

from videocam.cli.options import int_at_least


def register(subparsers) -> None:
    from videocam.eval.report import DEFAULT_MAX_GAP
    r = subparsers.add_parser(
        "report", help="screen time per person from a per-frame CSV (+ timeline plot)",
        description=__doc__)
    r.add_argument("csv", help="per-frame CSV (frame,time_s,label,score,p_<class>...,boxes)")
    r.add_argument("--out", default=None, metavar="DIR", help="output folder (default: the CSV's folder)")
    r.add_argument("--truth", default=None, metavar="TRUTH.csv",
                   help="ground-truth CSV (frame,time_s,label,boxes): adds truth lanes and label agreement")
    r.add_argument("--gap", type=int_at_least("--gap", 0), default=DEFAULT_MAX_GAP, metavar="N",
                   help=f"bridge gaps of up to N frames within one appearance (default {DEFAULT_MAX_GAP})")
    r.set_defaults(func=cmd_report)


def cmd_report(a) -> int:
    from videocam.eval.report import format_table, make_report
    files = make_report(a.csv, out_dir=a.out, truth_path=a.truth, max_gap=a.gap)
    print(format_table(files.report))
    print(f"wrote {files.summary_csv}")
    print(f"wrote {files.timeline_png}")
    return 0
