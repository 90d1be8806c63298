"""Several people in one frame: which classes besides the top one to box.

A softmax trained on one-person images spreads (or does not spread) its
probability over the people in a two-person frame, so the probability alone is
weak evidence; the CAM of a second person's class, though, has its own strong
positive blob where that person is.

The default, the territory rule (`compete`): candidates are the person classes
whose CAM peak reaches `COMPETE_REL_PEAK` of the top class's; every map cell
goes to the candidate strongest there, each candidate is boxed from its own
cells only (so one person's box does not run on over a neighbour its class
lights more weakly), and stays when the peak on its cells reaches
`COMPETE_KEEP_PEAK` of the top class's.

The peak rule (`present_classes`, `Multi(territory=False)`) looks at both:

- `prob_ok`: `probs[c] >= rel_prob * probs[top]`
- `peak_ok`: the positive peak of class c's CAM `>= rel_peak *` the top class's
  peak (raw CAMs, or `peak="contrast"`: each map minus the mean map over all
  classes, the part of the evidence the softmax actually sees, since softmax
  ignores what all classes share)

combined with `combine="or"` (either) or `"and"` (both), and always
`probs[c] >= min_prob`. The `nobody` class is never added. A candidate whose
CAM box is mostly the same region as a stronger class's box (IoU >
`dedupe_iou`) is dropped: that is one person seen by two similar classes, not
two people.

`Multi` is the stage (after `Decide`, before `Localize`): it extends
`notes["present"]` (and, with the territory rule, `notes["box_cams"]`); the
frame's `label` stays the strongest class.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from videocam.stages.localize import cam_boxes, iou
from videocam.types import NOBODY, Box, FrameResult

__all__ = ["class_peaks", "present_classes", "compete", "drop_duplicate_boxes", "Multi", "PEAKS", "COMBINE"]

PEAKS = ("raw", "contrast")  # `peak=` modes of the peak rule (docs/stages.md#constants)
COMBINE = ("or", "and")  # `combine=` modes of the peak rule (docs/stages.md#constants)

# the peak rule (`present_classes`, `Multi(territory=False)`)
MIN_PROB = 0.01  # a class below this probability is never added (docs/stages.md#constants)
REL_PROB = 0.25  # `prob_ok`: probability at least this share of the top class's (docs/stages.md#constants)
REL_PEAK = 0.5  # `peak_ok`: CAM peak at least this share of the top class's (docs/stages.md#constants)
DEDUPE_IOU = 0.5  # boxed over a stronger class's box above this IoU: the same person (docs/stages.md#constants)
BOX_THRESHOLD = 0.2  # CAM threshold of the boxes the duplicate test compares (docs/stages.md#constants)
# the territory rule (`compete`, the default of `Multi`)
COMPETE_MIN_PROB = 0.0  # probability a candidate needs (docs/stages.md#constants)
COMPETE_REL_PEAK = 0.3  # a candidate's CAM peak reaches this share of the top class's (docs/stages.md#constants)
COMPETE_KEEP_PEAK = 0.5  # it stays when its own cells' peak reaches this share of the top's (docs/stages.md#constants)


def class_peaks(cams: np.ndarray, peak: str = "raw") -> np.ndarray:
    """The positive peak (max, floored at 0) of each class map, shape (C,)."""
    cams = np.asarray(cams, dtype=np.float32)
    if peak == "contrast":
        cams = cams - cams.mean(axis=0, keepdims=True)
    elif peak != "raw":
        raise ValueError(f"unknown peak mode {peak!r}; use one of {', '.join(PEAKS)}")
    c = cams.shape[0]
    return np.maximum(cams.reshape(c, -1).max(axis=1), 0.0) if cams.size else np.zeros(c, np.float32)


def present_classes(
    probs: np.ndarray,
    cams: np.ndarray,
    classes: Sequence[str],
    top: int | None = None,
    min_prob: float = MIN_PROB,
    rel_prob: float | None = REL_PROB,
    rel_peak: float | None = REL_PEAK,
    combine: str = "or",
    peak: str = "raw",
    dedupe_iou: float | None = DEDUPE_IOU,
    box_threshold: float = BOX_THRESHOLD,
    max_people: int | None = None,
    size: tuple[int, int] | None = None,
) -> list[int]:
    """Class indices to box in one frame: `top` first, then the others, strongest first.

    `probs` (C,), `cams` (C, h, w) raw maps; `top` defaults to the most probable
    class. Returns `[]` when `top` is the nobody class. `rel_prob=None` or
    `rel_peak=None` disables that test (with `combine="and"` a disabled test
    passes, with `"or"` it fails). `size` (width, height) is only the
    geometry the duplicate test boxes on (default: the CAM grid x 16; IoU
    hardly depends on it).
    """
    if combine not in COMBINE:
        raise ValueError(f"unknown combine {combine!r}; use one of {', '.join(COMBINE)}")
    probs = np.asarray(probs, dtype=np.float32).reshape(-1)
    cams = np.asarray(cams, dtype=np.float32)
    n = len(classes)
    if probs.size != n or cams.shape[0] != n:
        raise ValueError(f"{n} classes but probs {probs.shape} and cams {cams.shape}")
    if top is None:
        top = int(np.argmax(probs))
    if classes[top] == NOBODY:
        return []
    peaks = class_peaks(cams, peak) if rel_peak is not None else None
    p_top = float(probs[top])
    cands = []
    for c in range(n):
        if c == top or classes[c] == NOBODY or probs[c] < min_prob:
            continue
        tests = []
        if rel_prob is not None:
            tests.append(float(probs[c]) >= rel_prob * p_top)
        if peaks is not None:
            tests.append(peaks[top] > 0 and float(peaks[c]) >= rel_peak * float(peaks[top]))
        ok = (all(tests) if combine == "and" else any(tests)) if tests else False
        if ok:
            cands.append(c)
    # strongest first: by the evidence the rule used (peak when available, then prob)
    if peaks is not None:
        cands.sort(key=lambda c: (-float(peaks[c]), -float(probs[c])))
    else:
        cands.sort(key=lambda c: -float(probs[c]))
    present = [top]
    if cands and dedupe_iou is not None:
        h, w = cams.shape[1], cams.shape[2]
        width, height = size if size is not None else (w * 16, h * 16)

        def box(c):
            b = cam_boxes(cams[c], width, height, threshold=box_threshold, norm="max", mode="largest")
            return b[0] if b else None

        kept_boxes = [box(top)]
        for c in cands:
            b = box(c)
            if b is None:  # no positive evidence to box: nobody to add
                continue
            if any(k is not None and iou(b, k) > dedupe_iou for k in kept_boxes):
                continue
            present.append(c)
            kept_boxes.append(b)
    else:
        present += cands
    if max_people is not None:
        present = present[: max(1, int(max_people))]
    return present


def compete(probs: np.ndarray, cams: np.ndarray, classes: Sequence[str], top: int | None = None,
            min_prob: float = COMPETE_MIN_PROB, rel_peak: float = COMPETE_REL_PEAK,
            keep_peak: float = COMPETE_KEEP_PEAK) -> tuple[list[int], dict[int, np.ndarray]]:
    """Several people by territory: which classes to box, and the map to box each from.

    Candidates are the person classes whose CAM peak reaches `rel_peak` of the top class's
    (and whose probability reaches `min_prob`). Every cell of the map goes to the candidate
    whose CAM is strongest there; each candidate's box map is its CAM on its own cells (0
    elsewhere), so one person's box no longer runs on over a neighbour that the same class
    lights more weakly. A candidate stays only when the peak on its own cells reaches
    `keep_peak` of the top class's (one person seen by two similar classes leaves the weaker
    one a few weak cells). Returns `(present, maps)`, `top` first.
    """
    probs = np.asarray(probs, dtype=np.float32).reshape(-1)
    cams = np.asarray(cams, dtype=np.float32)
    if top is None:
        top = int(np.argmax(probs))
    if classes[top] == NOBODY:
        return [], {}
    peaks = class_peaks(cams)
    if peaks[top] <= 0:
        return [top], {}
    cands = [top] + sorted((c for c in range(len(classes)) if c != top and classes[c] != NOBODY
                            and probs[c] >= min_prob and peaks[c] >= rel_peak * peaks[top]),
                           key=lambda c: -float(peaks[c]))
    if len(cands) == 1:
        return [top], {}
    win = np.argmax(cams[cands], axis=0)
    maps = {c: np.where(win == j, cams[c], np.float32(0.0)) for j, c in enumerate(cands)}
    own_top = float(maps[top].max())
    present = [top] + [c for c in cands[1:] if float(maps[c].max()) >= keep_peak * max(own_top, 1e-12)]
    return present, {c: maps[c] for c in present}


def drop_duplicate_boxes(boxes: Sequence[Box], iou_max: float = DEDUPE_IOU) -> list[Box]:
    """Drop a box that is mostly the same region (IoU > `iou_max`) as a
    higher-scoring box of another label; keeps the input order otherwise."""
    order = sorted(range(len(boxes)), key=lambda i: -float(boxes[i].score))
    kept: list[int] = []
    for i in order:
        b = boxes[i]
        if any(boxes[j].label != b.label and iou(b, boxes[j]) > iou_max for j in kept):
            continue
        kept.append(i)
    return [boxes[i] for i in sorted(kept)]


@dataclass
class Multi:
    """Stage: add every other person present to `notes["present"]` (see module doc)."""

    min_prob: float = MIN_PROB
    rel_prob: float | None = REL_PROB
    rel_peak: float | None = REL_PEAK
    combine: str = "or"
    peak: str = "raw"
    dedupe_iou: float | None = DEDUPE_IOU
    box_threshold: float = BOX_THRESHOLD
    max_people: int | None = None
    territory: bool = True  # `compete`: candidates by peak, each boxed on its own cells
    keep_peak: float = COMPETE_KEEP_PEAK
    cand_peak: float = COMPETE_REL_PEAK
    cand_prob: float = COMPETE_MIN_PROB

    def __post_init__(self) -> None:
        if self.combine not in COMBINE:
            raise ValueError(f"unknown combine {self.combine!r}; use one of {', '.join(COMBINE)}")
        if self.peak not in PEAKS:
            raise ValueError(f"unknown peak mode {self.peak!r}; use one of {', '.join(PEAKS)}")

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        for r in results:
            if not r.label or r.label == NOBODY:
                continue
            # who else is in this frame: the frame's own evidence, not the shot's mean (`Steady`)
            probs = r.notes.get("frame_probs", r.probs)
            top = r.classes.index(r.label) if r.label in r.classes else int(np.argmax(probs))
            if self.territory:
                found, maps = compete(probs, r.cams, r.classes, top=top, min_prob=self.cand_prob,
                                      rel_peak=self.cand_peak, keep_peak=self.keep_peak)
                if self.max_people is not None:
                    found = found[: max(1, int(self.max_people))]
                if len(found) > 1:
                    box_cams = r.notes.setdefault("box_cams", {})
                    for c in found:
                        box_cams.setdefault(c, maps[c])
                present = list(r.notes.get("present") or [top])
                present += [c for c in found if c not in present]
                r.notes["present"] = present
                continue
            found = present_classes(
                probs, r.cams, r.classes, top=top, min_prob=self.min_prob, rel_prob=self.rel_prob,
                rel_peak=self.rel_peak, combine=self.combine, peak=self.peak, dedupe_iou=self.dedupe_iou,
                box_threshold=self.box_threshold, max_people=self.max_people,
                size=(r.frame.width, r.frame.height),
            )
            present = list(r.notes.get("present") or [top])
            present += [c for c in found if c not in present]
            r.notes["present"] = present
        return results
