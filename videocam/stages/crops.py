"""Crops for a second look: a box cut out with context, one batched pass over the crops, and a
crop map's box back in frame pixels (`Refine` and the row search share them)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from videocam.stages.localize import cam_boxes
from videocam.types import Box

CROP_MARGIN = 0.5  # context around a box, as a share of its longer side (docs/stages.md#constants)
CROP_BOX_MODE = "largest"  # a crop's box: its map's largest region, not the union (docs/stages.md#constants)

Rect = tuple[int, int, int, int]  # (x0, y0, x1, y1) in frame pixels, x1/y1 exclusive


def crop_around(box: Box, width: int, height: int, margin: float = CROP_MARGIN) -> Rect:
    """(x0, y0, x1, y1): a square of the box's longer side x (1 + margin) about its centre, cut to the frame."""
    side = max(box.x1 - box.x0, box.y1 - box.y0) * (1.0 + margin)
    cx, cy = (box.x0 + box.x1) / 2.0, (box.y0 + box.y1) / 2.0
    x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    x1, y1 = int(min(width, cx + side / 2)), int(min(height, cy + side / 2))
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


def look(model: Any, crops: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """One pass of every crop at the model's trained size: probs (N, C) and raw CAMs (N, C, h, w)."""
    return model.probs_and_cams(model.prepare(list(crops), model.input_size))


def box_in_crop(cam: np.ndarray, rect: Rect, label: str, score: float, threshold: float = 0.2,
                norm: str = "max") -> Box | None:
    """The box of one class's crop map (`CROP_BOX_MODE`), in frame pixels; None when nothing is lit."""
    x0, y0, x1, y1 = rect
    inner = cam_boxes(cam, x1 - x0, y1 - y0, label=label, score=score, threshold=threshold, norm=norm,
                      mode=CROP_BOX_MODE)
    if not inner:
        return None
    b = inner[0]
    return Box(label=label, score=score, x0=x0 + b.x0, y0=y0 + b.y0, x1=x0 + b.x1, y1=y0 + b.y1)
