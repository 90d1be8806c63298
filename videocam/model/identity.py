"""Identity maths on face descriptors (dlib's 128-d space): pure functions, no model.

A name is given when a face's descriptor is close enough to one of that person's enrolled
descriptors; "close enough" is a threshold calibrated on the enrolled photos themselves. A
softmax over the enrolled people would always name someone; a distance does not have to.
"""
from __future__ import annotations

import numpy as np

# dlib's own threshold for "same person" on aligned chips; the calibrated threshold never goes above it
DLIB_THRESHOLD = 0.6  # the calibrated threshold's ceiling (docs/stages.md#constants)
# the calibrated threshold never goes below this: enrolled faces must still be found in new footage
MIN_THRESHOLD = 0.45  # the calibrated threshold's floor (docs/stages.md#constants)
# distance above the threshold at which the confidence of a name falls from 0.5 to 0.27 (logistic width)
CONFIDENCE_WIDTH = 0.03  # the confidence's logistic width (docs/stages.md#constants)


def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between descriptors a (N, D) and b (M, D) -> (N, M), float32."""
    a = np.asarray(a, np.float32).reshape(-1, np.shape(a)[-1] if np.ndim(a) else 1)
    b = np.asarray(b, np.float32).reshape(-1, np.shape(b)[-1] if np.ndim(b) else 1)
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.maximum(d2, 0.0))


def person_distances(emb: np.ndarray, gallery: np.ndarray, labels: np.ndarray, n_people: int) -> np.ndarray:
    """(N, P): each face's distance to the nearest enrolled photo of each person (inf: none)."""
    d = distances(emb, gallery)
    out = np.full((d.shape[0], n_people), np.inf, np.float32)
    for p in range(n_people):
        sel = labels == p
        if sel.any():
            out[:, p] = d[:, sel].min(axis=1)
    return out


def confidence(d: np.ndarray, threshold: float, width: float = CONFIDENCE_WIDTH) -> np.ndarray:
    """A distance as a probability-like confidence: 0.5 at the threshold, -> 1 when much closer.

    It is what the CSV's `p_<person>` columns hold for face models: a name is given exactly when
    its confidence is at least 0.5, so a row's label is its highest `p_` column or no name at all.
    """
    z = np.clip((np.asarray(d, np.float32) - threshold) / width, -60, 60)
    return (1.0 / (1.0 + np.exp(z))).astype(np.float32)


def leave_one_out(gallery: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each enrolled photo: its distance to the nearest *other* photo of the same person, and to
    the nearest photo of anyone else (inf where there is none)."""
    d = distances(gallery, gallery)
    np.fill_diagonal(d, np.inf)
    same = labels[:, None] == labels[None, :]
    d_same = np.where(same, d, np.inf).min(axis=1)
    d_other = np.where(~same, d, np.inf).min(axis=1)
    return d_same, d_other


def calibrate_threshold(gallery: np.ndarray, labels: np.ndarray, margin: float = 0.05,
                        quantile: float = 0.9) -> float:
    """The model's threshold, from its own enrolled photos by leave-one-out.

    Start from how far a person's photos lie from each other (the `quantile` of the same-person
    leave-one-out distances, plus `margin`): enrolment photos unlike each other need a looser
    threshold to find the person again. Then keep it below the nearest other enrolled person
    seen (minus the margin) and within [MIN_THRESHOLD, DLIB_THRESHOLD]: a stranger is met with
    the strictest threshold the enrolled photos allow.
    """
    d_same, d_other = leave_one_out(gallery, labels)
    finite = d_same[np.isfinite(d_same)]
    t = float(np.quantile(finite, quantile)) + margin if finite.size else DLIB_THRESHOLD
    others = d_other[np.isfinite(d_other)]
    if others.size:
        t = min(t, float(others.min()) - margin)
    return float(np.clip(t, MIN_THRESHOLD, DLIB_THRESHOLD))


def assign_names(pd: np.ndarray, threshold: float) -> np.ndarray:
    """Each face's person index, or -1: faces (rows of `pd`, person distances) are named greedily by
    the closest pair below `threshold`, one face per person a frame (the same person is not in a
    picture twice; the second look-alike stays unnamed)."""
    n, p = pd.shape
    out = np.full(n, -1, np.int64)
    if n == 0 or p == 0:
        return out
    order = np.argsort(pd, axis=None)
    used_f: set[int] = set()
    used_p: set[int] = set()
    for flat in order:
        i, j = divmod(int(flat), p)
        if pd[i, j] >= threshold:
            break
        if i in used_f or j in used_p:
            continue
        out[i] = j
        used_f.add(i)
        used_p.add(j)
    return out
