"""From a CAM to boxes: threshold, connected regions, regionprops; and the `Localize` stage.

The paper's rule: normalise the map, keep pixels above 20% of its max, and
box the largest connected region. `all` keeps one box per region instead.
`union` boxes every region whose own peak reaches `UNION_PEAK` of the map's
max together: a CAM lights the most discriminative parts (a face, a tie) as
separate blobs, and on a close-up the largest blob alone is only the head.
Maps are upsampled to a working size no larger than needed (the CAM is
14x14; a 4K frame does not need a 4K mask), and boxes are scaled to frame
pixels at the end.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
from scipy import ndimage
from skimage.measure import regionprops

from videocam.model.cam import normalize, upsample
from videocam.stages.decide import boxed_classes
from videocam.types import Box, FrameResult

MODES = ("largest", "all", "union")  # the box rules `--boxes` takes (docs/stages.md#constants)
# The torso rule (video stages only, not still images): a TV close-up or medium shot frames a
# person from the chest or waist up, so the body runs on to the frame's bottom edge, while the
# CAM lights the face and the tie and stops short of the shoulders. A box at least
# TORSO_MIN_WIDTH of the frame wide is extended down to the bottom edge and widened by
# TORSO_WIDEN about its centre; panel members in wide shots (narrower boxes, cut by a desk) are
# left alone.
TORSO_MIN_WIDTH = 0.3  # share of the frame's width a box needs for the torso rule (docs/stages.md#constants)
TORSO_WIDEN = 1.1  # the torso rule widens the box this much about its centre (docs/stages.md#constants)
# The panel rule (video stages, frames with several boxes): a 14x14 map boxes a small person
# about 1.85x too wide and 1.25x too tall (the blur of a cell each side). When a frame has at least
# PANEL_MIN_BOXES boxes, all under PANEL_MAX_HEIGHT of the frame tall (a panel in a wide shot,
# not a close-up split between look-alike classes), each shrinks about its centre to
# PANEL_SHRINK (width, height).
PANEL_MIN_BOXES = 3  # boxes a frame needs for the panel rule (docs/stages.md#constants)
PANEL_MAX_HEIGHT = 0.7  # ... each under this share of the frame tall (docs/stages.md#constants)
PANEL_SHRINK = (0.6, 0.8)  # (width, height) a panel box shrinks to about its centre (docs/stages.md#constants)
UNION_PEAK = 0.5  # `union`: a region joins when its peak reaches this share of the max (docs/stages.md#constants)
# The same in the default video chain (one person boxed per frame, no --multi): every region of the
# class's map there is taken for that person's (face and tie), so a weaker face joins the union; where
# two people share a frame the one box grows over both. --multi keeps UNION_PEAK (its boxes are people).
ONE_PERSON_UNION_PEAK = 0.4  # UNION_PEAK of the chain without --multi (docs/stages.md#constants)
WORK_SIDE = 224  # long side of the mask the regions are found on (docs/stages.md#constants)


def threshold_mask(norm_cam: np.ndarray, threshold: float = 0.2) -> np.ndarray:
    """Pixels at or above `threshold` of the normalised map."""
    return np.asarray(norm_cam) >= threshold


def mask_boxes(mask: np.ndarray, mode: str = "largest", min_area: int = 1,
               values: np.ndarray | None = None, union_peak: float = UNION_PEAK
               ) -> list[tuple[int, int, int, int, int]]:
    """Boxes `(x0, y0, x1, y1, area)` of connected regions (8-connectivity), largest first.

    `union` needs `values` (the normalised map): one box around every region
    whose peak is at least `union_peak` of the overall peak.
    """
    if mode not in MODES:
        raise ValueError(f"unknown box mode {mode!r}; use one of {', '.join(MODES)}")
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if count == 0:
        return []
    regions = [r for r in regionprops(labels) if r.area >= min_area]
    regions.sort(key=lambda r: r.area, reverse=True)
    if mode == "union" and regions:
        if values is not None:
            # per-region peak over each region's own bbox (ndimage.maximum sorts the whole map)
            peaks = [float(values[r.slice][r.image].max()) for r in regions]
            top = max(peaks)
            regions = [r for r, p in zip(regions, peaks) if p >= union_peak * top]
        y0 = min(r.bbox[0] for r in regions)
        x0 = min(r.bbox[1] for r in regions)
        y1 = max(r.bbox[2] for r in regions)
        x1 = max(r.bbox[3] for r in regions)
        return [(int(x0), int(y0), int(x1), int(y1), int(sum(r.area for r in regions)))]
    if mode == "largest":
        regions = regions[:1]
    out = []
    for r in regions:
        y0, x0, y1, x1 = r.bbox  # skimage: max row/col are exclusive
        out.append((int(x0), int(y0), int(x1), int(y1), int(r.area)))
    return out


def _work_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, WORK_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def cam_boxes(
    cam: np.ndarray,
    width: int,
    height: int,
    label: str = "",
    score: float = 1.0,
    threshold: float = 0.2,
    norm: str = "max",
    mode: str = "largest",
    min_area_frac: float = 0.0,
    union_peak: float = UNION_PEAK,
) -> list[Box]:
    """Boxes (frame pixels, x1/y1 exclusive) for one raw CAM (h, w) of one class."""
    ww, wh = _work_size(width, height)
    norm_map = upsample(normalize(cam, norm), ww, wh)
    min_area = max(1, int(min_area_frac * ww * wh))
    sx, sy = width / ww, height / wh
    boxes = []
    for x0, y0, x1, y1, _area in mask_boxes(threshold_mask(norm_map, threshold), mode, min_area,
                                            values=norm_map, union_peak=union_peak):
        boxes.append(Box(
            label=label, score=float(score),
            x0=max(0, int(np.floor(x0 * sx))), y0=max(0, int(np.floor(y0 * sy))),
            x1=min(width, int(np.ceil(x1 * sx))), y1=min(height, int(np.ceil(y1 * sy))),
        ))
    return boxes


def torso_box(box: Box, width: int, height: int, min_width: float = TORSO_MIN_WIDTH,
              widen: float = TORSO_WIDEN) -> Box:
    """The torso rule (see TORSO_MIN_WIDTH): a box at least `min_width` of the frame wide
    reaches down to the bottom edge and is `widen` times as wide; others are returned as is."""
    w = box.x1 - box.x0
    if w < min_width * width:
        return box
    cx, half = (box.x0 + box.x1) / 2.0, w * widen / 2.0
    return Box(label=box.label, score=box.score, x0=max(0, int(np.floor(cx - half))), y0=box.y0,
               x1=min(width, int(np.ceil(cx + half))), y1=int(height))


def panel_boxes(boxes: list[Box], width: int, height: int, min_boxes: int = PANEL_MIN_BOXES,
                max_height: float = PANEL_MAX_HEIGHT, shrink: tuple[float, float] = PANEL_SHRINK) -> list[Box]:
    """The panel rule (see PANEL_MIN_BOXES): the boxes of a frame showing a panel, shrunk about
    their centres; any other set of boxes is returned as is."""
    if len(boxes) < min_boxes or any(b.y1 - b.y0 >= max_height * height for b in boxes):
        return list(boxes)
    out = []
    for b in boxes:
        cx, cy = (b.x0 + b.x1) / 2.0, (b.y0 + b.y1) / 2.0
        hw, hh = (b.x1 - b.x0) * shrink[0] / 2.0, (b.y1 - b.y0) * shrink[1] / 2.0
        out.append(Box(label=b.label, score=b.score, x0=max(0, int(np.floor(cx - hw))), y0=max(0, int(np.floor(cy - hh))),
                       x1=min(width, int(np.ceil(cx + hw))), y1=min(height, int(np.ceil(cy + hh)))))
    return out


def iou(a: Box | tuple, b: Box | tuple) -> float:
    """Intersection over union of two boxes (x1/y1 exclusive); 0 for empty boxes."""
    ax0, ay0, ax1, ay1 = _coords(a)
    bx0, by0, bx1, by1 = _coords(b)
    iw = max(0, min(ax1, bx1) - max(ax0, bx0))
    ih = max(0, min(ay1, by1) - max(ay0, by0))
    inter = iw * ih
    union = max(0, ax1 - ax0) * max(0, ay1 - ay0) + max(0, bx1 - bx0) * max(0, by1 - by0) - inter
    return float(inter / union) if union > 0 else 0.0


def _coords(b: Box | Iterable) -> tuple:
    if isinstance(b, Box):
        return b.x0, b.y0, b.x1, b.y1
    x0, y0, x1, y1 = list(b)[:4]
    return x0, y0, x1, y1


@dataclass
class Localize:
    """Boxes from the CAM of every present class (paper: 20% of max, largest region);
    `torso`: the torso rule of `torso_box` on top, for a frame with one box only (a box spanning two
    people would grow over both); `panel`: the panel rule of `panel_boxes` for frames with several."""

    threshold: float = 0.2
    norm: str = "max"
    mode: str = "union"
    torso: bool = True
    panel: bool = True
    union_peak: float = UNION_PEAK  # `union`: a region's peak against the map's (see ONE_PERSON_UNION_PEAK)

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        for r in results:
            boxes = []
            rescaled = r.notes.get("box_cams") or {}  # maps from an adapted pass (videocam.stages.rescale)
            for c in boxed_classes(r):
                cam = rescaled.get(c, r.cams[c])
                boxes += cam_boxes(cam, r.frame.width, r.frame.height, label=r.classes[c],
                                   score=float(r.probs[c]), threshold=self.threshold, norm=self.norm,
                                   mode=self.mode, union_peak=self.union_peak)
            if self.mode == "all":  # boxes are regions, not people: neither rule applies
                pass
            elif self.torso and len(boxes) == 1:  # one person on screen (see torso_box)
                boxes = [torso_box(boxes[0], r.frame.width, r.frame.height)]
            elif self.panel:
                boxes = panel_boxes(boxes, r.frame.width, r.frame.height)
            r.boxes = boxes
        return results
