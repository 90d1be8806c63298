"""Scale-adaptive localisation: take the box from the input size where the CAM box is tight.

A 14x14 CAM boxes a person well only when the person appears about 100-160 px tall in the
network input (docs/localisation.md). Smaller people are boxed too large (one 16-px cell of blur
is a big share of them) and close-ups too small (only the head and tie light up), so no one fixed
input size boxes every size of person.

So, for still images: a cheap probe pass at `PROBE_SIDE` estimates the
object's height fraction `f` from its CAM box; the image is run again at side
`APPARENT / f**GAMMA` (clamped, a multiple of 32) so the object lands near the
sweet spot, and the box comes from that pass's CAM with the usual threshold
rule. The class still comes from the pass at the trained size. Every step is a
CAM of the same model with image-level training only; the three constants were
tuned on a held-out box-labelled split, as Choe et al. (CVPR 2020) allow for
WSOL hyperparameters, and reported on another (docs/stages.md#constants).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from videocam.errors import UsageError
from videocam.stages.decide import boxed_classes
from videocam.stages.localize import cam_boxes
from videocam.types import FrameResult

PROBE_SIDE = 160  # the probe's side: its size estimate is most faithful here (docs/stages.md#constants)
APPARENT = 130  # target height of the object in network pixels, still images (docs/stages.md#constants)
VIDEO_APPARENT = 150  # the same for 16:9 video frames squashed to a square (docs/stages.md#constants)
GAMMA = 1.25  # f**GAMMA undoes part of the probe's shrinking large and swelling small (docs/stages.md#constants)
MIN_SIDE, MAX_SIDE, STEP = 128, 448, 32  # the adaptive side's range and multiple (docs/stages.md#constants)
SCALES = ("fixed", "adaptive")  # the values `--scale` takes (docs/stages.md#constants)


def adaptive_side(height_frac: float | None, apparent: float = APPARENT, gamma: float = GAMMA,
                  lo: int = MIN_SIDE, hi: int = MAX_SIDE, step: int = STEP, fallback: int = 224) -> int:
    """Square input side that makes an object of `height_frac` of the image appear `apparent` px tall.

    No estimate (an empty probe map) falls back to `fallback`, the trained size.
    """
    if height_frac is None or not np.isfinite(height_frac) or height_frac <= 0:
        return int(fallback)
    side = apparent / float(min(1.0, height_frac)) ** gamma
    side = int(round(side / step) * step)
    return int(min(hi, max(lo, side)))


def probe_height_fraction(cam: np.ndarray, width: int, height: int) -> float | None:
    """Height of the 20%/union CAM box as a fraction of the image height; None if empty."""
    boxes = cam_boxes(cam, width, height, threshold=0.2, mode="union")
    if not boxes:
        return None
    return (boxes[0].y1 - boxes[0].y0) / float(height)


def require_any_input_size(model) -> None:
    """The adaptive passes feed other sizes than the trained one: FC heads cannot take them."""
    if model.info.fixed_input:
        raise UsageError("--scale adaptive needs a model that takes any input size (this one has an FC head)")


def _run_at(cm, images: list, side: int) -> tuple[np.ndarray, np.ndarray]:
    batch = cm.prepare(images, (side, side))
    return cm.probs_and_cams(batch)


def adaptive_cams(cm, images: list, classes: list, batch: int = 32,
                  progress: bool = False) -> tuple[list[int], list[np.ndarray]]:
    """For each image, the side chosen for `classes[i]` (a class name or index) and the raw CAMs
    (C, h, w) at that side.

    Two passes: the probe (all images at PROBE_SIDE), then one pass per
    distinct chosen side (images grouped, so batches stay dense).
    """
    from tqdm import tqdm

    from videocam.errors import UsageError
    n = len(images)
    if len(classes) != n:
        raise UsageError(f"adaptive_cams: {n} images but {len(classes)} classes (one class per image)")
    names = list(cm.classes)
    try:
        classes = [c if isinstance(c, (int, np.integer)) else names.index(str(c)) for c in classes]
    except ValueError:
        bad = next(c for c in classes if not isinstance(c, (int, np.integer)) and str(c) not in names)
        raise UsageError(f"adaptive_cams: {bad!r} is not one of the model's classes ({', '.join(names)})") from None
    sides = [0] * n
    bar = tqdm(total=2 * n, desc="localising", unit="img", disable=not progress, leave=False)
    for k in range(0, n, batch):
        chunk = images[k:k + batch]
        _, cams = _run_at(cm, chunk, PROBE_SIDE)
        for j, img in enumerate(chunk):
            h, w = np.asarray(img).shape[:2]
            sides[k + j] = adaptive_side(probe_height_fraction(cams[j, classes[k + j]], w, h),
                                         fallback=cm.input_size[0])
        bar.update(len(chunk))
    by_side: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(sides):
        by_side[s].append(i)
    out: list[np.ndarray | None] = [None] * n
    for s, idx in by_side.items():
        for k in range(0, len(idx), batch):
            ids = idx[k:k + batch]
            _, cams = _run_at(cm, [images[i] for i in ids], s)
            for j, i in enumerate(ids):
                out[i] = cams[j]
            bar.update(len(ids))
    bar.close()
    return sides, out  # type: ignore[return-value]


@dataclass
class Rescale:
    """Stage (after the decision, before `Localize`): box each present class from an adapted pass.

    For every frame with someone on it, a probe pass at `PROBE_SIDE` sizes
    each present class, and the frame is run again at the side that makes
    that person appear `apparent` px tall; the map from that pass goes to
    `notes["box_cams"][class]`, which `Localize` boxes instead of the
    trained-size map. Labels and probabilities are untouched. Costs a probe
    pass plus one pass per distinct side per batch.
    """

    model: Any
    apparent: float = VIDEO_APPARENT
    gamma: float = GAMMA

    def __post_init__(self) -> None:
        require_any_input_size(self.model)

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        jobs = [(k, c) for k, r in enumerate(results) for c in boxed_classes(r)]
        if not jobs:
            return results
        frames = sorted({k for k, _ in jobs})
        _, probe = _run_at(self.model, [results[k].frame.rgb for k in frames], PROBE_SIDE)
        row = {k: i for i, k in enumerate(frames)}
        wanted: dict[int, set[int]] = defaultdict(set)  # side -> frames
        side_of: dict[tuple[int, int], int] = {}
        for k, c in jobs:
            f = results[k].frame
            side = adaptive_side(probe_height_fraction(probe[row[k], c], f.width, f.height), self.apparent,
                                 self.gamma, fallback=self.model.input_size[0])
            side_of[(k, c)] = side
            wanted[side].add(k)
        at: dict[tuple[int, int], np.ndarray] = {}
        for side, ks in wanted.items():
            ks_sorted = sorted(ks)
            _, cams = _run_at(self.model, [results[k].frame.rgb for k in ks_sorted], side)
            for i, k in enumerate(ks_sorted):
                at[(k, side)] = cams[i]
        for (k, c), side in side_of.items():
            results[k].notes.setdefault("box_cams", {})[c] = at[(k, side)][c]
        return results
