"""Read per-frame CSVs from `videocam run` or `videocam live` and report, per class: screen time (a
class is on screen when it is the frame's label or has a box), time by label (each frame to its
label; these add up to the duration with nobody), appearances, the longest appearance and the mean
probability; also time with nobody, with two or more people, and per pair. Writes
DIR/<stem>.summary.csv and DIR/<stem>.timeline.png; with --html also DIR/<stem>.report.html, one
offline page (table, interactive timeline that plays the video, a thumbnail per appearance, who
appears with whom), and for several CSVs index.report.html.
"""
from __future__ import annotations

from pathlib import Path

from videocam.cli.options import int_at_least


def register(subparsers) -> None:
    from videocam.eval.report import DEFAULT_MAX_GAP
    from videocam.eval.report_html import INDEX_NAME
    r = subparsers.add_parser(
        "report", help="screen time per person from a per-frame CSV (+ timeline plot, HTML page)",
        description=__doc__)
    r.add_argument("csv", nargs="+", metavar="CSV",
                   help="per-frame CSV (frame,time_s,label,score,p_<class>...,boxes); several, or a folder "
                   "(its *.cam.csv files)")
    r.add_argument("--out", default=None, metavar="DIR", help="output folder (default: each CSV's folder)")
    r.add_argument("--truth", default=None, metavar="TRUTH.csv",
                   help="ground-truth CSV (frame,time_s,label,boxes), one CSV only: adds truth lanes and "
                   "label agreement (default: none)")
    r.add_argument("--gap", type=int_at_least("--gap", 0), default=DEFAULT_MAX_GAP, metavar="N",
                   help=f"bridge gaps of up to N frames within one appearance (default {DEFAULT_MAX_GAP})")
    r.add_argument("--html", action="store_true",
                   help="also write <stem>.report.html beside the summary, and with several CSVs "
                   f"{INDEX_NAME} in --out or their common folder (default: off)")
    r.add_argument("--video", default=None, metavar="V.mp4",
                   help="with --html and one CSV: the video the page plays and takes thumbnails from, "
                   "by relative path (default: <stem>.mp4 beside the CSV, i.e. run's annotated "
                   "<name>.cam.mp4, when there is one)")
    r.set_defaults(func=cmd_report)


def _csv_paths(args: list[str]) -> list[Path]:
    """The CSVs named; a folder stands for its `*.cam.csv` files, sorted."""
    from videocam.errors import UsageError
    out: list[Path] = []
    for a in args:
        p = Path(a)
        if p.is_dir():
            found = sorted(q for q in p.glob("*.cam.csv") if not q.name.startswith("."))
            if not found:
                raise UsageError(f"{p}: a folder with no *.cam.csv files")
            out += found
        else:
            out.append(p)
    return out


def cmd_report(a) -> int:
    from videocam.errors import UsageError
    from videocam.eval.report import format_table, make_report, stem_of
    csvs = _csv_paths(a.csv)
    if len(csvs) > 1 and (a.truth or a.video):
        raise UsageError(f"{'--truth' if a.truth else '--video'} goes with one CSV, not {len(csvs)}")
    if a.video and not a.html:
        raise UsageError("--video is for the page: add --html")
    dirs = [Path(a.out) if a.out else c.parent for c in csvs]
    seen: dict[tuple, Path] = {}
    for c, d in zip(csvs, dirs):  # two CSVs writing the same files: say so before writing any
        key = (d.resolve(), stem_of(c))
        if key in seen:
            raise UsageError(f"{seen[key]} and {c} would both write {d / stem_of(c)}.* (use separate runs or --out)")
        seen[key] = c
    entries = []
    for i, c in enumerate(csvs):
        files = make_report(c, out_dir=a.out, truth_path=a.truth, max_gap=a.gap)
        print(("\n" if i else "") + format_table(files.report))
        print(f"wrote {files.summary_csv}")
        print(f"wrote {files.timeline_png}")
        if a.html:
            from videocam.eval.report_html import write_page
            page = write_page(files, c, truth_path=a.truth, video=a.video)
            print(f"wrote {page}")
            entries.append((files.report, files.table.classes, page))
    if a.html and len(csvs) > 1:
        import os

        from videocam.eval.report_html import write_index
        where = Path(a.out) if a.out else Path(os.path.commonpath([d.resolve() for d in dirs]))
        print(f"\nwrote {write_index(entries, where)}")
    return 0
