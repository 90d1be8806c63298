"""videocam compare: GAP vs FC heads on a tiny dataset (1 epoch, width 8, 64x64), tables and verdict."""
import csv

import pytest

from videocam.cli.main import main
from videocam.errors import UsageError
from videocam.studies.compare_heads import COLUMNS, HeadResult, parse_heads, verdict


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from videocam.synth.scenes import make_dataset
    d = tmp_path_factory.mktemp("data")
    make_dataset(d, seed=5, n_train=4, n_val=2, n_test=2, progress=False)
    return d


def test_compare_two_heads_writes_tables_and_chart(tiny_data, tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", str(tiny_data), "--out", str(out), "--heads", "gap,fc512", "--epochs", "1",
                 "--width", "8", "--input-size", "64", "--batch", "8", "--seed", "3"])
    text = capsys.readouterr().out
    assert code == 0
    assert "[1/2] small/gap" in text and "[2/2] small/fc512" in text  # progress per head
    for name in ("gap.keras", "fc512.keras", "gap.eval.json", "fc512.eval.json",
                 "compare.csv", "compare.md", "compare.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    with open(out / "compare.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0].keys()) == COLUMNS
    assert [r["head"] for r in rows] == ["gap", "fc512"]
    assert [r["cam_method"] for r in rows] == ["CAM", "Grad-CAM"]
    for r in rows:
        for k in ("train_accuracy", "val_accuracy", "test_accuracy", "loc_accuracy", "maxboxacc"):
            assert 0.0 <= float(r[k]) <= 1.0, k
        assert int(r["params"]) > 0 and float(r["train_seconds"]) > 0 and r["test_images"] == "12"
    assert int(rows[0]["params"]) < int(rows[1]["params"])  # the FC head is the bigger one
    md = (out / "compare.md").read_text()
    assert "| head | map | params | train time |" in md and "MaxBoxAcc" in md
    assert md.count("\n| gap |") == 1 and md.count("\n| fc512 |") == 1
    assert "Verdict:" in md and "fc512" in md.split("Verdict:")[1]


def _row(head, acc, loc, params):
    return HeadResult(head, "CAM" if head == "gap" else "Grad-CAM", params, 10.0, 3, acc, acc, acc, loc, loc,
                      0.2, 400, f"{head}.keras")


def test_verdict_is_computed_from_the_numbers():
    good = verdict([_row("gap", 0.90, 0.60, 10**5), _row("fc4096", 0.92, 0.20, 10**7)], 6)
    assert good.startswith("Verdict: consistent") and "-2.0 points" in good and "+40.0 points" in good
    assert "100x fewer parameters" in good
    costly = verdict([_row("gap", 0.70, 0.60, 10**5), _row("fc512", 0.92, 0.20, 10**6)], 6)
    assert "partly consistent" in costly and "costs more than" in costly
    poor_loc = verdict([_row("gap", 0.91, 0.25, 10**5), _row("fc512", 0.90, 0.20, 10**6)], 6)
    assert "partly consistent" in poor_loc and "not 10+ points better" in poor_loc
    neither = verdict([_row("gap", 0.36, 0.0, 10**5), _row("fc512", 0.45, 0.0, 10**6)], 6)
    assert "not consistent" in neither and "Caution" not in neither
    untrained = verdict([_row("gap", 0.90, 0.60, 10**5), _row("fc512", 0.1667, 0.0, 10**6)], 6)
    assert untrained.startswith("Verdict: inconclusive") and "fc512 did not learn" in untrained
    assert "needs the gap head" in verdict([_row("fc512", 0.9, 0.2, 10**6)])


def test_parse_heads():
    assert parse_heads("fc512, gap,fc512") == ["fc512", "gap"]
    with pytest.raises(UsageError):
        parse_heads("gap,fc2048")


@pytest.mark.parametrize("args,msg", [
    (["--heads", "gap,fc999"], "unknown head"),
    (["--heads", ","], "--heads is empty"),
    (["--input-size", "8"], "--input-size"),
    (["--backbone", "resnet"], "invalid choice"),
])
def test_bad_arguments_are_one_line(tiny_data, tmp_path, capsys, args, msg):
    with pytest.raises(SystemExit) as e:
        main(["compare", str(tiny_data), "--out", str(tmp_path / "c")] + args)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.startswith("error:") and msg in err and len(err.strip().splitlines()) == 1


def test_data_errors_are_one_line(tmp_path, capsys):
    code = main(["compare", str(tmp_path / "missing"), "--out", str(tmp_path / "c"), "--epochs", "1"])
    err = capsys.readouterr().err
    assert code != 0 and err.startswith("error:") and "not found" in err and len(err.strip().splitlines()) == 1
    import cv2
    import numpy as np
    for c in ("a", "b"):  # train/ only: no test split to measure on
        for i in range(2):
            p = tmp_path / "d" / "train" / c / f"{i}.png"
            p.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(p), np.zeros((16, 16, 3), np.uint8))
    code = main(["compare", str(tmp_path / "d"), "--out", str(tmp_path / "c"), "--epochs", "1"])
    err = capsys.readouterr().err
    assert code != 0 and "needs a test split" in err and len(err.strip().splitlines()) == 1
