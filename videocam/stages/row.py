"""Look along the row of people for anyone nobody boxed (`--multi`'s second look; `--no-fill`).

In the worst tuning seeds' panels whole people had no box at all, already before the second look:
their class never lit the frame's 14x14 map enough. So, for a frame of several boxes, windows of a
person's size (the median box) are laid along the row of people (the boxes' heights), wherever
no box covers a window's centre, each cut out with context and run through the model in one more
pass; a window whose crop names a class not boxed in the frame with `FILL_MIN_P` or more adds that
person (its crop map's largest region; the surest window of each class; not over a box of the
frame). A frame whose one box is `WIDE_ONE_BOX` times wider than tall (a map spread over two
people: a two-shot boxed as one, tuning seed 201) gets a row through the box: when its windows name
another person and the box's own, each is boxed on its own; otherwise the frame stays as it was.

Tuning seeds 211-230 were made for it (the ten seeds before had too few panels to show its worst
cases). Probability 0.5 / 0.7 / 0.9 and windows 0.33 / 0.5 / 0.75 of a width apart were compared on
201-215 (recall at IoU 0.3 on 2+ people 0.953 / 0.950 / 0.944, spacing alike; that run widened
two-shot boxes twice, a bug fixed since). The final code, with and without: 201-215 recall 0.922
(worst seed 0.805) -> 0.956 (0.833), box precision 0.883 -> 0.890; 216-230 recall 0.861 (0.708) ->
0.937 (0.844), precision 0.847 -> 0.867, label on 2+-people frames 0.789 -> 0.801. The row through
one wide box on top: 201-215 recall 0.956 -> 0.966 (worst seed 0.833 -> 0.915), precision 0.890 ->
0.896 (1.3 and 1.8 times wider alike); 216-230 recall 0.937 -> 0.944, precision 0.867 -> 0.872,
label on 2+-people frames 0.801 -> 0.820; box recall on one-person frames unchanged (a lone
person's wide box names no one else).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from videocam.stages.crops import CROP_MARGIN, box_in_crop, crop_around, look
from videocam.stages.localize import iou
from videocam.types import NOBODY, Box, FrameResult

FILL_MIN_P = 0.7  # a window adds a person its crop names with this probability
FILL_STEP = 0.5  # windows along the row, this share of a person's width apart
FILL_MAX_IOU = 0.3  # ... and whose box overlaps no box of the frame more than this
WIDE_ONE_BOX = 1.5  # a frame's one box this many times wider than tall may hold several people
PERSON_ASPECT = 0.9  # a person's box, width over height (the two-shots' truth boxes: 0.9)


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
