"""Look again where the map points: the CAM finds a face, a second pass on a crop of it names it.

A model trained on a handful of portraits sees a person in a video small, among clutter, in a
frame squashed to a square: its whole-frame softmax is unsure (0.3-0.5) and the 20% box of its
map spreads over the background. But the map's *peak* still sits on the face. So, per frame:

1. evidence map: each person's CAM minus the `nobody` CAM (where the model has that class), at
   the trained-size pass the pipeline already made;
2. the strongest peak, and the connected region around it above `region` x the peak: where and
   how large the face is;
3. a square crop of `crop_scale` x the region's size around it, run through the same model at its
   trained size: now the face fills the input, as in the training photos;
4. the crop's softmax decides: its top person if that probability is at least `accept`, else
   `nobody` ("not one of mine": empty frames, strangers, clutter). The box is the crop square.
Up to `max_people` peaks are looked at (the region of each one found is masked out); a further
person must be a different class, accepted on its own crop.

What the row says (the CSV contract when crops decide): `p_<class>` are the probabilities of the
crop that named the frame (the largest accepted person's, or the first peak's when nobody was
accepted), `label` is that crop's most probable person when at least `accept` (so a person may be
named over a higher `p_nobody`: the acceptance, not the argmax, decides), else `nobody`; `score`
is `p_<label>`. A label held over from earlier frames brings its crop's probabilities with it.
Costs one extra pass of `max_people` crops per frame. Constants are stored in the model by the
recipe (`videocam.json`'s `extra.verify`; docs/stages.md#constants, verify.DEFAULTS).
"""
from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from videocam.types import NOBODY, Box, FrameResult

# seven crop sides 1.28x apart, a refining round at 0.85x / 1.18x of the best, re-centred; a person
# is accepted at 0.4 (docs/stages.md#constants, verify.DEFAULTS)
DEFAULTS = {"sides": (0.17, 0.22, 0.28, 0.36, 0.46, 0.6, 0.78), "refine": (0.85, 1.18), "shift": 0.0,
            "vote": False, "accept": 0.4, "max_people": 2, "mask": 0.6,
            "hold": 5}


def peak(ev: np.ndarray) -> tuple[int, int, float] | None:
    """(row, col, value) of the map's maximum, or None when nothing is positive."""
    k = int(np.argmax(ev))
    r, c = np.unravel_index(k, ev.shape)
    v = float(ev[r, c])
    if not np.isfinite(v) or v <= 0:
        return None
    return int(r), int(c), v


def square_crop(width: int, height: int, cx: float, cy: float, side: float) -> tuple[int, int, int, int]:
    """An integer square of `side` centred near (cx, cy), shifted (and shrunk) to lie in the frame."""
    s = int(round(min(side, width, height)))
    s = max(s, 8)
    x0 = int(round(cx - s / 2))
    y0 = int(round(cy - s / 2))
    x0 = min(max(0, x0), width - s)
    y0 = min(max(0, y0), height - s)
    return x0, y0, x0 + s, y0 + s


