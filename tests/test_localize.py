import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from videocam.stages.localize import cam_boxes, iou, mask_boxes, threshold_mask
from videocam.types import Box


def test_box_of_a_single_blob_scales_to_frame_pixels():
    cam = np.zeros((14, 14), np.float32)
    cam[2:6, 3:9] = 1.0  # rows 2..5, cols 3..8
    (b,) = cam_boxes(cam, 140, 140, label="moon", score=0.9)
    assert (b.label, b.score) == ("moon", 0.9)
    # bilinear upsampling spreads the blob by well under one CAM cell
    assert abs(b.x0 - 30) <= 10 and abs(b.x1 - 90) <= 10
    assert abs(b.y0 - 20) <= 10 and abs(b.y1 - 60) <= 10


def test_largest_keeps_one_region_all_keeps_each():
    cam = np.zeros((20, 20), np.float32)
    cam[1:4, 1:4] = 1.0          # small
    cam[10:18, 10:18] = 0.9      # large
    largest = cam_boxes(cam, 200, 200, mode="largest")
    every = cam_boxes(cam, 200, 200, mode="all")
    assert len(largest) == 1 and len(every) == 2
    assert largest[0] == every[0]
    assert largest[0].x0 >= 90  # the large region, not the strongest one


def test_threshold_is_relative_to_max():
    cam = np.zeros((10, 10), np.float32)
    cam[5, 5] = 10.0
    cam[0, 0] = 1.9   # below 20% of the max: not a region
    assert len(cam_boxes(cam, 10, 10, mode="all")) == 1
    cam[0, 0] = 2.1
    assert len(cam_boxes(cam, 10, 10, mode="all")) == 2


def test_no_positive_evidence_no_box():
    assert cam_boxes(-np.ones((14, 14)), 100, 100) == []
    assert cam_boxes(np.zeros((14, 14)), 100, 100) == []


def test_mask_boxes_are_exclusive_and_largest_first():
    m = np.zeros((5, 6), bool)
    m[1:3, 2:5] = True
    assert mask_boxes(m) == [(2, 1, 5, 3, 6)]


def test_iou_known_values():
    a = Box("a", 1, 0, 0, 10, 10)
    assert iou(a, a) == 1.0
    assert iou(a, (5, 0, 15, 10)) == 50 / 150
    assert iou(a, (20, 20, 30, 30)) == 0.0
    assert iou((0, 0, 0, 5), (0, 0, 0, 5)) == 0.0


maps = arrays(np.float32, st.tuples(st.integers(1, 16), st.integers(1, 16)),
              elements=st.floats(-5, 5, width=32, allow_nan=False))


@settings(max_examples=150, deadline=None)
@given(cam=maps, w=st.integers(1, 400), h=st.integers(1, 400), thr=st.floats(0.01, 0.99),
       mode=st.sampled_from(["largest", "all"]), norm=st.sampled_from(["max", "minmax"]))
def test_boxes_inside_frame_and_well_formed(cam, w, h, thr, mode, norm):
    boxes = cam_boxes(cam, w, h, threshold=thr, mode=mode, norm=norm)
    if mode == "largest":
        assert len(boxes) <= 1
    for b in boxes:
        assert 0 <= b.x0 < b.x1 <= w
        assert 0 <= b.y0 < b.y1 <= h


@settings(max_examples=100, deadline=None)
@given(mask=arrays(bool, st.tuples(st.integers(1, 20), st.integers(1, 20))))
def test_at_most_one_box_per_region(mask):
    from scipy import ndimage
    _, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    boxes = mask_boxes(mask, "all")
    assert len(boxes) == count
    assert sum(b[4] for b in boxes) == int(mask.sum())


coords = st.tuples(st.integers(-50, 50), st.integers(-50, 50), st.integers(0, 60), st.integers(0, 60)).map(
    lambda t: (t[0], t[1], t[0] + t[2], t[1] + t[3]))


@settings(max_examples=200, deadline=None)
@given(a=coords, b=coords)
def test_iou_symmetric_and_bounded(a, b):
    v = iou(a, b)
    assert v == iou(b, a)
    assert 0.0 <= v <= 1.0
    if (a[2] - a[0]) * (a[3] - a[1]) > 0:
        assert iou(a, a) == 1.0


def test_threshold_mask():
    assert threshold_mask(np.array([0.1, 0.2, 0.3]), 0.2).tolist() == [False, True, True]


def test_union_boxes_face_and_tie_together_but_not_weak_blobs():
    cam = np.zeros((28, 28), np.float32)
    cam[3:9, 10:18] = 1.0     # face
    cam[18:26, 12:16] = 0.7   # tie: a separate region, strong enough to join
    cam[1:3, 1:3] = 0.3       # weak blob: above the 20% threshold, below the union peak
    (largest,) = cam_boxes(cam, 280, 280, mode="largest")
    (union,) = cam_boxes(cam, 280, 280, mode="union")
    assert union.y1 > largest.y1 + 80          # reaches down to the tie
    assert union.x0 > 50 and union.y0 >= 20    # leaves the weak blob out


def test_one_person_union_takes_a_face_lit_under_half_the_ties_peak(tiny_model):
    """Tuning seed 207: the tie at 1.0, the face a separate region at 0.45. The default chain (one
    person boxed) joins it at 0.4; --multi keeps 0.5, where a weaker region may be a neighbour's."""
    from videocam.stages.chain import build_stages
    from videocam.stages.localize import ONE_PERSON_UNION_PEAK, UNION_PEAK, Localize, cam_boxes
    cam = np.zeros((14, 14), np.float32)
    cam[5:8, 6:9] = 0.45   # face
    cam[11:14, 5:9] = 1.0  # tie
    tie_only = cam_boxes(cam, 224, 224, mode="union", union_peak=UNION_PEAK)[0]
    both = cam_boxes(cam, 224, 224, mode="union", union_peak=ONE_PERSON_UNION_PEAK)[0]
    assert tie_only.y0 > 150 and both.y0 < 100 and both.y1 == tie_only.y1
    localize = {m: next(s for s in build_stages(tiny_model, multi=m) if isinstance(s, Localize)) for m in (False, True)}
    assert localize[False].union_peak == ONE_PERSON_UNION_PEAK and localize[True].union_peak == UNION_PEAK
