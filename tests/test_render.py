"""Rendering: shapes, where pixels change, colours, sizes from 64x64 to 4K."""
from __future__ import annotations

import numpy as np
import pytest

from videocam.io.render import Renderer, annotate, class_color, class_colors, heatmap, text_scale
from videocam.types import NOBODY, Box, Frame, FrameResult

CLASSES = ("anna", "bernard", "claire")


def make(w=160, h=120, label="bernard", boxes=(), cams=None, probs=(0.1, 0.8, 0.1)):
    rgb = np.full((h, w, 3), 100, np.uint8)
    if cams is None:
        cams = np.zeros((3, 4, 4), np.float32)
        cams[1, 1, 1] = 1.0  # bernard's map: a blob near the top-left
    return FrameResult(Frame(0, 0.0, rgb), CLASSES, np.asarray(probs, np.float32),
                       cams, label=label, score=0.8, boxes=list(boxes))


def changed(a, b):
    return np.any(a != b, axis=2)


def test_same_shape_dtype_and_input_untouched():
    r = make()
    before = r.frame.rgb.copy()
    out = annotate(r.frame.rgb, r)
    assert out.shape == r.frame.rgb.shape and out.dtype == np.uint8
    assert out is not r.frame.rgb
    assert np.array_equal(r.frame.rgb, before)


def test_box_changes_pixels_where_it_is():
    box = Box("claire", 0.93, 100, 60, 150, 110)
    r = make(label="", boxes=[box])
    out = annotate(r.frame.rgb, r, show_bars=False)
    diff = changed(out, r.frame.rgb)
    assert diff[60, 100:150].any() and diff[60:110, 100].any()  # edges drawn
    assert diff[109, 100:150].any() and diff[60:110, 149].any()  # x1/y1 exclusive
    assert not diff[85, 125]  # the inside is left alone
    assert not diff[:, :90].any()  # nothing far from it (no heat, no bars)


def test_heatmap_only_for_the_decided_class():
    r = make(label="bernard")
    out = annotate(r.frame.rgb, r, show_bars=False)
    diff = changed(out, r.frame.rgb)
    # bernard's blob is at CAM cell (1, 1) of 4x4 -> around (50, 40) in 160x120.
    assert diff[45, 50]
    assert not diff[110, 150]  # the masked blend leaves cold areas alone
    for label in (NOBODY, "", "not-a-class"):
        out = annotate(r.frame.rgb, make(label=label), show_bars=False)
        assert np.array_equal(out, r.frame.rgb), label


def test_uniform_mode_tints_everything():
    r = make()
    out = Renderer(mode="uniform").annotate(r.frame.rgb, r, show_bars=False)
    assert changed(out, r.frame.rgb).all()


def test_flat_or_negative_cams_draw_no_heat():
    cams = np.full((3, 4, 4), -1.0, np.float32)
    r = make(cams=cams)
    out = annotate(r.frame.rgb, r, show_bars=False)
    assert np.array_equal(out, r.frame.rgb)
    assert heatmap(np.full((2, 2), np.nan), 8, 8) is None
    m = heatmap(np.array([[0.0, 2.0], [-1.0, 1.0]]), 8, 8)
    assert m.shape == (8, 8) and m.min() >= 0 and m.max() == pytest.approx(1.0)
    sub = heatmap(np.array([[1e-45, 0.0], [-1.0, 0.0]], np.float32), 2, 2)  # subnormal peak
    assert np.isfinite(sub).all() and sub[0, 0] == 1.0 and not sub[[0, 1, 1], [1, 0, 1]].any()


def test_bars_panel_top_left():
    r = make(label=NOBODY)
    out = annotate(r.frame.rgb, r, show_bars=True)
    diff = changed(out, r.frame.rgb)
    h, w = diff.shape
    assert diff[: h // 2, : w // 2].any()
    assert not diff[h // 2 :, w // 2 :].any()
    assert not changed(annotate(r.frame.rgb, r, show_bars=False), r.frame.rgb).any()


@pytest.mark.parametrize("size", [(64, 64), (33, 17), (640, 360), (3840, 2160)])
def test_any_size(size):
    w, h = size
    r = make(w, h, boxes=[Box("anna", 0.5, 0, 0, w, h), Box("zed", 0.1, w - 3, h - 3, w + 9, h + 9)])
    out = annotate(r.frame.rgb, r)
    assert out.shape == (h, w, 3)


def test_text_scale_grows_with_frame():
    assert text_scale(64, 64) < text_scale(640, 360) < text_scale(3840, 2160)
    assert text_scale(64, 64) >= 0.25


def test_class_colours_distinct_and_stable():
    cols = class_colors([f"c{i}" for i in range(8)])
    assert len(set(cols)) == 8
    assert class_colors(["a", "b"]) == class_colors(["x", "y"])[:2]  # by index
    assert class_color(None, "zed") == class_color(None, "zed")
    assert class_color(3, NOBODY) == class_color(None, NOBODY)


def test_many_classes_fit():
    classes = tuple(f"person_{i:02d}" for i in range(40))
    probs = np.linspace(0, 1, 40, dtype=np.float32)
    rgb = np.zeros((120, 200, 3), np.uint8)
    r = FrameResult(Frame(0, 0, rgb), classes, probs, np.zeros((40, 2, 2), np.float32),
                    label="person_39", score=1.0)
    out = annotate(rgb, r)
    assert changed(out, rgb)[:, 150:].sum() == 0  # panel at most about half the width
