"""Classification accuracy, per-class accuracy, confusion matrix and, where test_boxes.csv exists,
top-1 localisation accuracy and MaxBoxAcc.
"""
from __future__ import annotations

from videocam.cli.options import unit_interval


def register(subparsers) -> None:
    e = subparsers.add_parser("evaluate", help="accuracy and localisation accuracy of a model on a split",
                       description=__doc__)
    e.add_argument("model", metavar="MODEL", help="model .keras file")
    e.add_argument("data_dir", metavar="DATA_DIR",
                   help="DATA_DIR/<split>/<class>/*, or DATA_DIR/<class>/* (every image is the test set)")
    e.add_argument("--split", default="test",
                   help="the folder of DATA_DIR to evaluate (default test; '.' for DATA_DIR/<class>/*)")
    e.add_argument("--threshold", type=unit_interval("--threshold"), default=0.2,
                   help="box threshold as a fraction of the CAM max (default 0.2, the paper's)")
    e.add_argument("--boxes", choices=("union", "largest"), default="union",
                   help="box rule for localisation accuracy (default union, as run; largest: the paper's "
                   "protocol, the largest region only)")
    e.add_argument("--scale", choices=("adaptive", "fixed"), default="adaptive",
                   help="adaptive (default): boxes from a second pass at the input size that suits each "
                   "object's size (videocam.stages.rescale); fixed: from the one pass at the trained size. "
                   "Both figures are printed")
    e.add_argument("--json", default=None, help="write all figures as JSON here (default: none)")
    e.set_defaults(func=cmd_evaluate)


def cmd_evaluate(a) -> int:
    from videocam.eval.evaluate import evaluate_folder, format_report
    report = evaluate_folder(a.model, a.data_dir, split=a.split, threshold=a.threshold, json_path=a.json,
                             boxes=a.boxes, scale=a.scale)
    print(format_report(report))
    return 0
