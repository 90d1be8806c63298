"""Training on image folders, evaluation, and bad data folders."""
import json

import cv2
import numpy as np
import pytest

from videocam.cli.main import main
from videocam.model.data import DataError, scan


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from videocam.synth.scenes import make_dataset
    d = tmp_path_factory.mktemp("data")
    make_dataset(d, seed=5, n_train=4, n_val=2, n_test=2, progress=False)
    return d


def test_train_one_epoch_then_evaluate(tiny_data, tmp_path):
    from videocam.eval.evaluate import evaluate_folder
    from videocam.model.loading import load_model
    from videocam.model.train import train
    out = tmp_path / "m.keras"
    res = train(tiny_data, out, epochs=1, batch=8, width=8, input_size=(64, 64), verbose=0, log=lambda *_: None)
    assert out.is_file() and res.best_epoch == 1 and 0.0 <= res.best_val_accuracy <= 1.0
    cm = load_model(out)
    assert cm.classes == ["ahn", "hong", "moon", "nobody", "sim", "you"]
    assert tuple(cm.input_size) == (64, 64)
    rep = evaluate_folder(cm, tiny_data, json_path=tmp_path / "e.json", progress=False)
    saved = json.loads((tmp_path / "e.json").read_text())
    for key in ("accuracy", "loc_accuracy", "maxboxacc", "per_class", "confusion"):
        assert key in saved
    assert rep["images"] == 12 and np.array(rep["confusion"]).sum() == 12
    assert rep["loc_images"] == 10  # every person image has a truth box, nobody has none
    assert 0.0 <= rep["loc_accuracy"] <= 1.0 and 0.0 <= rep["maxboxacc"] <= 1.0
    assert rep["scale"] == "adaptive" and set(rep["loc_by_scale"]) == {"fixed", "adaptive"}
    assert rep["loc_accuracy"] == rep["loc_by_scale"]["adaptive"]
    assert sum(rep["adaptive_sides"].values()) == 10
    fixed = evaluate_folder(cm, tiny_data, progress=False, scale="fixed")
    assert fixed["loc_by_scale"] == {"fixed": rep["loc_by_scale"]["fixed"]}
    assert fixed["loc_accuracy"] == rep["loc_by_scale"]["fixed"] and fixed["adaptive_sides"] is None
    with pytest.raises(ValueError):
        evaluate_folder(cm, tiny_data, progress=False, scale="zoom")


def _img(path, shape=(20, 20, 3)):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.zeros(shape, np.uint8))


def test_scan_flat_folder_splits_by_val_split(tmp_path):
    for c in ("a", "b"):
        for i in range(10):
            _img(tmp_path / c / f"{i}.png")
    _img(tmp_path / "a" / "gray.png", (20, 20))  # grayscale is fine
    classes, splits = scan(tmp_path, val_split=0.2)
    assert classes == ["a", "b"]
    assert len(splits["train"].paths) + len(splits["val"].paths) == 21
    assert set(splits["val"].labels.tolist()) == {0, 1}


@pytest.mark.parametrize("case,msg", [
    ("missing", "not found"), ("empty", "no class sub-folders"), ("one", "only one class"),
    ("noimages", "no images"), ("unreadable", "unreadable image"),
])
def test_bad_data_dir_is_one_line_error(tmp_path, capsys, case, msg):
    d = tmp_path / "d"
    if case != "missing":
        d.mkdir()
    if case == "one":
        _img(d / "a" / "0.png")
    if case == "noimages":
        _img(d / "a" / "0.png")
        (d / "b").mkdir()
    if case == "unreadable":
        _img(d / "a" / "0.png")
        _img(d / "a" / "1.png")
        (d / "b").mkdir()
        _img(d / "b" / "0.png")
        (d / "b" / "1.png").write_text("not an image")
        (d / "b" / "2.png").write_text("not an image either")
    code = main(["train", str(d), "--out", str(tmp_path / "m.keras"), "--epochs", "1"])
    err = capsys.readouterr().err
    assert code != 0
    assert err.startswith("error:") and msg in err and len(err.strip().splitlines()) == 1
    with pytest.raises(DataError):
        from videocam.model.train import train
        train(d, tmp_path / "m.keras", epochs=1)


def test_fc_head_models_are_evaluated_at_their_fixed_size(tiny_data, tmp_path):
    from videocam.eval.evaluate import evaluate_folder
    from videocam.model.cam_model import save_model
    from videocam.model.loading import load_model
    from videocam.model.nets import build_model
    m, info = build_model(6, "small", "fc512", width=8, input_size=(64, 64))
    info.classes = ["ahn", "hong", "moon", "nobody", "sim", "you"]
    cm = load_model(save_model(m, info, tmp_path / "fc.keras"))
    rep = evaluate_folder(cm, tiny_data, progress=False)  # adaptive asked, fixed used
    assert rep["scale"] == "fixed" and list(rep["loc_by_scale"]) == ["fixed"]


def test_evaluate_takes_the_flat_layout_train_takes(tiny_data, tiny_model_path, tmp_path, capsys):
    """DATA_DIR/<class>/* (what `train` accepts) is a test set too, with or without --split . (issue 20, 5)."""
    import shutil
    flat = tmp_path / "photos"
    for d in (tiny_data / "test").iterdir():
        shutil.copytree(d, flat / d.name)
    n = sum(1 for _ in flat.rglob("*.png"))
    for extra in ([], ["--split", "."]):
        code = main(["evaluate", str(tiny_model_path), str(flat), "--scale", "fixed", *extra])
        out = capsys.readouterr().out
        assert code == 0 and f"{n} images" in out, out
    # a folder with train/ and val/ but no test/ says what to pass
    split = tmp_path / "split"
    for s in ("train", "val"):
        for d in (tiny_data / s).iterdir():
            shutil.copytree(d, split / s / d.name)
    code = main(["evaluate", str(tiny_model_path), str(split)])
    err = capsys.readouterr().err
    assert code != 0 and "--split val" in err and err.startswith("error:")


