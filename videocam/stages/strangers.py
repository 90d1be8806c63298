"""`Strangers`: the `unknown` faces of a run grouped into persons, online (`"cluster": "u3"`).

After `Identify`, each `unknown` box whose face is big and sharp enough to trust gets a cluster id:
the same id for the same stranger across cuts and camera changes, ids `u1, u2, ...` in order of
first appearance. A face's descriptor joins the cluster holding the nearest descriptor seen so
far when that one is within `link` (one stranger's faces form a chain of near neighbours across
poses and light); else it starts a new cluster. A track (one face followed through a shot) votes:
its faces carry the cluster most of its trusted descriptors joined, so one odd frame does not
split a person. Each cluster keeps at most `MAX_MEMBERS` descriptors (spread: a new one replaces
its nearest member when full), so `live` and long videos run in bounded memory.

Faces smaller than `MIN_FACE` px or softer than `MIN_SHARPNESS` never start or vote for a
cluster: they stay `unknown` without one, unless their track already has a cluster.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from videocam.types import UNKNOWN, FrameResult

# larger links merge different strangers into one cluster
LINK = 0.45  # descriptor distance that joins a face to a cluster (docs/stages.md#constants)
MIN_FACE = 40  # px: smaller faces do not start or join a cluster (docs/stages.md#constants)
MIN_SHARPNESS = 12.0  # chip's Laplacian variance below which a face is too soft (docs/stages.md#constants)
MAX_MEMBERS = 48  # descriptors kept per cluster (docs/stages.md#constants)
FORGET_AFTER = 300  # frames after which an unseen track is forgotten, its cluster stays (docs/stages.md#constants)
TRACK_BREAK = 0.5  # as Identify: this far from its track's last descriptor is someone else (docs/stages.md#constants)


@dataclass
class _Cluster:
    id: str
    members: np.ndarray  # (n, 128): its descriptors, at most MAX_MEMBERS


@dataclass
class _Track:
    votes: Counter = field(default_factory=Counter)
    last: np.ndarray | None = None
    seen: int = 0


@dataclass
class Strangers:
    """Cluster ids for `unknown` face boxes, in frame order (stateful: the clusters)."""

    # the module's constants, read when the stage is made (so a script may set them first)
    link: float = field(default_factory=lambda: LINK)
    min_face: int = field(default_factory=lambda: MIN_FACE)
    min_sharpness: float = field(default_factory=lambda: MIN_SHARPNESS)
    _clusters: list = field(default_factory=list)
    _tracks: dict = field(default_factory=dict)
    _n: int = 0

    def reset(self) -> None:
        self._clusters.clear()
        self._tracks.clear()

    @property
    def clusters(self) -> list[str]:
        return [c.id for c in self._clusters]

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        return [self._one(r) for r in results]

    def _one(self, r: FrameResult) -> FrameResult:
        self._n += 1
        if self._n % FORGET_AFTER == 0:  # bounded memory in live and long runs: tracks long gone
            self._tracks = {k: t for k, t in self._tracks.items() if self._n - t.seen <= FORGET_AFTER}
        faces = r.notes.pop("face_boxes", None)
        if not faces or not any(b.label == UNKNOWN for b in r.boxes):
            return r
        boxes = list(r.boxes)
        for i, (b, f) in enumerate(zip(r.boxes, faces)):
            if b.label != UNKNOWN:
                continue
            t = self._tracks.setdefault(f.track, _Track())
            t.seen = self._n
            if f.descriptor is not None and self._trusted(f):
                if t.last is not None and float(np.linalg.norm(t.last - f.descriptor)) > TRACK_BREAK:
                    t.votes.clear()  # the tracker followed onto someone else
                t.last = f.descriptor
                t.votes[self._join(f.descriptor)] += 1
            if t.votes:
                boxes[i] = replace(b, cluster=t.votes.most_common(1)[0][0])
        return r.with_(boxes=boxes)

    def _trusted(self, f) -> bool:
        x0, y0, x1, y1 = f.box
        return min(x1 - x0, y1 - y0) >= self.min_face and f.sharpness >= self.min_sharpness

    def _join(self, d: np.ndarray) -> str:
        best, best_d, nearest = None, np.inf, 0
        for c in self._clusters:
            d2 = ((c.members - d) ** 2).sum(1)
            j = int(d2.argmin())
            if d2[j] < best_d:
                best, best_d, nearest = c, float(d2[j]), j
        if best is None or best_d >= self.link ** 2:
            best = _Cluster(f"u{len(self._clusters) + 1}", d[None].copy())
            self._clusters.append(best)
        elif len(best.members) < MAX_MEMBERS:
            best.members = np.vstack([best.members, d[None]])
        else:  # full: the new descriptor replaces the member most like it (the spread is kept)
            best.members[nearest] = d
        return best.id
