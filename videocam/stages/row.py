"""Look along the row of people for anyone nobody boxed (`--multi`'s second look; `--no-fill`).

In a panel a person may have no box at all: their class never lit the frame's 14x14 map enough,
already before the second look. So, for a frame of several boxes, windows of a person's size (the
median box) are laid along the row of people (the boxes' heights), `FILL_STEP` of a width apart,
wherever no box covers a window's centre; each is cut out with context and run through the model in
one more pass. A window whose crop names a class not boxed in the frame with `FILL_MIN_P` or more
adds that person (its crop map's largest region; the surest window of each class; not over a box of
the frame by more than `FILL_MAX_IOU`).

A frame whose one box is `WIDE_ONE_BOX` times wider than tall (a map spread over two people: a
two-shot boxed as one) gets a row through the box, with windows `PERSON_ASPECT` times as wide as the
box is tall: when its windows name another person and the box's own, each is boxed on its own;
otherwise the frame stays as it was. A lone person's wide box names no one else, so one-person
frames keep their box. It costs one more pass of windows per frame of several people. Measurements:
docs/stages.md#constants.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from videocam.stages.crops import CROP_MARGIN, box_in_crop, crop_around, look
from videocam.stages.localize import iou
from videocam.types import NOBODY, Box, FrameResult

FILL_MIN_P = 0.7  # a window adds a person its crop names with this probability (docs/stages.md#constants)
FILL_STEP = 0.5  # windows along the row, this share of a person's width apart (docs/stages.md#constants)
FILL_MAX_IOU = 0.3  # a found box may overlap a box of the frame at most this much (docs/stages.md#constants)
WIDE_ONE_BOX = 1.5  # a frame's one box this many times wider than tall may hold several (docs/stages.md#constants)
PERSON_ASPECT = 0.9  # a person's box, width over height (docs/stages.md#constants)


@dataclass(frozen=True)
class Row:
    """Where to look: windows `width` wide over `y0..y1`; `inside`: the one wide box the row runs
    through (windows inside it are looked at too), else None."""

    width: float
    y0: int
    y1: int
    inside: Box | None = None


def row_of(boxes: list[Box]) -> Row:
    """The row of a frame of several boxes: a person is the median box wide, the row as tall as the boxes."""
    return Row(float(np.median([b.x1 - b.x0 for b in boxes])), min(b.y0 for b in boxes), max(b.y1 for b in boxes))


def row_in(box: Box) -> Row:
    """The row through one wide box: a person there is `PERSON_ASPECT` times as wide as the box is tall."""
    return Row((box.y1 - box.y0) * PERSON_ASPECT, box.y0, box.y1, inside=box)


def may_hold_several(r: FrameResult) -> bool:
    """A frame whose one box is `WIDE_ONE_BOX` times wider than tall: a map spread over two people."""
    if len(r.boxes) != 1 or r.frame.rgb is None:
        return False
    b = r.boxes[0]
    return (b.x1 - b.x0) >= WIDE_ONE_BOX * max(1, b.y1 - b.y0)


def find_along_rows(model: Any, results: list[FrameResult], rows: dict[int, Row], margin: float = CROP_MARGIN,
                    threshold: float = 0.2, norm: str = "max") -> None:
    """Add the people the windows of each frame's row find (see the module doc), in place."""
    crops, where = [], []
    for i, row in rows.items():
        r = results[i]
        others = [b for b in r.boxes if b is not row.inside]
        if row.width < 2:
            continue
        for cx in np.arange(row.width / 2.0, r.frame.width - row.width / 2.0 + 1e-6, row.width * FILL_STEP):
            if any(b.x0 <= cx < b.x1 for b in others):
                continue
            window = Box("", 0.0, int(cx - row.width / 2), row.y0, int(cx + row.width / 2), row.y1)
            rect = crop_around(window, r.frame.width, r.frame.height, margin)
            crops.append(r.frame.rgb[rect[1]:rect[3], rect[0]:rect[2]])
            where.append((i, rect))
    if not crops:
        return
    probs, cams = look(model, crops)
    surest: dict[tuple[int, int], tuple] = {}  # (frame, class) -> its surest window
    for (i, rect), p, c in zip(where, probs, cams):
        k = int(np.argmax(p))
        if results[i].classes[k] != NOBODY and p[k] >= FILL_MIN_P and p[k] > surest.get((i, k), (0.0,))[0]:
            surest[(i, k)] = (float(p[k]), rect, c[k])
    for i, row in rows.items():
        r = results[i]
        found = [box_in_crop(cam, rect, r.classes[k], p, threshold, norm)
                 for (j, k), (p, rect, cam) in surest.items() if j == i]
        _add_found(r, row, [b for b in found if b is not None])


def _add_found(r: FrameResult, row: Row, found: list[Box]) -> None:
    """The people a frame's windows found, added to its boxes (or splitting its one wide box)."""
    others = [b for b in r.boxes if b is not row.inside]
    boxed = {b.label for b in others} | ({row.inside.label} if row.inside is not None else set())
    added: list[Box] = []
    for b in found:
        if b.label not in boxed and all(iou(b, o) <= FILL_MAX_IOU for o in others + added):
            added.append(b)
    if row.inside is None:
        r.boxes = r.boxes + added
        return
    own = [b for b in found if b.label == row.inside.label]
    if added and own:  # the wide box held several people: each boxed on its own
        r.boxes = others + own + [b for b in added if iou(b, own[0]) <= FILL_MAX_IOU]
