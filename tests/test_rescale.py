"""Scale-adaptive localisation: the side rule, the probe, and the two-pass CAMs."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from videocam.stages.rescale import MAX_SIDE, MIN_SIDE, STEP, adaptive_cams, adaptive_side, probe_height_fraction


def test_small_objects_zoom_in_and_close_ups_zoom_out():
    assert adaptive_side(0.25) == MAX_SIDE  # 130 / 0.25**1.25 = 735 -> clamped
    assert adaptive_side(1.0) == MIN_SIDE  # 130 -> 128
    assert adaptive_side(0.5) == 320  # 130 / 0.5**1.25 = 309 -> 320
    assert adaptive_side(0.5, gamma=1.0) == 256  # 260 -> 256


@given(st.floats(0.01, 1.5), st.floats(0.01, 1.5))
def test_side_is_monotone_clamped_and_on_the_grid(a, b):
    sa, sb = adaptive_side(a), adaptive_side(b)
    for s in (sa, sb):
        assert MIN_SIDE <= s <= MAX_SIDE and s % STEP == 0
    if a < b:
        assert sa >= sb


@pytest.mark.parametrize("frac", [None, 0.0, float("nan")])
def test_no_estimate_falls_back_to_the_trained_size(frac):
    assert adaptive_side(frac) == 224
    assert adaptive_side(frac, fallback=192) == 192


def test_probe_height_fraction_from_a_hand_made_map():
    cam = np.zeros((10, 10), np.float32)
    cam[2:7, 4:6] = 1.0  # 5 of 10 rows lit
    frac = probe_height_fraction(cam, 200, 100)
    assert frac == pytest.approx(0.5, abs=0.08)  # bilinear upsampling blurs the edge a little
    assert probe_height_fraction(np.zeros((10, 10), np.float32), 200, 100) is None
    assert probe_height_fraction(-np.ones((10, 10), np.float32), 200, 100) is None


def test_adaptive_cams_group_by_side_and_match_one_pass_at_that_side(tiny_model):
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (h, w, 3), dtype=np.uint8) for h, w in ((90, 160), (120, 120), (64, 200))]
    sides, cams = adaptive_cams(tiny_model, images, [0, 1, 2], batch=2)
    assert len(sides) == len(cams) == 3
    C = len(tiny_model.classes)
    for img, side, cam in zip(images, sides, cams):
        assert MIN_SIDE <= side <= MAX_SIDE
        assert cam.shape == (C, side // 16, side // 16)
        batch = tiny_model.prepare([img], (side, side))
        probs, feats = tiny_model.forward(batch)
        np.testing.assert_allclose(cam, tiny_model.cams_from(batch, probs, feats)[0], rtol=1e-4, atol=1e-5)


def _results(tiny_model, n=3, label_of=lambda k: "ahn"):
    from videocam.types import Frame, FrameResult
    rng = np.random.default_rng(3)
    C = len(tiny_model.classes)
    out = []
    for k in range(n):
        f = Frame(index=k, time_s=k / 25, rgb=rng.integers(0, 255, (90, 160, 3), dtype=np.uint8))
        r = FrameResult(frame=f, classes=tuple(tiny_model.classes), probs=np.full(C, 1 / C, np.float32),
                        cams=np.zeros((C, 14, 14), np.float32))
        r.label = label_of(k)
        r.notes["present"] = [] if r.label == "nobody" else [tiny_model.classes.index(r.label)]
        out.append(r)
    return out


def test_rescale_stage_gives_localize_maps_from_a_pass_at_the_chosen_side(tiny_model):
    from videocam.stages.localize import Localize
    from videocam.stages.rescale import Rescale
    results = _results(tiny_model, label_of=lambda k: "nobody" if k == 1 else "hong")
    Rescale(tiny_model)(results)
    assert "box_cams" not in results[1].notes  # nobody: nothing to box, no extra pass
    c = tiny_model.classes.index("hong")
    for r in (results[0], results[2]):
        cam = r.notes["box_cams"][c]
        side = cam.shape[0] * 16
        assert MIN_SIDE <= side <= MAX_SIDE and cam.shape == (side // 16, side // 16)
        batch = tiny_model.prepare([r.frame.rgb], (side, side))
        np.testing.assert_allclose(cam, tiny_model.probs_and_cams(batch)[1][0, c], rtol=1e-4, atol=1e-5)
    # Localize boxes the rescaled map, not the (all-zero) trained-size one. An untrained model's map
    # may be all negative (no box at all), so the check lights a known block of the rescaled map.
    for r in (results[0], results[2]):
        cam = r.notes["box_cams"][c]
        lit = np.zeros_like(cam)
        lit[: cam.shape[0] // 2, cam.shape[1] // 2:] = 1.0  # top-right quarter
        r.notes["box_cams"][c] = lit
    Localize(torso=False)(results)  # the box of the map itself (the torso rule would reach the bottom edge)
    assert results[1].boxes == []
    for r in (results[0], results[2]):
        assert [b.label for b in r.boxes] == ["hong"]
        b = r.boxes[0]
        w, h = r.frame.width, r.frame.height
        assert b.x0 >= w // 2 - w // 8 and b.x1 == w and b.y0 == 0 and b.y1 <= h // 2 + h // 8


def test_adaptive_scale_is_a_stage_before_localize_and_refused_for_fc_heads(tiny_model, tmp_path):
    from videocam.errors import UsageError
    from videocam.model.cam_model import save_model
    from videocam.model.loading import load_model
    from videocam.model.nets import build_model
    from videocam.stages.chain import build_stages, check_stage_options
    from videocam.stages.localize import Localize
    from videocam.stages.rescale import Rescale
    stages = build_stages(tiny_model, scale="adaptive")
    assert isinstance(stages[-2], Rescale) and isinstance(stages[-1], Localize)
    assert not any(isinstance(s, Rescale) for s in build_stages(tiny_model))
    m, info = build_model(6, "small", "fc512", width=8, input_size=(64, 64))
    fc = load_model(save_model(m, info, tmp_path / "fc.keras"))
    with pytest.raises(UsageError, match="--scale adaptive"):
        build_stages(fc, scale="adaptive")
    with pytest.raises(UsageError, match="--scale"):
        check_stage_options(scale="zoom")


def test_run_refuses_adaptive_scale_for_fc_heads_before_creating_anything(tmp_path, debate_clip):
    from videocam.errors import UsageError
    from videocam.model.cam_model import save_model
    from videocam.model.nets import build_model
    from videocam.pipeline.process import process_video
    m, info = build_model(6, "small", "fc512", width=8, input_size=(64, 64))
    path = save_model(m, info, tmp_path / "fc.keras")
    mp4, _, _ = debate_clip
    with pytest.raises(UsageError, match="--scale adaptive"):
        process_video(mp4, model=path, out_dir=tmp_path / "out", scale="adaptive", handle_signals=False)
    assert not (tmp_path / "out").exists()
