"""The small-data recipe (tiny backbone file, a few tiny photos), its augmentation and the Verify stage."""
from __future__ import annotations

import json
import zipfile

import cv2
import numpy as np
import pytest

from videocam.types import NOBODY, Frame, FrameResult


def _backbone(path):
    from videocam.model._backend import keras
    K = keras()
    L = K.layers
    K.utils.set_random_seed(0)
    inp = L.Input((None, None, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same", name="c1")(inp)
    x = L.BatchNormalization(name="bn1")(x)
    x = L.ReLU(name="r1")(x)
    x = L.Conv2D(8, 3, strides=2, padding="same", name="c2")(x)
    x = L.ReLU(name="r2")(x)
    x = L.Conv2D(8, 3, strides=2, padding="same", name="c3")(x)
    x = L.ReLU(name="top")(x)
    K.Model(inp, x).save(path)
    return path


def _photos(root, n=3):
    rng = np.random.default_rng(0)
    colours = {"red": (200, 40, 40), "blue": (40, 40, 200), "green": (40, 180, 40)}
    for name, col in colours.items():
        d = root / name
        d.mkdir(parents=True)
        for i in range(n):
            img = np.clip(rng.normal(0, 12, (48, 40, 3)) + col, 0, 255).astype(np.uint8)
            cv2.imwrite(str(d / f"{i}.png"), img[..., ::-1])
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from videocam.model.recipe import RecipeConfig, train_recipe
    tmp = tmp_path_factory.mktemp("recipe")
    bb = _backbone(tmp / "bb.keras")
    data = _photos(tmp / "data")
    bg = tmp / "footage"
    bg.mkdir()
    for i in range(3):
        cv2.imwrite(str(bg / f"{i}.jpg"), np.full((36, 64, 3), 90 + 20 * i, np.uint8))
    lines = []
    cfg = RecipeConfig(views=4, unfreeze=1, tune_epochs=2, head_steps=60)
    res = train_recipe(data, tmp / "m.keras", bb, cam_layer=None, preprocessing="tf", background=[bg],
                       input_size=(64, 64), cfg=cfg, log=lines.append)
    return res, lines, tmp


def test_recipe_writes_a_model_with_its_metadata_curves_and_held_out_accuracy(trained):
    from videocam.model.loading import load_model
    res, lines, tmp = trained
    assert res.classes == ["blue", "green", "red", NOBODY]
    assert res.n_train == 6 and res.n_val == 3          # one held-out photo per class, carved automatically
    assert res.curves is not None and res.curves.is_file() and res.curves.read_bytes()[:4] == b"\x89PNG"
    assert any(line.startswith("held-out accuracy") for line in lines)
    with zipfile.ZipFile(res.path) as z:
        meta = json.loads(z.read("videocam.json"))
    assert meta["preprocessing"] == "tf" and meta["extra"]["recipe"]["n_train"] == 6
    assert meta["extra"]["verify"]                       # run/live pick the Verify stage from the file
    cm = load_model(res.path)
    assert cm.info.preprocessing == "tf" and not cm.gradcam and cm.cam_layer_name == "top"
    probs, cams = cm.predict(np.zeros((2, 64, 64, 3), np.uint8))
    assert probs.shape == (2, 4) and cams.shape[:2] == (2, 4)


def test_recipe_learns_the_colours(trained):
    """Three flat colours are easy even for a random tiny backbone once the head is fitted."""
    from videocam.model.loading import load_model
    res, _, tmp = trained
    cm = load_model(res.path)
    imgs = [np.full((48, 40, 3), c, np.uint8) for c in ((40, 40, 200), (40, 180, 40), (200, 40, 40))]
    probs, _ = cm.predict(imgs)
    assert [cm.classes[i] for i in np.argmax(probs, 1)] == ["blue", "green", "red"]


def test_recipe_fine_tunes_only_above_the_cut_and_keeps_batch_norm(tmp_path):
    from videocam.model._backend import keras
    from videocam.model.recipe import RecipeConfig, train_recipe
    bb = _backbone(tmp_path / "bb.keras")
    data = _photos(tmp_path / "data")
    res = train_recipe(data, tmp_path / "m.keras", bb, preprocessing="tf", input_size=(64, 64), curves=False,
                       cfg=RecipeConfig(views=4, unfreeze=1, tune_epochs=2, head_steps=30, tune_lr=1e-2),
                       log=lambda *_: None)
    before = keras().models.load_model(bb)
    after = keras().models.load_model(res.path)
    same = lambda n: all(np.array_equal(a, b) for a, b in zip(before.get_layer(n).get_weights(),  # noqa: E731
                                                               after.get_layer(n).get_weights()))
    assert same("c1") and same("bn1") and same("c2")     # below the cut: frozen
    assert not same("c3")                                # the top convolution was fine-tuned


def test_train_cli_small_data_is_the_default_for_a_file_backbone(tmp_path, capsys):
    from videocam.cli.main import main
    bb = _backbone(tmp_path / "bb.keras")
    data = _photos(tmp_path / "data")
    code = main(["train", str(data), "--backbone", str(bb), "--preprocess", "caffe", "--views", "4",
                 "--unfreeze", "0", "--out", str(tmp_path / "m.keras")])
    out = capsys.readouterr().out
    assert code == 0 and "recipe:" in out and "held-out accuracy" in out
    assert (tmp_path / "m.curves.png").is_file()
    code = main(["train", str(data), "--backbone", str(bb), "--cam-layer", "nope", "--out", str(tmp_path / "x.keras")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: --cam-layer nope: no such layer") and err.count("\n") == 1


# ------------------------------------------------------------------ augmentation

def test_views_have_the_input_size_and_zoom_out_shows_the_photo_small():
    from videocam.model import augment
    rng = np.random.default_rng(0)
    photo = np.zeros((60, 50, 3), np.uint8)
    photo[..., 0] = 255
    for p in (0.0, 1.0):
        v = augment.make_view(rng, photo, (64, 64), None, p_zoom_out=p)
        assert v.shape == (64, 64, 3) and v.dtype == np.uint8
    canvas = augment.zoom_out(rng, photo, [np.zeros((90, 160, 3), np.uint8)], canvas_h=90)
    red = (canvas[..., 0] > 200) & (canvas[..., 1] < 50)
    assert 0.1 < red.mean() < 0.9 and canvas.shape[0] == 90 and canvas.shape[1] >= 90
    bg = augment.background_view(rng, [np.full((50, 80, 3), 77, np.uint8)], (32, 32))
    assert bg.shape == (32, 32, 3)


# ------------------------------------------------------------------ Verify

class _StubModel:
    """Crops are classified by their mean red/green: red -> class 0, green -> class 1, else nobody."""

    input_size = (32, 32)

    def probs_and_cams(self, batch):
        out = []
        for x in batch:
            r, g = x[..., 0].mean(), x[..., 1].mean()
            p = np.array([r, g, 40.0], np.float32)
            out.append(p / p.sum())
        return np.array(out), None


def _frame(spots):
    img = np.zeros((90, 160, 3), np.uint8)
    cams = np.zeros((3, 9, 16), np.float32)
    for ch, (x0, y0, x1, y1) in spots:
        img[y0:y1, x0:x1, ch] = 255
        cams[ch, (y0 + y1) // 20, (x0 + x1) // 20] = 5.0
    return FrameResult(Frame(0, 0.0, img), ("a", "b", NOBODY), np.array([0.3, 0.3, 0.4], np.float32), cams)


def test_verify_boxes_each_person_from_the_best_crop_and_says_nobody_below_accept():
    from videocam.stages.verify import Verify, square_crop
    assert square_crop(160, 90, 155, 5, 40) == (120, 0, 160, 40)    # shifted into the frame
    v = Verify(_StubModel(), sides=(0.2, 0.4), refine=(), accept=0.6, max_people=2)
    two = _frame([(0, (20, 30, 50, 60)), (1, (110, 30, 140, 60))])
    v([two])
    assert sorted(b.label for b in two.boxes) == ["a", "b"] and two.label in ("a", "b")
    for b in two.boxes:   # the crop the colour fills best: the 0.2 x 90 = 18 px one, on the spot
        spot = (20, 50) if b.label == "a" else (110, 140)
        assert b.x1 - b.x0 == 18 and spot[0] <= b.x0 and b.x1 <= spot[1] and 30 <= b.y0 and b.y1 <= 60
    empty = _frame([])
    v([empty])
    assert empty.label == NOBODY and empty.boxes == []
    strict = Verify(_StubModel(), sides=(0.2, 0.4), refine=(), accept=0.99)
    one = _frame([(0, (20, 30, 50, 60))])
    strict([one])
    assert one.label == NOBODY and one.boxes == []


def test_build_stages_takes_verify_from_the_model_file(tiny_model):
    from videocam.stages.chain import build_stages
    from videocam.stages.verify import Verify
    assert not any(isinstance(s, Verify) for s in build_stages(tiny_model))
    tiny_model.info.extra = {"verify": {"accept": 0.7}}
    try:
        v = [s for s in build_stages(tiny_model) if isinstance(s, Verify)]
        assert len(v) == 1 and v[0].accept == 0.7
        assert not any(isinstance(s, Verify) for s in build_stages(tiny_model, verify=False))
        v = [s for s in build_stages(tiny_model, nobody=0.8) if isinstance(s, Verify)]
        assert v[0].accept == 0.8                            # --nobody P sets the crop's acceptance
    finally:
        tiny_model.info.extra = {}


def test_verify_holds_a_label_over_a_one_frame_dropout():
    from videocam.stages.verify import Verify
    v = Verify(_StubModel(), sides=(0.2, 0.4), refine=(), accept=0.6, hold=5)
    frames = [_frame([(0, (20, 30, 50, 60))]), _frame([(0, (20, 30, 50, 60))]), _frame([])]
    v(frames[:2])
    v(frames[2:])
    assert [f.label for f in frames] == ["a", "a", "a"]
    assert frames[2].boxes and frames[2].boxes[0].label == "a"  # the held person keeps its last box
    b = [_frame([(1, (110, 30, 140, 60))])]
    v(b)
    assert b[0].label == "a"                                    # outvoted: a, a, (nobody), b
    after_cut = [_frame([(1, (110, 30, 140, 60))])]
    after_cut[0].notes["cut"] = True
    v(after_cut)
    assert after_cut[0].label == "b"                            # a cut starts afresh


@pytest.mark.parametrize("extra, msg", [
    (["--background", "no/such/footage"], "error: background not found: no/such/footage"),
    (["--head", "fc512"], "error: the small-data recipe trains a GAP head"),
])
def test_train_cli_recipe_mistakes_are_one_error_line(tmp_path, capsys, extra, msg):
    from videocam.cli.main import main
    bb = _backbone(tmp_path / "bb.keras")
    data = _photos(tmp_path / "data")
    code = main(["train", str(data), "--backbone", str(bb), "--views", "2", "--out", str(tmp_path / "m.keras")]
                + extra)
    err = capsys.readouterr().err
    assert code != 0 and err.startswith(msg) and err.count("\n") == 1
    assert not (tmp_path / "m.keras").exists()


def test_a_csv_only_run_of_a_verify_model_still_gets_full_size_frames(tiny_model, tmp_path):
    """Verify crops the full-size picture, which a run that draws nothing would not convert."""
    import csv as csvmod

    from videos import make_video

    from videocam.pipeline.process import process_video
    video = tmp_path / "v.mp4"
    make_video(video, n=6, size=(96, 64))
    tiny_model.info.extra = {"verify": {"enabled": True}}
    try:
        process_video(video, model=tiny_model, out_dir=tmp_path / "out", mp4=False, csv=True, progress=False)
    finally:
        tiny_model.info.extra = {}
    rows = list(csvmod.DictReader(open(tmp_path / "out" / "v.cam.csv")))
    assert len(rows) == 6 and all(r["label"] for r in rows)
