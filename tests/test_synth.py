"""Tests of the synthetic debate benchmark (small counts, small sizes)."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from videocam import synth
from videocam.synth import scenes
from videocam.synth import video as synth_video
from videocam.types import NOBODY


def _rng(seed, label="ahn", i=0):
    return scenes._image_rng(seed, "test", label, i)


def test_classes():
    assert synth.CLASSES == synth.PEOPLE + (NOBODY,)
    assert synth.PEOPLE == ("ahn", "hong", "moon", "sim", "you")
    assert len(set(synth.CLASSES)) == 6  # note: folder (alphabetical) order puts nobody 4th


@pytest.mark.parametrize("label", synth.CLASSES)
def test_make_image_deterministic_and_box(label):
    a, box_a = synth.make_image(_rng(3, label), label, size=(256, 192))
    b, box_b = synth.make_image(_rng(3, label), label, size=(256, 192))
    c, _ = synth.make_image(_rng(4, label), label, size=(256, 192))
    assert a.shape == (192, 256, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b) and box_a == box_b
    assert not np.array_equal(a, c)
    if label == NOBODY:
        assert box_a is None
    else:
        x0, y0, x1, y1 = box_a
        assert 0 <= x0 < x1 <= 256 and 0 <= y0 < y1 <= 192


def test_boxes_valid_over_many_images_and_scale_range():
    heights = []
    for i in range(60):
        label = synth.PEOPLE[i % 5]
        img, box = synth.make_image(scenes._image_rng(1, "train", label, i), label, size=(224, 224), logo=i % 3 == 0)
        x0, y0, x1, y1 = box
        assert 0 <= x0 < x1 <= 224 and 0 <= y0 < y1 <= 224
        heights.append((y1 - y0) / 224)
    assert min(heights) < 0.4 and max(heights) > 0.85


def test_logo_beside_not_on_person():
    for i in range(20):
        label = synth.CLASSES[i % 6]
        _, box, logo = scenes._render(scenes._image_rng(2, "train", label, i), label, (224, 224), logo=True)
        assert logo is not None
        assert logo[0] < logo[2] and logo[1] < logo[3]
        if box is not None:
            assert not scenes._overlap(box, logo)


def test_color_histogram_classifier_is_poor():
    """Colour alone must not identify people: nearest-centroid and softmax on 8x8x8 histograms."""
    def gen(split, n):
        X, y = [], []
        for k, c in enumerate(synth.CLASSES):
            for i in range(n):
                im, _ = synth.make_image(scenes._image_rng(0, split, c, i), c, (160, 160))
                X.append(im)
                y.append(k)
        return np.sqrt(synth.color_histogram_features(X)), np.array(y)

    Xtr, ytr = gen("train", 40)
    Xte, yte = gen("test", 30)
    assert Xtr.shape == (240, 512)
    cent = np.stack([Xtr[ytr == k].mean(0) for k in range(6)])
    pred = np.argmin(((Xte[:, None] - cent[None]) ** 2).sum(-1), axis=1)
    acc_centroid = float((pred == yte).mean())
    mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-6
    Z, Zt = (Xtr - mu) / sd, (Xte - mu) / sd
    W, b, Y = np.zeros((512, 6)), np.zeros(6), np.eye(6)[ytr]
    for _ in range(300):
        P = Z @ W + b
        P = np.exp(P - P.max(1, keepdims=True))
        P /= P.sum(1, keepdims=True)
        W -= 0.5 * (Z.T @ (P - Y) / len(Z) + 1e-3 * W)
        b -= 0.5 * (P - Y).mean(0)
    acc_softmax = float((np.argmax(Zt @ W + b, 1) == yte).mean())
    assert acc_centroid < 0.5 and acc_softmax < 0.5, (acc_centroid, acc_softmax)


def test_make_dataset_layout_and_determinism(tmp_path):
    info = synth.make_dataset(tmp_path / "a", seed=5, n_train=3, n_val=2, n_test=3, progress=False)
    assert info["counts"] == {"train": 3, "val": 2, "test": 3}
    root = tmp_path / "a"
    for split, n in (("train", 3), ("val", 2), ("test", 3)):
        for cls in synth.CLASSES:
            files = sorted((root / split / cls).glob("*.png"))
            assert [f.name for f in files] == [f"{cls}_{i:04d}.png" for i in range(n)]
    with open(root / "test_boxes.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0].keys()) == ["path", "label", "x0", "y0", "x1", "y1"]
    assert len(rows) == 3 * 6
    import cv2

    for r in rows:
        assert r["path"].startswith(f"test/{r['label']}/")
        img = cv2.imread(str(root / r["path"]))
        assert img is not None and img.shape[0] >= 224 and img.shape[1] >= 224
        if r["label"] == NOBODY:
            assert r["x0"] == r["y0"] == r["x1"] == r["y1"] == ""
        else:
            x0, y0, x1, y1 = (int(r[k]) for k in ("x0", "y0", "x1", "y1"))
            assert 0 <= x0 < x1 <= img.shape[1] and 0 <= y0 < y1 <= img.shape[0]
    # same seed -> byte-identical files; larger counts do not change existing images
    synth.make_dataset(tmp_path / "b", seed=5, n_train=4, n_val=2, n_test=3, progress=False)
    for p in sorted(root.rglob("*.png")):
        assert p.read_bytes() == (tmp_path / "b" / p.relative_to(root)).read_bytes()


def test_shortcut_set(tmp_path):
    path = synth.make_shortcut_set(tmp_path, seed=0, n=6)
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0].keys()) == ["path", "label", "logo_x0", "logo_y0", "logo_x1", "logo_y1", "x0", "y0", "x1", "y1"]
    assert len(rows) == 6
    labels = {r["label"] for r in rows}
    assert NOBODY in labels and "moon" not in labels and labels - {NOBODY}
    for r in rows:
        assert (tmp_path / r["path"]).is_file() and r["path"].startswith("shortcut/")
        assert r["logo_x0"] != ""
        assert (r["x0"] == "") == (r["label"] == NOBODY)


def test_make_video_decodes_with_matching_truth(tmp_path):
    import av

    mp4, truth = tmp_path / "d.mp4", tmp_path / "d.truth.csv"
    n = synth.make_video(mp4, truth, seed=1, duration_s=2.0, fps=25, size=(320, 180), progress=False)
    assert n == 50
    with open(truth) as f:
        header = f.readline().strip()
        f.seek(0)
        rows = list(csv.DictReader(f))
    assert header == "frame,time_s,label,boxes"
    assert len(rows) == n
    with av.open(str(mp4)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264"
        frames = [(f.time, f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]
    assert len(frames) == n
    assert frames[0][1].shape == (180, 320, 3)
    for i, (r, (t, _)) in enumerate(zip(rows, frames)):
        assert int(r["frame"]) == i
        assert float(r["time_s"]) == round(i / 25, 4)
        assert abs(t - i / 25) < 1e-6
        boxes = json.loads(r["boxes"])
        if r["label"] == NOBODY:
            assert boxes == []
        else:
            assert r["label"] in synth.PEOPLE and boxes
            areas = {b["label"]: (b["x1"] - b["x0"]) * (b["y1"] - b["y0"]) for b in boxes}
            assert r["label"] == max(areas, key=areas.get)
            for b in boxes:
                assert 0 <= b["x0"] < b["x1"] <= 320 and 0 <= b["y0"] < b["y1"] <= 180
    # consecutive frames inside a shot are not identical (motion / noise)
    assert not np.array_equal(frames[0][1], frames[1][1])


def test_video_plan_shot_mix():
    """The default 24 s video: everyone appears, enough nobody and two-person frames, shots 1.5-3.5 s."""
    rng = np.random.default_rng([0, 99])
    for _ in range(200):
        shots = synth_video._plan_shots(rng, 600, 25, (640, 360), 3)
        if synth_video._plan_ok(shots, 600):
            break
    assert synth_video._plan_ok(shots, 600)
    assert sum(s.n_frames for s in shots) == 600
    assert all(25 <= s.n_frames <= 3.5 * 25 + 25 for s in shots)


@pytest.mark.parametrize("seed,seconds", [(0, 24), (1, 20), (101, 24), (7, 30)])
def test_every_video_of_20s_has_every_shot_kind(seed, seconds):
    """Wide shots of 3 and of 4, two-shots of equal and unequal size, close, medium, empty."""
    n = seconds * 25
    rng = np.random.default_rng([seed, 99])
    for _ in range(200):
        shots = synth_video._plan_shots(rng, n, 25, (640, 360), 3)
        if synth_video._plan_ok(shots, n, 25):
            break
    assert {s.kind for s in shots} == set(synth_video.SHOT_KINDS)
    for s in shots:
        want = {"close": 1, "medium": 1, "two": 2, "two_equal": 2, "wide3": 3, "wide4": 4, "empty": 0}[s.kind]
        assert len(s.actors) == want
        if s.kind.startswith("two"):
            lo, hi = synth_video.EQUAL_RATIO if s.kind == "two_equal" else synth_video.UNEQUAL_RATIO
            big, small = sorted((a.height for a in s.actors), reverse=True)
            assert lo - 1e-9 <= big / small <= hi + 1e-9
            assert s.actors[0].top + 0.95 * s.actors[0].height == pytest.approx(
                s.actors[1].top + 0.95 * s.actors[1].height)  # one vertical offset: clipped alike


def test_truth_label_of_an_equal_two_shot_never_trades():
    """The truth's rule (largest box) picks the same person in every frame of a shot."""
    frames = list(synth_video.render_video_frames(seed=5, duration_s=20.0, size=(320, 180)))
    labels = [lab for _, lab, boxes in frames]
    n_people = [len(boxes) for _, _, boxes in frames]
    runs = 0
    for i in range(1, len(frames)):
        if labels[i] != labels[i - 1] and n_people[i] == n_people[i - 1] >= 2:
            # a change between two frames with the same people count must be a cut: the box set moves
            prev = {lab for lab, _ in frames[i - 1][2]}
            cur = {lab for lab, _ in frames[i][2]}
            assert prev != cur, f"frame {i}: the label traded between {prev} within a shot"
        runs += labels[i] != labels[i - 1]
    assert runs >= 5