@dataclass
class Verify:
    """Stage (after `Localize`): label and box each frame from a second pass on crops of its CAM peaks."""

    model: Any
    sides: tuple = DEFAULTS["sides"]   # crop sides tried at each peak, as fractions of the frame height
    refine: tuple = DEFAULTS["refine"]  # then these multiples of the best side, re-centred on its map
    shift: float = DEFAULTS["shift"]    # and the best side moved by this share of it, four ways
    vote: bool = DEFAULTS["vote"]       # the label from all looks at a peak, not the most confident one
    accept: float = DEFAULTS["accept"]
    max_people: int = DEFAULTS["max_people"]
    mask: float = DEFAULTS["mask"]     # around a found person, mask this share of the chosen side
    hold: int = DEFAULTS["hold"]       # a frame's label: the most frequent of the last `hold` (reset at cuts)
    _recent: deque = field(default_factory=deque, init=False, repr=False)
    needs_full_rgb = True  # it crops the full-size frame: the reader must convert it even when nothing is drawn

    def peaks(self, r: FrameResult) -> list[tuple[float, float]]:
        """Frame points of the strongest peaks of the person-evidence map (each class's CAM minus
        the nobody CAM), the area of a found one masked before the next is looked for."""
        classes = list(r.classes)
        people = [i for i, c in enumerate(classes) if c != NOBODY]
        cams = np.asarray(r.cams, np.float32)
        ev = cams[people]
        if NOBODY in classes:
            ev = ev - cams[classes.index(NOBODY)][None]
        ev = ev.max(axis=0)
        h, w = ev.shape
        W, H = r.frame.width, r.frame.height
        out = []
        for _ in range(self.max_people):
            pk = peak(ev)
            if pk is None:
                break
            row, col, _ = pk
            out.append(((col + 0.5) * W / w, (row + 0.5) * H / h))
            ev = ev.copy()
            # mask a typical face around it (the median side) so the next peak is someone else
            half = self.mask * np.median(self.sides) * H / 2
            r0, r1 = int((out[-1][1] - half) * h / H), int(np.ceil((out[-1][1] + half) * h / H))
            c0, c1 = int((out[-1][0] - half) * w / W), int(np.ceil((out[-1][0] + half) * w / W))
            ev[max(0, r0):max(r1, row + 1), max(0, c0):max(c1, col + 1)] = -np.inf
        return out

    def _classify(self, results, jobs):
        """Probabilities and CAMs of the crops `jobs` = [(result index, key, box)], at the trained size."""
        size = self.model.input_size
        batch = np.empty((len(jobs), size[0], size[1], 3), np.float32)
        for n, (k, _key, (x0, y0, x1, y1)) in enumerate(jobs):
            c = np.ascontiguousarray(results[k].frame.rgb[y0:y1, x0:x1])
            batch[n] = cv2.resize(c, (size[1], size[0]),
                                  interpolation=cv2.INTER_AREA if c.shape[0] > size[0] else cv2.INTER_LINEAR)
        probs, cams = [], []
        for i in range(0, len(batch), 64):
            p, c = self.model.probs_and_cams(batch[i:i + 64])
            probs.append(p)
            cams.append(c if c is not None else np.zeros((len(p), p.shape[1], 1, 1), np.float32))
        return np.concatenate(probs), np.concatenate(cams)

    def _best(self, r, looks):
        """(box, probs, cams) of the look whose best person is most probable."""
        people = np.array([c != NOBODY for c in r.classes])
        return max(looks, key=lambda b: float(np.max(b[1][people])))

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        jobs = []  # (result index, peak number, crop box)
        for k, r in enumerate(results):
            for j, (cx, cy) in enumerate(self.peaks(r)):
                for s in self.sides:
                    jobs.append((k, j, square_crop(r.frame.width, r.frame.height, cx, cy, s * r.frame.height)))
        if not jobs:
            for r in results:
                self._nobody(r)
            return self._held(results)
        probs, cams = self._classify(results, jobs)
        per: dict[tuple[int, int], list] = {}
        for (k, j, box), p, c in zip(jobs, probs, cams):
            per.setdefault((k, j), []).append((box, p, c))
        if self.refine:
            # second round: sizes next to the best one, centred where that crop's map of its best
            # person has its mass (a crop off the face sees the face to one side)
            jobs2 = []
            for (k, j), looks in per.items():
                r = results[k]
                (x0, y0, x1, y1), p, cam = self._best(r, looks)
                people = [i for i, c in enumerate(r.classes) if c != NOBODY]
                c_best = people[int(np.argmax(p[people]))]
                m = np.maximum(cam[c_best], 0)
                side = x1 - x0
                cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
                if m.sum() > 0:
                    gy, gx = np.mgrid[0:m.shape[0], 0:m.shape[1]]
                    cx = x0 + (float((gx * m).sum() / m.sum()) + 0.5) / m.shape[1] * side
                    cy = y0 + (float((gy * m).sum() / m.sum()) + 0.5) / m.shape[0] * side
                tries = [(cx, cy, f * side) for f in (1.0,) + tuple(self.refine)]
                if self.shift:
                    d = self.shift * side
                    tries += [(cx + dx, cy + dy, side) for dx, dy in ((d, 0), (-d, 0), (0, d), (0, -d))]
                for x, y, sd in tries:
                    jobs2.append((k, j, square_crop(r.frame.width, r.frame.height, x, y, sd)))
            p2, c2 = self._classify(results, jobs2)
            for (k, j, box), p, c in zip(jobs2, p2, c2):
                per[(k, j)].append((box, p, c))
        by_frame: dict[int, dict[int, list]] = {}
        for (k, j), looks in per.items():
            by_frame.setdefault(k, {})[j] = looks
        for k, r in enumerate(results):
            self._decide(r, by_frame.get(k, {}))
        return self._held(results)

    def _held(self, results: list[FrameResult]) -> list[FrameResult]:
        """Each label becomes the most frequent of the last `hold` frames' (the current one wins ties);
        a person held over a frame where its crop was not accepted keeps its last box."""
        if self.hold <= 1:
            return results
        for r in results:
            if r.notes.get("cut"):
                self._recent.clear()
            self._recent.append((r.label, list(r.boxes), r.notes.get("crop_probs", {})))
            while len(self._recent) > self.hold:
                self._recent.popleft()
            counts = Counter(label for label, _, _ in self._recent)
            top = max(counts.values())
            label = r.label if counts[r.label] == top else next(
                lab for lab, _, _ in reversed(self._recent) if counts[lab] == top)
            if label == r.label:
                continue
            if label == NOBODY:
                self._nobody(r)
                continue
            mine = [b for b in r.boxes if b.label == label]
            probs = r.notes.get("crop_probs", {}).get(label)
            if not mine:
                mine, probs = next(([b for b in boxes if b.label == label], crop.get(label))
                                   for lab, boxes, crop in reversed(self._recent)
                                   if any(b.label == label for b in boxes))
            r.boxes = mine + [b for b in r.boxes if b.label != label]
            if probs is not None:  # the row shows the evidence of the crop that names it
                r.probs = probs
            r.label, r.score = label, mine[0].score
            r.notes["present"] = [list(r.classes).index(b.label) for b in r.boxes]
        return results

    def _nobody(self, r: FrameResult) -> None:
        p = np.asarray(r.probs, np.float32)
        r.label = NOBODY
        r.score = float(p[list(r.classes).index(NOBODY)]) if NOBODY in r.classes else 1.0 - float(p.max(initial=0.0))
        r.boxes = []
        r.notes["present"] = []

    def _decide(self, r: FrameResult, looks: dict) -> None:
        """Per peak, the crop side whose best person is most probable; accepted at `accept`."""
        classes = list(r.classes)
        people = np.array([c != NOBODY for c in classes])
        boxes, present, crop_probs = [], [], {}
        first = None
        for j in sorted(looks):
            if self.vote:
                # the person most probable over all looks at this peak (crops of several sizes agree
                # more often than the single most confident one), boxed by its most confident crop
                total = np.sum([bp[1] for bp in looks[j]], axis=0)
                c = int(np.argmax(np.where(people, total, -1.0)))
                box, p, _cam = max(looks[j], key=lambda bp: float(bp[1][c]))
            else:
                box, p, _cam = self._best(r, looks[j])
                c = int(np.argmax(np.where(people, p, -1.0)))
            if first is None:
                first = p
            if p[c] < self.accept or c in present:
                continue
            present.append(c)
            x0, y0, x1, y1 = box
            boxes.append(Box(classes[c], float(p[c]), x0, y0, x1, y1))
            crop_probs[classes[c]] = np.asarray(p, np.float32)
        r.notes["crop_probs"] = crop_probs
        if first is not None:
            r.probs = np.asarray(first, np.float32)
        if not boxes:
            self._nobody(r)
            return
        main = max(boxes, key=lambda b: b.area)
        r.probs = crop_probs[main.label]  # the row shows the evidence of the crop that names it
        r.label, r.score = main.label, main.score
        r.boxes = boxes
        r.notes["present"] = present