@pytest.mark.parametrize("names", [["John_Smith", "John_Stone", "John_Small", "nobody"],
                                   ["Alexandra_Ocasio_Cortez", "Alexandra_Oconnor", "Al", "nobody"]])
def test_confusion_matrix_names_stay_unique_and_readable(names):
    """Column heads were cut to 6 characters (`John_S John_S ...`, issue 20 item 9)."""
    from videocam.eval.evaluate import format_report
    n = len(names)
    r = {"split": "test", "images": 4 * n, "accuracy": 0.5, "per_class": {c: 0.5 for c in names},
         "classes": names, "confusion": [[3 if i == j else (1 if j == (i + 1) % n else 0) for j in range(n)]
                                         for i in range(n)]}
    text = format_report(r)
    lines = text.splitlines()
    at = lines.index("confusion (rows truth, columns predicted):")
    head, rows = lines[at + 1], lines[at + 2:at + 2 + n]
    cols = head.split()
    assert len(cols) == n and len(set(cols)) == n  # one unique head per class
    for name, line in zip(names, rows):
        assert name in line  # full names, each on its row
    import re

    def ends(line):
        return [m.end() for m in re.finditer(r"\S+", line)][-n:]
    for line in rows:  # numbers line up under the heads
        assert ends(line) == ends(head)
    assert all(c in names for c in cols) or all(f"{c} {names[k]}" in text for k, c in enumerate(cols))


def test_training_verdict_warns_near_chance_and_on_few_images():
    """`best validation accuracy 0.2000` on 5 classes and 6 images used to end silently (issue 20, 6)."""
    from videocam.model.train import training_warnings
    said = training_warnings(0.2, n_val=6, n_classes=5)
    text = " ".join(said)
    assert "chance" in text and "6 validation images" in text
    assert "photos" in text and "--backbone" in text  # what to do
    assert training_warnings(0.98, n_val=480, n_classes=6) == []
    near = training_warnings(0.22, n_val=400, n_classes=5)
    assert len(near) >= 1 and "chance" in " ".join(near) and "validation images" not in " ".join(near)
    few = training_warnings(0.9, n_val=8, n_classes=2)
    assert any("8 validation images" in w for w in few) and not any("chance" in w for w in few)


def test_train_cli_says_loudly_when_it_learnt_nothing(tiny_data, tmp_path, capsys):
    code = main(["train", str(tiny_data), "--out", str(tmp_path / "m.keras"), "--epochs", "1", "--batch", "8",
                 "--width", "8"])
    cap = capsys.readouterr()
    assert code == 0 and (tmp_path / "m.keras").is_file()
    warnings = [ln for ln in cap.err.splitlines() if ln.startswith("warning:")]
    assert any("12 validation images" in w for w in warnings), cap.err  # 2 per class: a handful


def test_mosaic_puts_two_images_side_by_side_labelled_by_their_shares():
    import numpy as np

    from videocam.model._backend import tf
    from videocam.model.train import mosaic_batch
    t = tf()
    x = np.stack([np.full((8, 20, 3), v, np.float32) for v in (0.0, 1.0, 2.0, 3.0)])
    y = np.eye(3, dtype=np.float32)[[0, 1, 2, 2]]  # class 2 is nobody
    t.random.set_seed(3)
    xm, ym = (np.asarray(a) for a in mosaic_batch(t.constant(x), t.constant(y), 1.0, nobody=2))
    assert xm.shape == x.shape and np.allclose(ym.sum(axis=1), 1.0)
    for i in range(4):
        left, right = xm[i, :, 0, 0].mean(), xm[i, :, -1, 0].mean()
        assert left == x[i, 0, 0, 0]  # the left tile is the image itself, squashed
        j = int(right)  # the right tile: another image of the batch
        share = float((xm[i, 0, :, 0] == left).sum()) / 20 if left != right else 1.0
        people = [(k, s) for k, s in ((i, share), (j, 1 - share)) if y[k, 2] == 0]
        if not people:
            assert ym[i, 2] == 1.0  # nobody beside nobody
        else:
            want = sum(s * y[k] for k, s in people) / sum(s for _, s in people)
            assert np.allclose(ym[i], want, atol=1e-5)
    _, y0 = mosaic_batch(t.constant(x), t.constant(y), 0.0, nobody=2)
    assert np.array_equal(np.asarray(y0), y)  # p = 0: the batch as it was


def test_mosaic_share_is_checked_in_one_line(tmp_path, capsys):
    import pytest

    from videocam.cli.main import main
    with pytest.raises(SystemExit) as e:  # argparse's usage error
        main(["train", str(tmp_path), "--out", str(tmp_path / "m.keras"), "--mosaic", "2"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--mosaic must be between 0 and 1" in err


def test_train_lists_every_unreadable_image_at_once(tmp_path, capsys):
    """Not the first bad file only: the user fixes the folder in one go."""
    rng = np.random.default_rng(0)
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for k in range(3):
            cv2.imwrite(str(tmp_path / cls / f"{k}.png"), rng.integers(0, 255, (32, 32, 3), dtype=np.uint8))
    bad = [tmp_path / "a" / "broken.jpg", tmp_path / "b" / "empty.png"]
    bad[0].write_bytes(b"not an image")
    bad[1].write_bytes(b"")
    code = main(["train", str(tmp_path), "--out", str(tmp_path / "m.keras"), "--epochs", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and err[0].startswith("error: unreadable images:")
    assert all(str(p) in err[0] for p in bad)
    assert not (tmp_path / "m.keras").exists()
