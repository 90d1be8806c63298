"""Video scoring against ground truth (videocam.eval.score) on hand-made tables."""
from __future__ import annotations

import json

import pytest

from videocam.eval.score import format_score, match_boxes, score_files, score_tables
from videocam.io.csvfile import CsvRow, CsvTable
from videocam.types import NOBODY, Box

A1 = (0, 0, 100, 100)
B1 = (200, 0, 300, 100)
B_SHIFT = (240, 0, 340, 100)  # IoU with B1 = 6000 / 14000 = 0.43: found at 0.3, not at 0.5


def box(label, xy):
    return Box(label, 1.0, *xy)


# frame: (label, boxes)
TRUTH = [
    ("ann", [box("ann", A1)]),
    ("ann", [box("ann", A1)]),
    (NOBODY, []),
    (NOBODY, []),
    ("bob", [box("bob", B1)]),
    ("bob", [box("bob", B1)]),
    ("ann", [box("ann", A1), box("bob", B1)]),
    ("ann", [box("ann", A1), box("bob", B1)]),
    (NOBODY, []),
    ("bob", [box("bob", B1)]),
]

PRED = [
    ("ann", [box("ann", A1)]),  # right
    ("bob", [box("bob", A1)]),  # wrong label, its box has the wrong label too
    ("ann", [box("ann", A1)]),  # a person where there is nobody
    (NOBODY, []),  # right
    (NOBODY, []),  # missed bob
    ("bob", [box("bob", B_SHIFT)]),  # right label, a loose box
    ("ann", [box("ann", A1), box("bob", B1)]),  # right
    ("ann", [box("ann", A1), box("bob", B_SHIFT)]),  # one tight, one loose
    (NOBODY, []),  # right
    ("bob", [box("bob", B1), box("bob", B1)]),  # a duplicate box
]


def table(spec, first=0, probs=False):
    rows = [CsvRow(frame=first + i, time_s=(first + i) / 25.0, label=lab,
                   score=1.0 if probs else None, probs={"ann": 0.5, "bob": 0.5} if probs else None,
                   boxes=list(bs)) for i, (lab, bs) in enumerate(spec)]
    return CsvTable(classes=["ann", "bob"] if probs else [], rows=rows)


FIGURES = ("label_accuracy", "label_accuracy_multi", "nobody_precision", "nobody_recall", "box_recall", "box_precision",
           "box_recall_0.3", "box_precision_0.3", "box_recall_single", "multi_recall",
           "multi_recall_0.5", "flicker")


def test_perfect_prediction_is_one_everywhere():
    d = score_tables(table(TRUTH, probs=True), table(TRUTH))
    assert d["frames"] == 10
    for k in FIGURES:
        assert d[k] == 1.0, k


def test_known_errors_give_known_fractions():
    d = score_tables(table(PRED, probs=True), table(TRUTH))
    assert d["frames"] == 10
    assert d["label_accuracy"] == pytest.approx(3 / 5)  # one-person frames 0,1,4,5,9; wrong 1 and 4
    assert d["label_accuracy_multi"] == 1.0  # two-person frames 6, 7: ann (the larger box) both times
    other = table(PRED[:7] + [("bob", PRED[7][1])] + PRED[8:], probs=True)
    assert score_tables(other, table(TRUTH))["label_accuracy_multi"] == pytest.approx(1 / 2)
    assert d["nobody_precision"] == pytest.approx(2 / 3)  # predicted 3,4,8; right 3,8
    assert d["nobody_recall"] == pytest.approx(2 / 3)  # truth 2,3,8; found 3,8
    assert d["box_recall"] == pytest.approx(5 / 9)  # 9 truth boxes; tight: f0, f6 x2, f7 ann, f9
    assert d["box_precision"] == pytest.approx(5 / 10)  # 10 predicted boxes
    assert d["box_recall_0.3"] == pytest.approx(7 / 9)  # + the loose f5 and f7 bob
    assert d["box_precision_0.3"] == pytest.approx(7 / 10)
    assert d["box_recall_single"] == pytest.approx(2 / 5)  # f0 and f9
    assert d["multi_recall"] == pytest.approx(4 / 4)
    assert d["multi_recall_0.5"] == pytest.approx(3 / 4)
    assert d["flicker"] == pytest.approx(7 / 5)  # 7 label changes against 5
    # 10 frames at 25 fps = 0.4 s
    assert d["truth_changes_per_min"] == pytest.approx(5 / 0.4 * 60)
    assert d["label_changes_per_min"] == pytest.approx(7 / 0.4 * 60)
    assert d["counts"]["truth_boxes"] == 9 and d["counts"]["pred_boxes"] == 10


