"""Plain data that flows through the pipeline: frames in, results out.

Kept free of TensorFlow and OpenCV so every module (and every test) can use
it cheaply.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

NOBODY = "nobody"
# a face that is none of a face model's people: boxed, but nobody's screen time (reports count a
# frame whose label is `unknown` as one with no known person on screen)
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Frame:
    """One decoded frame. `time_s` is the presentation time, never index/fps."""

    index: int
    time_s: float
    # (H, W, 3) uint8 RGB; None when nothing will draw the frame (a CSV-only run skips the
    # full-size colour conversion, and `size` says how big the frame is)
    rgb: np.ndarray | None
    # the same picture already scaled to the model's input by the reader (FFmpeg's scaler,
    # straight from the decoded YUV), when the reader was told the size; else None
    model_rgb: np.ndarray | None = field(default=None, repr=False, compare=False)
    size: tuple[int, int] | None = None  # (width, height), for frames without `rgb`
    # False for a frame that `--every`/`--fps` does not analyse: it is only drawn (with the
    # nearest analysed frame's result) in the MP4 and GIF
    analysed: bool = True

    def model_input(self, size: tuple[int, int]) -> np.ndarray:
        """The reader's pre-scaled copy when it has `size` (height, width), else the full frame."""
        m = self.model_rgb
        if m is not None and m.shape[0] == size[0] and m.shape[1] == size[1]:
            return m
        if self.rgb is None:
            raise ValueError(f"frame {self.index} has no picture at {size} and no full-size picture")
        return self.rgb

    @property
    def small(self) -> np.ndarray:
        """The smallest copy of the picture there is (the model's input if the reader made it):
        what the shot-cut detector looks at, whether or not the full frame was converted."""
        return self.model_rgb if self.model_rgb is not None else self.rgb

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1]) if self.rgb is not None else int(self.size[0])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0]) if self.rgb is not None else int(self.size[1])


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in input-frame pixels; `x1`/`y1` are exclusive."""

    label: str
    score: float
    x0: int
    y0: int
    x1: int
    y1: int
    # an `unknown` face's stranger: the same id for the same person through a run ("u1", "u2", ...)
    cluster: str | None = None

    def to_dict(self) -> dict:
        d = {
            "label": self.label,
            "score": round(float(self.score), 4),
            "x0": int(self.x0),
            "y0": int(self.y0),
            "x1": int(self.x1),
            "y1": int(self.y1),
        }
        if self.cluster:
            d["cluster"] = self.cluster
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Box":
        return cls(
            label=str(d.get("label", "")),
            score=float(d.get("score", 1.0)),
            x0=int(d["x0"]),
            y0=int(d["y0"]),
            x1=int(d["x1"]),
            y1=int(d["y1"]),
            cluster=str(d["cluster"]) if d.get("cluster") else None,
        )

    @property
    def who(self) -> str:
        """The label, with a stranger's cluster: `moon`, `unknown`, `unknown u3`."""
        return f"{self.label} {self.cluster}" if self.cluster else self.label

    @property
    def area(self) -> int:
        return max(0, self.x1 - self.x0) * max(0, self.y1 - self.y0)


@dataclass
class FrameResult:
    """What the model and the stages know about one frame.

    `probs` are the probabilities the decision used (stages such as smoothing
    may replace them); `cams` are raw class activation maps (C, h, w) at the
    CAM layer's resolution, for every class, from the one forward pass.
    `label` is empty until a stage decides it.
    """

    frame: Frame
    classes: tuple[str, ...]
    probs: np.ndarray
    cams: np.ndarray
    label: str = ""
    score: float = 0.0
    boxes: list[Box] = field(default_factory=list)
    notes: dict = field(default_factory=dict)

    @property
    def top_index(self) -> int:
        return int(np.argmax(self.probs))

    def with_(self, **changes) -> "FrameResult":
        return replace(self, **changes)
