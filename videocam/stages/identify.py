"""`Identify`: the face models' stage: names from descriptors, boxes from faces, maps from chips.

Each face carries the track the finder followed it on. A track keeps its last `votes` descriptors'
distances to every enrolled person; the face is judged on their median (one blurred or turned
frame does not rename a face, and a stranger who once comes close is not named for it). Faces of a
frame are named greedily, closest first, one face per person, only below the model's threshold;
the rest are `unknown`.

What the row says (the CSV contract for face models):
- `p_<person>`: the confidence that this person is on screen: `identity.confidence` of the distance
  of the face named after him (0.5 at the threshold), 0 when no face is.
- `label`: the person with the highest `p_` (always >= 0.5); else `unknown` when faces are seen,
  `nobody` when none are. `score`: `p_<label>`, or for `unknown`/`nobody` 1 minus the highest
  confidence any face had for anyone.
- boxes: one per face, the detector's box (followed between detections), named or `unknown`,
  with the same confidence as score.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from videocam.types import NOBODY, UNKNOWN, Box, FrameResult

VOTES = 5  # descriptors a track judges by, the median of their distances (docs/stages.md#constants)
FORGET_AFTER = 300  # frames after which an unseen track is forgotten (docs/stages.md#constants)
# a new descriptor this far from the track's last one is another person (a tracker carried over a
# cut it missed): the track's votes start again. Same-person descriptors of one shot lie closer.
TRACK_BREAK = 0.5  # descriptor distance that breaks a track's votes (docs/stages.md#constants)
ONE_FACE_PER_PERSON = True  # a person is named on one face a frame, the closest (docs/stages.md#constants)


@dataclass
class _TrackState:
    dists: deque
    cams: np.ndarray | None = None
    descriptor: np.ndarray | None = None
    last_seen: int = 0


@dataclass
class Identify:
    """Names, boxes and maps for a face model's results, in frame order (stateful: the tracks)."""

    model: object
    votes: int = field(default_factory=lambda: VOTES)  # read when the stage is made
    needs_full_rgb = True  # faces are found on the full frame
    _tracks: dict = field(default_factory=dict)
    _n: int = 0

    def reset(self) -> None:
        self._tracks.clear()

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        return [self._one(r) for r in results]

    def _one(self, r: FrameResult) -> FrameResult:
        from videocam.model.face_model import paste_face_cams
        from videocam.model.identity import assign_names, confidence
        m = self.model
        classes = list(r.classes)
        self._n += 1
        faces = r.notes.pop("faces", None) or []
        fresh = [f for f in faces if f.descriptor is not None]  # this frame's descriptors, in one product
        dists = iter(m.person_distances(np.stack([f.descriptor for f in fresh])) if fresh else [])
        vectors, cams, kept = [], [], []
        for f in faces:
            st = self._tracks.get(f.track)
            if f.descriptor is not None:
                pd = next(dists)
                if st is None:
                    st = self._tracks[f.track] = _TrackState(deque(maxlen=self.votes))
                elif st.descriptor is not None and float(np.linalg.norm(st.descriptor - f.descriptor)) > TRACK_BREAK:
                    st.dists.clear()
                st.dists.append(pd)
                st.cams, st.descriptor = f.chip_cams, f.descriptor
            if st is None or not st.dists:
                continue  # a face never embedded (cannot happen with the finder's rules): left out
            st.last_seen = self._n
            vectors.append(np.median(np.stack(st.dists), axis=0))
            cams.append((f.box, st.cams))
            kept.append(f)
        self._forget()
        n_cls = len(classes)
        probs = np.zeros(n_cls, np.float32)
        boxes: list[Box] = []
        heat: list[int] = []
        carried = []  # per box: what the stranger stage needs (track, this frame's descriptor, face)
        if kept:
            pd = np.stack(vectors)
            names = (assign_names(pd, m.threshold) if ONE_FACE_PER_PERSON
                     else np.where(pd.min(axis=1) < m.threshold, pd.argmin(axis=1), -1))
            conf = confidence(pd, m.threshold)
            for i, f in enumerate(kept):
                j = int(names[i])
                x0, y0, x1, y1 = f.box
                if j >= 0:
                    probs[j] = max(probs[j], conf[i, j])
                    boxes.append(Box(classes[j], float(conf[i, j]), x0, y0, x1, y1))
                    heat.append(j)
                else:
                    boxes.append(Box(UNKNOWN, float(1.0 - conf[i].max(initial=0.0)), x0, y0, x1, y1))
                carried.append(f)
            doubt = float(conf.max(initial=0.0))
        else:
            doubt = 0.0
        if probs.max(initial=0.0) > 0:
            j = int(np.argmax(probs))
            label, score = classes[j], float(probs[j])
        else:
            label, score = (UNKNOWN if kept else NOBODY), 1.0 - doubt
        w, h = r.frame.width, r.frame.height
        maps = paste_face_cams(cams, n_cls, w, h, m.chip_scale)
        notes = dict(r.notes)
        notes["heat_classes"] = sorted(set(heat))
        notes["faces"] = len(kept)
        notes["face_boxes"] = carried
        return r.with_(probs=probs, cams=maps, label=label, score=score, boxes=boxes, notes=notes)

    def _forget(self) -> None:
        old = [k for k, st in self._tracks.items() if self._n - st.last_seen > FORGET_AFTER]
        for k in old:
            del self._tracks[k]
