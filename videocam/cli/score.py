"""Compare a per-frame CSV from `videocam run` with a ground-truth CSV (frame,time_s,label,boxes), row
by row on `frame`: label accuracy, nobody precision/recall, box recall/precision at IoU 0.5 and 0.3,
multi-person recall, flicker.
"""
from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "score", help="score a run's per-frame CSV against a ground-truth CSV",
        description=__doc__)
    p.add_argument("pred", metavar="PRED.csv", help="the run's per-frame CSV")
    p.add_argument("truth", metavar="TRUTH.csv", help="the ground truth, e.g. samples/debate.truth.csv")
    p.add_argument("--json", default=None, metavar="PATH", help="also write all figures as JSON here")
    p.set_defaults(func=cmd_score)


def cmd_score(a) -> int:
    from videocam.eval.score import format_score, score_files, write_json

    d = score_files(a.pred, a.truth)
    print(format_score(d))
    if a.json:
        write_json(d, a.json)
        print(f"wrote {a.json}")
    return 0
