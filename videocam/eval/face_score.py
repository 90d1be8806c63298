"""Scores of a face model's frames against face truth: pure counting, no model.

Truth for a frame: every face as (name, box), name None for a stranger. A face counts as found
and named when a box of its name holds the face's centre and is no wider than `MAX_WIDTH` faces;
a named box is wrong when it holds no face of that name; the pointing game asks whether person
c's map peaks inside c's face box, grown by `POINT_GROW` (the chip a map is made from).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from videocam.types import UNKNOWN  # noqa: E402

MAX_WIDTH = 4.0
POINT_GROW = 1.3


@dataclass
class FaceCounts:
    enrolled: int = 0          # enrolled faces in the truth
    enrolled_named: int = 0    # ... boxed and named right
    strangers: int = 0         # strangers' faces in the truth
    strangers_named: int = 0   # ... under a box with an enrolled name
    named_boxes: int = 0
    named_wrong: int = 0       # named boxes that hold no face of that name
    point: int = 0             # enrolled faces a map was scored on
    point_hit: int = 0
    stranger_frames: int = 0   # frames with strangers only
    stranger_frames_named: int = 0  # ... where any enrolled name was given

    def __add__(self, other: "FaceCounts") -> "FaceCounts":
        return FaceCounts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def rates(self) -> dict:
        def r(a, b):
            return a / b if b else float("nan")
        return {"enrolled_named": r(self.enrolled_named, self.enrolled),
                "strangers_named": r(self.strangers_named, self.strangers),
                "named_wrong": r(self.named_wrong, self.named_boxes),
                "pointing": r(self.point_hit, self.point),
                "stranger_frames_named": r(self.stranger_frames_named, self.stranger_frames)}


def _centre(b):
    return (b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0


def _holds(box, point) -> bool:
    return box[0] <= point[0] < box[2] and box[1] <= point[1] < box[3]


def score_frame(truth: list, boxes: list, strangers_only: bool = False, cams=None, classes=None,
                size: tuple[int, int] | None = None) -> FaceCounts:
    """Counts for one frame. `boxes`: dicts or objects with label, x0, y0, x1, y1. `cams`: the
    frame's maps (C, h, w) over a frame of `size` (width, height), for the pointing game."""
    def as_tuple(b):
        g = b.get if isinstance(b, dict) else (lambda k: getattr(b, k))
        return g("label"), (g("x0"), g("y0"), g("x1"), g("y1"))

    pred = [as_tuple(b) for b in boxes]
    c = FaceCounts()
    for name, tb in truth:
        ctr = _centre(tb)
        tw = tb[2] - tb[0]
        if name is None:
            c.strangers += 1
            if any(lab != UNKNOWN and _holds(pb, ctr) for lab, pb in pred):
                c.strangers_named += 1
            continue
        c.enrolled += 1
        if any(lab == name and _holds(pb, ctr) and (pb[2] - pb[0]) <= MAX_WIDTH * tw for lab, pb in pred):
            c.enrolled_named += 1
        if cams is not None and classes is not None and name in classes and size is not None:
            m = np.asarray(cams[list(classes).index(name)])
            if m.size and np.isfinite(m).all():
                iy, ix = np.unravel_index(int(np.argmax(m)), m.shape)
                px, py = (ix + 0.5) * size[0] / m.shape[1], (iy + 0.5) * size[1] / m.shape[0]
                cx, cy = ctr
                half = max(tb[2] - tb[0], tb[3] - tb[1]) * POINT_GROW / 2.0
                c.point += 1
                c.point_hit += int(abs(px - cx) <= half and abs(py - cy) <= half)
    for lab, pb in pred:
        if lab == UNKNOWN or not lab:
            continue
        c.named_boxes += 1
        if not any(n == lab and _holds(pb, _centre(tb)) for n, tb in truth):
            c.named_wrong += 1
    if strangers_only:
        c.stranger_frames = 1
        c.stranger_frames_named = int(any(lab not in (UNKNOWN, "") for lab, _ in pred))
    return c
