"""The decision: who is in the frame (a class, or `nobody`), and which classes get boxes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from videocam.types import NOBODY, FrameResult

# For models trained without a nobody class. Measured as a proxy on the tuning video
# (data seed 2) with the bundled model's softmax renormalised over the five people:
# threshold 0.4 gives nobody P 1.00 / R 0.86, 0.5 gives P 0.84 / R 1.00.
DEFAULT_NOBODY_BELOW = 0.45


def boxed_classes(r: FrameResult) -> list[int]:
    """The classes a frame is boxed for: those the decision found present (the top class if it
    left none), never `nobody`. Empty for a nobody frame."""
    if r.label == NOBODY:
        return []
    present: Sequence[int] = r.notes.get("present") or [int(np.argmax(r.probs))]
    return [c for c in present if r.classes[c] != NOBODY]


@dataclass
class Decide:
    """Set `label`/`score`: the top class, or `nobody`.

    A frame is `nobody` when the model's own `nobody` class wins, or when
    `nobody_below` is set and the top probability is below it (for models
    trained without a nobody class). `present` (in `notes`) lists the class
    indices to box; a multi-person stage may add more.
    """

    nobody_below: float | None = None
    use_nobody: bool = True  # False: the original single-image rule, always some person

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        for r in results:
            probs = r.probs
            if not self.use_nobody and NOBODY in r.classes:
                probs = np.array(probs, dtype=np.float32, copy=True)
                probs[r.classes.index(NOBODY)] = -1.0
            i = int(np.argmax(probs))
            label, score = r.classes[i], float(r.probs[i])
            if self.use_nobody and self.nobody_below is not None and score < self.nobody_below:
                label = NOBODY
            r.label, r.score = label, score
            r.notes.setdefault("present", [] if label == NOBODY else [i])
        return results