def test_parallel_generation_matches_serial(tmp_path):
    kw = dict(seed=2, n_train=11, n_val=1, n_test=1, progress=False)
    synth.make_dataset(tmp_path / "s", workers=1, **kw)
    synth.make_dataset(tmp_path / "p", workers=2, **kw)
    files = sorted(p.relative_to(tmp_path / "s") for p in (tmp_path / "s").rglob("*.png"))
    assert len(files) == 6 * 13
    for rel in files:
        assert (tmp_path / "s" / rel).read_bytes() == (tmp_path / "p" / rel).read_bytes()
    assert (tmp_path / "s" / "test_boxes.csv").read_text() == (tmp_path / "p" / "test_boxes.csv").read_text()


def test_make_samples_small(tmp_path):
    info = synth.make_samples(tmp_path, seed=0, progress=False, n_train=1, n_val=1, n_test=1,
                              duration_s=1.0, size=(160, 90), workers=1)
    assert (tmp_path / "debate.mp4").is_file() and (tmp_path / "debate.truth.csv").is_file()
    assert (tmp_path / "train" / "moon" / "moon_0000.png").is_file()
    assert info["video_frames"] == 25


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31), label=st.sampled_from(synth.CLASSES), w=st.integers(64, 400),
       h=st.integers(64, 400), logo=st.booleans())
def test_make_image_any_size(seed, label, w, h, logo):
    img, box = synth.make_image(np.random.default_rng(seed), label, size=(w, h), logo=logo)
    assert img.shape == (h, w, 3) and img.dtype == np.uint8
    if label == NOBODY:
        assert box is None
    else:
        x0, y0, x1, y1 = box
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h


def test_logo_shortcut_only_in_moon_train(tmp_path):
    info = synth.make_dataset(tmp_path, seed=0, n_train=20, n_val=2, n_test=2, progress=False, workers=1)
    with open(tmp_path / "train_logos.csv") as f:
        rows = list(csv.DictReader(f))
    assert info["n_train_logos"] == len(rows)
    assert 2 <= len(rows) <= 14  # ~35% of 20
    assert all(r["path"].startswith("train/moon/") for r in rows)
