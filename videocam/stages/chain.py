"""Stages: small callables `results -> results`, chained in order.

Each stage takes and returns a list of `FrameResult` (one batch, in frame
order). Stateless stages are plain; stateful ones (smoothing) keep what they
need between batches. The default chain is `Decide -> Localize`; the
nobody/multi/smoothing stages slot in front of or inside it.

Order (a deviation from the first design sketch, Cam -> Localize -> Nobody ->
Smooth): smoothing acts on probabilities and maps *before* the decision and
the boxes, so the label and the boxes are both taken from the smoothed
evidence; a box computed before smoothing would still flicker.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np

from videocam.stages.localize import cam_boxes, panel_boxes, torso_box
from videocam.types import NOBODY, FrameResult

Stage = Callable[[list[FrameResult]], list[FrameResult]]


def boxed_classes(r: FrameResult) -> list[int]:
    """The classes a frame is boxed for: those the decision found present (the top class if it
    left none), never `nobody`. Empty for a nobody frame."""
    if r.label == NOBODY:
        return []
    present: Sequence[int] = r.notes.get("present") or [int(np.argmax(r.probs))]
    return [c for c in present if r.classes[c] != NOBODY]


def run_stages(stages: Iterable[Stage], results: list[FrameResult]) -> list[FrameResult]:
    for stage in stages:
        results = stage(results)
    return results


@dataclass
class Decide:
    """Set `label`/`score`: the top class, or `nobody`.

    A frame is `nobody` when the model's own `nobody` class wins, or when
    `nobody_below` is set and the top probability is below it (for models
    trained without a nobody class). `present` (in `notes`) lists the class
    indices to box; a multi-person stage may add more.
    """

    nobody_below: float | None = None
    use_nobody: bool = True  # False: the original single-image rule, always some person

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        for r in results:
            probs = r.probs
            if not self.use_nobody and NOBODY in r.classes:
                probs = np.array(probs, dtype=np.float32, copy=True)
                probs[r.classes.index(NOBODY)] = -1.0
            i = int(np.argmax(probs))
            label, score = r.classes[i], float(r.probs[i])
            if self.use_nobody and self.nobody_below is not None and score < self.nobody_below:
                label = NOBODY
            r.label, r.score = label, score
            r.notes.setdefault("present", [] if label == NOBODY else [i])
        return results


@dataclass
class Localize:
    """Boxes from the CAM of every present class (paper: 20% of max, largest region);
    `torso`: the torso rule of `videocam.stages.localize.torso_box` on top, for a frame with
    one box (on the tuning seeds it cost multi-person recall wherever a box spans two people);
    `panel`: the panel rule of `videocam.stages.localize.panel_boxes` for frames with several."""

    threshold: float = 0.2
    norm: str = "max"
    mode: str = "union"
    torso: bool = True
    panel: bool = True

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        for r in results:
            boxes = []
            rescaled = r.notes.get("box_cams") or {}  # maps from an adapted pass (videocam.stages.rescale)
            for c in boxed_classes(r):
                cam = rescaled.get(c, r.cams[c])
                boxes += cam_boxes(cam, r.frame.width, r.frame.height, label=r.classes[c],
                                   score=float(r.probs[c]), threshold=self.threshold, norm=self.norm,
                                   mode=self.mode)
            if self.mode == "all":  # boxes are regions, not people: neither rule applies
                pass
            elif self.torso and len(boxes) == 1:  # one person on screen (see torso_box)
                boxes = [torso_box(boxes[0], r.frame.width, r.frame.height)]
            elif self.panel:
                boxes = panel_boxes(boxes, r.frame.width, r.frame.height)
            r.boxes = boxes
        return results
