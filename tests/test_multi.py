"""Several people per frame (videocam.stages.multi), with hand-made CAMs; no TensorFlow."""
from __future__ import annotations

import numpy as np
import pytest

from videocam.stages.chain import Decide, Localize, run_stages
from videocam.stages.localize import iou
from videocam.stages.multi import Multi, class_peaks, drop_duplicate_boxes, present_classes
from videocam.types import NOBODY, Box, Frame, FrameResult

CLASSES = ("ann", "bob", "cy", NOBODY)
HW = 14


def blob(cx: float, cy: float, peak: float = 1.0, sigma: float = 1.5) -> np.ndarray:
    y, x = np.mgrid[0:HW, 0:HW].astype(np.float32)
    return peak * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma ** 2))


def two_people(b_peak: float = 0.8, b_at=(10.5, 6.0)) -> np.ndarray:
    cams = np.full((len(CLASSES), HW, HW), -0.2, np.float32)
    cams[0] += blob(3.5, 6.0, 1.0)  # ann on the left
    cams[1] += blob(*b_at, b_peak)  # bob on the right
    cams[2] += blob(7.0, 7.0, 0.1)  # cy: weak
    return cams


def frame_result(probs, cams, w=320, h=320) -> FrameResult:
    rgb = np.zeros((h, w, 3), np.uint8)
    return FrameResult(frame=Frame(0, 0.0, rgb), classes=CLASSES,
                       probs=np.asarray(probs, np.float32), cams=np.asarray(cams, np.float32))


def test_two_separated_blobs_give_two_classes():
    got = present_classes(np.array([0.6, 0.3, 0.05, 0.05]), two_people(), CLASSES)
    assert got == [0, 1]


def test_two_people_get_one_box_each_through_the_stages():
    r = frame_result([0.6, 0.3, 0.05, 0.05], two_people())
    (out,) = run_stages([Decide(), Multi(), Localize()], [r])
    assert out.label == "ann"  # the strongest class stays the label
    assert out.notes["present"] == [0, 1]
    assert [b.label for b in out.boxes] == ["ann", "bob"]
    ann, bob = out.boxes
    assert ann.x1 <= 160 <= bob.x0  # left and right halves
    assert iou(ann, bob) == 0.0
    # without Multi: one box
    r = frame_result([0.6, 0.3, 0.05, 0.05], two_people())
    (one,) = run_stages([Decide(), Localize()], [r])
    assert [b.label for b in one.boxes] == ["ann"]


def test_prob_alone_or_peak_alone():
    cams = two_people(b_peak=0.8)
    low_prob = np.array([0.93, 0.02, 0.03, 0.02])  # softmax gives bob little
    assert present_classes(low_prob, cams, CLASSES, combine="or") == [0, 1]  # the CAM peak finds him
    assert present_classes(low_prob, cams, CLASSES, combine="and") == [0]
    assert present_classes(low_prob, cams, CLASSES, rel_peak=None) == [0]
    weak = two_people(b_peak=0.35)  # bob's map is weak (peak 0.15 vs 0.8), but his probability high
    probs = np.array([0.55, 0.4, 0.03, 0.02])
    assert present_classes(probs, weak, CLASSES, combine="or") == [0, 1]
    assert present_classes(probs, weak, CLASSES, combine="and") == [0]
    assert present_classes(probs, weak, CLASSES, rel_prob=None) == [0]
    flat = two_people(b_peak=0.0)  # no positive evidence at all: nothing to box, not added
    assert present_classes(probs, flat, CLASSES) == [0]
    # the absolute floor applies whatever the rule
    assert present_classes(low_prob, cams, CLASSES, min_prob=0.05) == [0]


def test_nobody_class_is_never_added():
    cams = two_people()
    cams[3] = -0.2 + blob(10.5, 10.0, 2.0)  # a strong nobody map and probability
    probs = np.array([0.5, 0.05, 0.05, 0.4])
    got = present_classes(probs, cams, CLASSES)
    assert 3 not in got and got[0] == 0
    assert present_classes(np.array([0.1, 0.1, 0.1, 0.7]), cams, CLASSES) == []  # nobody on top


def test_same_region_is_one_person_not_two():
    cams = two_people(b_peak=0.9, b_at=(3.7, 6.2))  # bob's evidence sits on ann
    probs = np.array([0.55, 0.4, 0.03, 0.02])
    assert present_classes(probs, cams, CLASSES) == [0]
    assert present_classes(probs, cams, CLASSES, dedupe_iou=None) == [0, 1]


def test_stage_skips_nobody_frames_and_keeps_existing_present():
    r = frame_result([0.1, 0.1, 0.1, 0.7], two_people())
    (out,) = run_stages([Decide(), Multi(), Localize()], [r])
    assert out.label == NOBODY and out.boxes == [] and out.notes["present"] == []
    r = frame_result([0.6, 0.3, 0.05, 0.05], two_people())
    r.label, r.notes["present"] = "ann", [0, 2]  # another stage already put cy there
    (out,) = Multi()([r])
    assert out.notes["present"] == [0, 2, 1]


def test_max_people_and_order():
    cams = two_people()
    cams[2] = -0.2 + blob(7.0, 12.0, 0.9)  # cy lower down, a stronger map than bob's
    got = present_classes(np.array([0.5, 0.25, 0.2, 0.05]), cams, CLASSES)
    assert got == [0, 2, 1]  # strongest evidence first
    assert present_classes(np.array([0.5, 0.25, 0.2, 0.05]), cams, CLASSES, max_people=2) == [0, 2]


def test_class_peaks_modes():
    cams = np.zeros((2, 2, 2), np.float32)
    cams[0, 0, 0], cams[1, 0, 0] = 3.0, 1.0
    cams[1, 1, 1] = -5.0
    assert np.allclose(class_peaks(cams, "raw"), [3.0, 1.0])
    # minus the mean map: ann 3-2=1 at (0,0) but 0-(-2.5)=2.5 at (1,1); bob never above 0
    assert np.allclose(class_peaks(cams, "contrast"), [2.5, 0.0])
    with pytest.raises(ValueError):
        class_peaks(cams, "median")
    with pytest.raises(ValueError):
        Multi(combine="xor")


def test_drop_duplicate_boxes():
    a = Box("ann", 0.8, 0, 0, 100, 100)
    b_dup = Box("bob", 0.3, 5, 5, 100, 100)
    b_far = Box("bob", 0.3, 200, 0, 300, 100)
    a_second_region = Box("ann", 0.5, 10, 10, 90, 90)
    assert drop_duplicate_boxes([a, b_dup, b_far]) == [a, b_far]
    assert drop_duplicate_boxes([b_dup, a]) == [a]
    assert drop_duplicate_boxes([a, a_second_region]) == [a, a_second_region]  # same label kept