def test_rows_match_by_frame_number():
    pred = table(TRUTH[3:], first=3, probs=True)  # the run started at frame 3
    d = score_tables(pred, table(TRUTH))
    assert d["frames"] == 7
    assert d["label_accuracy"] == 1.0 and d["box_recall"] == 1.0
    pred.rows.reverse()  # order in the file does not matter
    assert score_tables(pred, table(TRUTH))["box_recall"] == 1.0


def test_empty_denominators_and_zero_changes():
    truth = table([("ann", [box("ann", A1)])] * 4)
    d = score_tables(table([("ann", [box("ann", A1)])] * 4), truth)
    assert d["nobody_precision"] is None and d["nobody_recall"] is None
    assert d["multi_recall"] is None
    assert d["flicker"] == 1.0  # neither changes
    flick = table([("ann", []), ("bob", []), ("ann", []), ("ann", [])])
    assert score_tables(flick, truth)["flicker"] is None  # changes against none: no ratio
    text = format_score(d)
    assert "n/a" in text and "flicker" in text
    assert score_tables(table([]), truth)["frames"] == 0


def test_greedy_matching_is_one_to_one():
    truth = [box("ann", (0, 0, 100, 100)), box("ann", (50, 0, 150, 100))]
    pred = [box("ann", (0, 0, 100, 100))]
    assert match_boxes(pred, truth, 0.3) == 1
    assert match_boxes(pred + pred, truth, 0.3) == 2  # (IoU 1, then 0.33)
    assert match_boxes([box("bob", (0, 0, 100, 100))], truth, 0.1) == 0


# ------------------------------------------------------------- files and CLI

def write_csv(path, spec, probs: bool):
    lines = ["frame,time_s,label,score,p_ann,p_bob,boxes" if probs else "frame,time_s,label,boxes"]
    for i, (lab, bs) in enumerate(spec):
        js = json.dumps([b.to_dict() for b in bs]).replace('"', '""')
        mid = f"{lab},0.9000,0.9000,0.1000" if probs else lab
        lines.append(f'{i},{i / 25:.4f},{mid},"{js}"')
    path.write_text("\n".join(lines) + "\n")
    return path


def test_score_files_and_cli(tmp_path, capsys):
    pred = write_csv(tmp_path / "run.csv", PRED, probs=True)
    truth = write_csv(tmp_path / "truth.csv", TRUTH, probs=False)
    d = score_files(pred, truth)
    assert d["box_recall"] == pytest.approx(5 / 9) and d["label_accuracy"] == pytest.approx(0.6)

    from videocam.cli.main import main
    out_json = tmp_path / "sub" / "score.json"
    assert main(["score", str(pred), str(truth), "--json", str(out_json)]) == 0
    text = capsys.readouterr().out
    assert "label accuracy" in text and "60.0%" in text
    saved = json.loads(out_json.read_text())
    assert saved["nobody_recall"] == pytest.approx(2 / 3) and saved["frames"] == 10

    # user mistakes: one line, no traceback
    assert main(["score", str(tmp_path / "missing.csv"), str(truth)]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1
    other = write_csv(tmp_path / "other.csv", [], probs=False)
    assert main(["score", str(pred), str(other)]) == 2
    assert "no frame numbers in common" in capsys.readouterr().err
