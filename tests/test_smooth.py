"""Temporal smoothing and shot-cut detection (videocam.stages.smooth), no TensorFlow."""
from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from videocam.stages.decide import Decide
from videocam.stages.smooth import CutDetector, Smooth, alpha_for, ema, frame_difference, is_cut, thumbnail
from videocam.types import Frame, FrameResult

CLASSES = ("ann", "bob", "nobody")
W, H = 160, 90


def scene(seed: int, w: int = W + 40, h: int = H + 40) -> np.ndarray:
    """A smooth random picture (low-frequency blobs), larger than the frame so it can pan."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (6, 10, 3), dtype=np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def view(img: np.ndarray, dx: int = 0, dy: int = 0, noise: float = 0.0, rng=None) -> np.ndarray:
    crop = img[20 + dy:20 + dy + H, 20 + dx:20 + dx + W].astype(np.float32)
    if noise:
        crop = crop + rng.standard_normal(crop.shape).astype(np.float32) * noise
    return np.clip(crop + 0.5, 0, 255).astype(np.uint8)


def result(i: int, rgb: np.ndarray, probs, cams=None) -> FrameResult:
    probs = np.asarray(probs, dtype=np.float32)
    if cams is None:
        cams = np.zeros((len(CLASSES), 7, 7), np.float32) + probs[:, None, None]
    return FrameResult(frame=Frame(i, i / 25.0, rgb), classes=CLASSES, probs=probs, cams=cams)


def labels(results):
    return [r.label for r in Decide()(results)]


# ------------------------------------------------------------------ pure maths

def test_thumbnail_is_small_grey_unit_range():
    rgb = np.full((360, 640, 3), 255, np.uint8)
    t = thumbnail(rgb)
    assert t.shape == (18, 32) and t.dtype == np.float32
    assert np.allclose(t, 1.0, atol=1e-5)
    assert np.allclose(thumbnail(np.zeros((360, 640, 3), np.uint8)), 0.0)


def test_frame_difference_range():
    a = thumbnail(np.zeros((90, 160, 3), np.uint8))
    b = thumbnail(np.full((90, 160, 3), 255, np.uint8))
    assert frame_difference(a, a) == 0.0
    assert frame_difference(a, b) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError):
        frame_difference(a, a[:5])


def test_is_cut_floor_ratio_hard():
    quiet = [0.002] * 10
    assert not is_cut(0.01, quiet)  # below the floor, however large the ratio
    assert is_cut(0.08, quiet)  # above the floor, 40x the recent motion
    busy = [0.05] * 10
    assert not is_cut(0.08, busy)  # fast motion: not several times the median
    busier = [0.12] * 10
    assert is_cut(0.3, busier)  # above the hard level whatever the motion
    assert not is_cut(0.3, busier, hard=None)
    assert is_cut(0.08, [])  # no history: the floor decides


def test_ema_and_alpha():
    assert alpha_for(1) == 1.0 and alpha_for(3) == 0.5
    prev, new = np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32)
    out = ema(prev, new, 0.25)
    assert np.allclose(out, [0.75, 0.25])
    assert np.array_equal(prev, [1.0, 0.0]) and np.array_equal(new, [0.0, 1.0])  # untouched
    assert ema(None, new, 0.25) is new


# ------------------------------------------------------------------ the stage

def test_ema_removes_single_frame_flicker():
    img = view(scene(1))
    steady, blip = [0.7, 0.2, 0.1], [0.3, 0.6, 0.1]
    probs = [steady] * 10 + [blip] + [steady] * 10
    raw = labels([result(i, img, p) for i, p in enumerate(probs)])
    assert raw[10] == "bob"  # without smoothing the blip flips the label
    smoothed = labels(Smooth(5)([result(i, img, p) for i, p in enumerate(probs)]))
    assert set(smoothed) == {"ann"}


def test_smoothing_averages_cams_too():
    img = view(scene(1))
    rs = [result(i, img, [0.5, 0.4, 0.1], cams=np.full((3, 7, 7), float(i % 2), np.float32))
          for i in range(12)]
    out = Smooth(7)(rs)
    last = out[-1].cams
    assert 0.2 < float(last.mean()) < 0.8  # an average of 0s and 1s, not either


def test_cut_resets_so_label_changes_within_two_frames():
    a_img, b_img = view(scene(1)), view(scene(2))
    assert frame_difference(thumbnail(a_img), thumbnail(b_img)) > 0.1
    n = 30
    rs = [result(i, a_img, [0.9, 0.05, 0.05]) for i in range(n)]
    rs += [result(n + i, b_img, [0.1, 0.85, 0.05]) for i in range(10)]
    out = Smooth(15)(rs)
    labs = labels(out)
    first_bob = labs.index("bob")
    assert n <= first_bob <= n + 1
    assert set(labs[first_bob:]) == {"bob"}
    assert [r.frame.index for r in out if r.notes.get("cut")] == [n]

    # the same evidence without a visible cut lags well past 2 frames
    rs = [result(i, a_img, [0.9, 0.05, 0.05]) for i in range(n)]
    rs += [result(n + i, a_img, [0.1, 0.85, 0.05]) for i in range(10)]
    assert labels(Smooth(15)(rs)).index("bob") > n + 2


def test_no_false_cut_under_noise_and_camera_motion():
    rng = np.random.default_rng(0)
    img = scene(3)
    det = CutDetector()
    cuts = []
    for i in range(40):  # a slow pan, a little shake and sensor noise
        dx = min(39, i)
        dy = 10 + int(round(3 * np.sin(i / 3)))
        if det(view(img, dx, dy, noise=4.0, rng=rng)):
            cuts.append(i)
    assert cuts == []
    assert det(view(scene(4), 0, 0, noise=4.0, rng=rng))  # and a real cut still fires


def test_state_carries_across_batches():
    img = view(scene(1))
    probs = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1], [0.5, 0.4, 0.1]] * 3
    whole = Smooth(4)([result(i, img, p) for i, p in enumerate(probs)])
    s = Smooth(4)
    rs = [result(i, img, p) for i, p in enumerate(probs)]
    split = s(rs[:4]) + s(rs[4:9]) + s(rs[9:])
    for a, b in zip(whole, split):
        assert np.allclose(a.probs, b.probs) and np.allclose(a.cams, b.cams)


def test_off_is_identity_and_inputs_are_not_modified():
    img = view(scene(1))
    rs = [result(i, img, [0.6 - 0.1 * (i % 2), 0.3, 0.1]) for i in range(4)]
    before = [(r.probs, r.probs.copy(), r.cams.copy()) for r in rs]
    for k in (0, 1):
        out = Smooth(k)(rs)
        assert out is rs and all(not r.notes for r in rs)
        assert all(r.probs is b[0] for r, b in zip(rs, before))
    Smooth(3)(rs)
    for (orig, p, c), r in zip(before, rs):
        assert np.array_equal(orig, p)  # the model's arrays were not written to
    assert rs[0].frame.rgb is img


def test_index_going_backwards_restarts():
    img = view(scene(1))
    s = Smooth(9)
    s([result(i, img, [0.9, 0.05, 0.05]) for i in range(20)])
    out = s([result(0, img, [0.1, 0.85, 0.05])])  # a new stream
    assert labels(out) == ["bob"]


def test_per_frame_cost_is_small():
    rgb = np.random.default_rng(0).integers(0, 256, (360, 640, 3), dtype=np.uint8)
    rs = [result(i, rgb, [0.5, 0.3, 0.2], cams=np.zeros((3, 14, 14), np.float32)) for i in range(100)]
    s = Smooth(5)
    s(rs[:5])  # warm up
    t = time.perf_counter()
    s(rs[5:])
    per_frame = (time.perf_counter() - t) / 95
    assert per_frame < 3e-3  # ~0.2 ms measured; generous for a shared machine
