"""Look again at each person of a frame with several boxes: a crop of each box, through the same model.

With `--multi`, most wrong boxes are of two kinds: a look-alike class lighting some of one person's
cells (a second person who is not there), and boxes of the small people of a wide shot, blurred by
the 14x14 map. So, for a frame with two or more boxes, each box is cut out with `margin` of context
(`crops.CROP_MARGIN`) and run through the model at its trained size, where the person fills the
input as in the training images:

- a box whose crop's top class is not its own is dropped (the look-alike), unless it is the
  frame's largest box and its class keeps at least `LARGEST_MIN_P` in the crop: a look-alike
  lights some of one person's cells, so its box is the smaller, while a real person's map
  blurred over a neighbour gives the largest box, whose crop is most of the frame and names
  the neighbour. Such a box is taken from the crop's map of its class minus the map of the
  class the crop names (what is its own, not the neighbour's);
- when one box is left, it is that class's box on the whole frame with the one-box rule
  (`torso_box`), as `Localize` gives a frame with one box;
- when several are left, each takes its crop's map box of its class (20% of the max, the largest
  region: `crops.CROP_BOX_MODE`; the union would reach a neighbour's tie), back in frame pixels:
  the person at 2-4x the size in the input, on a map as fine as that;
- then (`fill`, `--no-fill` turns it off) it looks along the row of people for anyone nobody
  boxed, and through a frame's one box when it is much wider than tall (`videocam.stages.row`);
- when two are left (a two-shot: both people framed to the frame's bottom edge, while their map
  boxes stop at the tie), each at least `TWO_SHOT_MIN_WIDTH` of the frame wide takes the torso rule
  (`torso_box`: down to the bottom edge, 1.1x as wide), as the one box of a close-up does;
  `--no-torso` turns both off.

The crops raise box precision, at the cost of some real second people whose crop shows more of a
neighbour. One batched pass of all boxes' crops of a batch of frames; frames with fewer than two
boxes cost nothing. Measurements: docs/stages.md#constants.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from videocam.stages.crops import CROP_MARGIN, box_in_crop, crop_around, look
from videocam.stages.localize import TORSO_WIDEN, cam_boxes, torso_box
from videocam.stages.row import find_along_rows, may_hold_several, row_in, row_of
from videocam.types import Box, FrameResult

__all__ = ["Refine", "crop_around", "LARGEST_MIN_P", "TWO_SHOT_MIN_WIDTH"]

LARGEST_MIN_P = 0.02  # the largest box stays when its class has this much in its crop (docs/stages.md#constants)
TWO_SHOT_MIN_WIDTH = 0.15  # of the frame: a two-shot's box this wide takes the torso rule (docs/stages.md#constants)


@dataclass
class Refine:
    """The stage (after `Localize`, with `--multi`); see the module doc."""

    model: Any
    margin: float = CROP_MARGIN
    largest_min_p: float = LARGEST_MIN_P
    threshold: float = 0.2
    norm: str = "max"
    mode: str = "union"  # Localize's box rule (union or largest), for a box of the whole frame
    torso: bool = True  # the torso rule for one box left, and the two-shot rule for two
    fill: bool = True  # look along the row for people nobody boxed (`videocam.stages.row`)
    needs_full_rgb = True  # it crops the full-size picture, drawn or not

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        looked = self._look_again(results)
        touched = set(looked)
        if self.fill:  # one box left (or found) that may span several people: the row runs through it
            rows = {i: row_of(results[i].boxes if len(results[i].boxes) >= 2 else [b for b, *_ in seen])
                    for i, seen in looked.items()}
            rows.update({i: row_in(r.boxes[0]) for i, r in enumerate(results) if may_hold_several(r)})
            find_along_rows(self.model, results, rows, self.margin, self.threshold, self.norm)
            touched |= set(rows)
        if self.torso:
            for i in touched:
                r = results[i]
                if len(r.boxes) == 2:  # a two-shot (see the module doc)
                    r.boxes = [torso_box(o, r.frame.width, r.frame.height, min_width=TWO_SHOT_MIN_WIDTH,
                                         widen=TORSO_WIDEN) for o in r.boxes]
        return results

    def _look_again(self, results: list[FrameResult]) -> dict[int, list]:
        """Each box of every frame with several, cut out and run again (one pass); the boxes kept.
        Returns `{frame index: [(box, crop rect, probs, cams), ...]}` of the frames looked at."""
        crops, where = [], []
        for i, r in enumerate(results):
            if len(r.boxes) < 2 or r.frame.rgb is None:
                continue
            for b in r.boxes:
                x0, y0, x1, y1 = crop_around(b, r.frame.width, r.frame.height, self.margin)
                crops.append(r.frame.rgb[y0:y1, x0:x1])
                where.append((i, b, (x0, y0, x1, y1)))
        if not crops:
            return {}
        probs, cams = look(self.model, crops)
        looked: dict[int, list] = {}
        for (i, b, rect), p, c in zip(where, probs, cams):
            looked.setdefault(i, []).append((b, rect, p, c))
        for i, seen in looked.items():
            results[i].boxes = self._boxes(results[i], seen)
        return looked

    def _boxes(self, r: FrameResult, seen: list) -> list[Box]:
        index = {name: k for k, name in enumerate(r.classes)}
        largest = max(r.boxes, key=lambda o: (o.x1 - o.x0) * (o.y1 - o.y0))
        kept = []
        for b, rect, p, c in seen:
            own, named = index[b.label], int(np.argmax(p))
            if named == own:
                kept.append((b, rect, c))
            elif b is largest and p[own] >= self.largest_min_p:
                c = c.copy()
                c[own] = np.maximum(c[own] - c[named], 0.0)  # its own evidence, not the neighbour's
                kept.append((b, rect, c))
        if not kept:  # no crop agrees: the frame's own label, as one box
            kept = [(b, rect, None) for b, rect, _p, _c in seen if b.label == r.label][:1] or \
                   [(seen[0][0], seen[0][1], None)]
        w, h = r.frame.width, r.frame.height
        if len(kept) == 1:
            b = kept[0][0]
            k = index[b.label]
            cam = (r.notes.get("box_cams") or {}).get(k, r.cams[k])  # an adapted pass's map (--scale adaptive)
            whole = cam_boxes(cam, w, h, label=b.label, score=b.score,
                              threshold=self.threshold, norm=self.norm, mode=self.mode)
            one = whole[0] if whole else b
            return [torso_box(one, w, h) if self.torso else one]
        return [box_in_crop(c[index[b.label]], rect, b.label, b.score, self.threshold, self.norm) or b
                for b, rect, c in kept]
