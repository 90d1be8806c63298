"""Stages: small callables `results -> results`, chained in order.

Each stage takes and returns a list of `FrameResult` (one batch, in frame
order). Stateless stages are plain; stateful ones (smoothing) keep what they
need between batches. The default chain is `Decide -> Localize`; the
nobody/multi/smoothing stages slot in front of or inside it.

Order (a deviation from the first design sketch, Cam -> Localize -> Nobody ->
Smooth): smoothing acts on probabilities and maps *before* the decision and
the boxes, so the label and the boxes are both taken from the smoothed
evidence; a box computed before smoothing would still flicker.
"""
from __future__ import annotations

from typing import Callable, Iterable

from videocam.errors import UsageError
from videocam.stages.decide import DEFAULT_NOBODY_BELOW, Decide
from videocam.stages.localize import Localize
from videocam.types import NOBODY, FrameResult

Stage = Callable[[list[FrameResult]], list[FrameResult]]
DEFAULT_SMOOTH = 5


def run_stages(stages: Iterable[Stage], results: list[FrameResult]) -> list[FrameResult]:
    for stage in stages:
        results = stage(results)
    return results


def build_chain(*, smooth: int = 0, smooth_kw: dict | None = None, nobody_below: float | None = None,
                use_nobody: bool = True, multi: bool = False, multi_kw: dict | None = None,
                rescale_model=None, threshold: float = 0.2, norm: str = "max", boxes: str = "union") -> list[Stage]:
    """[Smooth] -> Decide -> [Multi] -> [Rescale] -> Localize, every knob explicit (ablation rows use it)."""
    stages: list[Stage] = []
    if smooth > 1:
        from videocam.stages.smooth import Smooth
        stages.append(Smooth(smooth, **(smooth_kw or {})))
    stages.append(Decide(nobody_below=nobody_below, use_nobody=use_nobody))
    if multi:
        from videocam.stages.multi import Multi
        stages.append(Multi(**(multi_kw or {})))
    if rescale_model is not None:
        from videocam.stages.rescale import Rescale
        stages.append(Rescale(rescale_model))  # refuses FC-head models
    stages.append(Localize(threshold=threshold, norm=norm, mode=boxes))
    return stages


def build_stages(model, threshold: float = 0.2, boxes: str = "union", norm: str = "max",
                 nobody: float | None = None, multi: bool = False, smooth: int | None = None,
                 scale: str = "fixed") -> list[Stage]:
    """The chain `run` and `live` use for a model, with their defaults filled in."""
    if nobody is None and NOBODY not in model.classes:
        nobody = DEFAULT_NOBODY_BELOW
    return build_chain(smooth=DEFAULT_SMOOTH if smooth is None else int(smooth), nobody_below=nobody,
                       multi=multi, rescale_model=model if scale == "adaptive" else None,
                       threshold=threshold, norm=norm, boxes=boxes)


def check_stage_options(threshold=0.2, nobody=None, smooth=None, boxes="union", norm="max",
                        batch=None, scale="fixed") -> None:
    """Usage errors for the options `run` and `live` share, before anything is opened."""
    from videocam.model.cam import NORMS
    from videocam.stages.localize import MODES
    if not 0.0 < float(threshold) < 1.0:
        raise UsageError(f"--threshold must be between 0 and 1 (exclusive), got {threshold}")
    if batch is not None and int(batch) < 1:
        raise UsageError(f"--batch must be at least 1, got {batch}")
    if nobody is not None and not 0.0 < float(nobody) < 1.0:
        raise UsageError(f"--nobody must be between 0 and 1 (exclusive), got {nobody}")
    if smooth is not None and int(smooth) < 0:
        raise UsageError(f"--smooth must be >= 0, got {smooth}")
    if boxes not in MODES:
        raise UsageError(f"--boxes must be one of {', '.join(MODES)}, got {boxes!r}")
    if norm not in NORMS:
        raise UsageError(f"--norm must be one of {', '.join(NORMS)}, got {norm!r}")
    from videocam.stages.rescale import SCALES
    if scale not in SCALES:
        raise UsageError(f"--scale must be fixed or adaptive, got {scale!r}")
