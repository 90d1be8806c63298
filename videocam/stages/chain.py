"""Stages: small callables `results -> results`, chained in order.

Each stage takes and returns a list of `FrameResult` (one batch, in frame
order). Stateless stages are plain; stateful ones (smoothing) keep what they
need between batches. The default chain is `Decide -> Localize`; the
nobody/multi/smoothing stages slot in front of or inside it.

Smoothing acts on probabilities and maps *before* the decision and the boxes,
so the label and the boxes are both taken from the smoothed evidence; a box
computed before smoothing would still flicker.
"""
from __future__ import annotations

from typing import Callable, Iterable

from videocam.errors import UsageError
from videocam.stages.decide import DEFAULT_NOBODY_BELOW, Decide
from videocam.stages.localize import ONE_PERSON_UNION_PEAK, UNION_PEAK, Localize
from videocam.types import NOBODY, FrameResult

Stage = Callable[[list[FrameResult]], list[FrameResult]]
DEFAULT_SMOOTH = 5  # frames `run`/`live` smooth over without --smooth (docs/stages.md#constants)


def run_stages(stages: Iterable[Stage], results: list[FrameResult]) -> list[FrameResult]:
    for stage in stages:
        results = stage(results)
    return results


def build_chain(*, smooth: int = 0, smooth_kw: dict | None = None, nobody_below: float | None = None,
                use_nobody: bool = True, steady: int = 0, multi: bool = False, multi_kw: dict | None = None,
                rescale_model=None, threshold: float = 0.2, norm: str = "max", boxes: str = "union",
                torso: bool = False, panel: bool = False) -> list[Stage]:
    """[Smooth] -> [Steady] -> Decide -> [Multi] -> [Rescale] -> Localize, every knob explicit
    (ablation rows use it; `build_stages` fills in run's defaults)."""
    stages: list[Stage] = []
    if smooth > 1:
        from videocam.stages.smooth import Smooth
        stages.append(Smooth(smooth, **(smooth_kw or {})))
    if steady > 0:
        from videocam.stages.steady import Steady
        stages.append(Steady(steady, own_cuts=smooth <= 1))  # Smooth's cuts when it runs, else its own
    stages.append(Decide(nobody_below=nobody_below, use_nobody=use_nobody))
    if multi:
        from videocam.stages.multi import Multi
        stages.append(Multi(**(multi_kw or {})))
    if rescale_model is not None:
        from videocam.stages.rescale import Rescale
        stages.append(Rescale(rescale_model))  # refuses FC-head models
    stages.append(Localize(threshold=threshold, norm=norm, mode=boxes, torso=torso, panel=panel,
                           union_peak=UNION_PEAK if multi else ONE_PERSON_UNION_PEAK))
    return stages


def nobody_floor(classes, nobody: float | None = None) -> float | None:
    """The probability floor under which a frame is `nobody`: `--nobody P` when given, else None for a
    model with its own nobody class, else `DEFAULT_NOBODY_BELOW`."""
    if nobody is not None:
        return float(nobody)
    return None if NOBODY in list(classes) else DEFAULT_NOBODY_BELOW


def build_stages(model, threshold: float = 0.2, boxes: str = "union", norm: str = "max",
                 nobody: float | None = None, multi: bool = False, smooth: int | None = None,
                 scale: str = "fixed", steady: int | None = None, torso: bool = True,
                 panel: bool = True, verify: dict | bool | None = None, refine: bool = True,
                 lead: bool = True, fill: bool = True) -> list[Stage]:
    """The chain `run` and `live` use for a model, with their defaults filled in.

    `verify`: None follows the model file (a model of the small-data recipe carries `extra.verify`:
    then `videocam.stages.verify.Verify` ends the chain and names and boxes each frame from crops
    around its CAM peaks), False leaves it out, a dict gives its constants. `nobody` is then the
    crops' acceptance. `refine` (with `multi`, without Verify): `videocam.stages.refine.Refine` looks
    again at each box of a frame with several, on a crop (`fill`: and along the row of people for
    anyone nobody boxed). `lead` (after Refine): `videocam.stages.lead.Lead` names a frame of
    several boxes for the one reaching highest, with hysteresis over about `lead.LEAD_K` frames
    (`--steady K` sets it too, 0 turns it off). It runs only after Refine: before the second look,
    a look-alike's stray second box would lead one-person frames (`lead.LEAD_MARGIN` in docs/stages.md).
    """
    from videocam.stages.steady import STEADY_K
    if getattr(model, "is_face_model", False):
        from videocam.stages.identify import Identify
        from videocam.stages.strangers import Strangers
        return [Identify(model), Strangers()]  # every face boxed, named or unknown (--multi is implied)
    nobody_given = nobody
    nobody = nobody_floor(model.classes, nobody)
    stages = build_chain(smooth=DEFAULT_SMOOTH if smooth is None else int(smooth), nobody_below=nobody,
                         steady=STEADY_K if steady is None else int(steady), multi=multi,
                         rescale_model=model if scale == "adaptive" else None,
                         threshold=threshold, norm=norm, boxes=boxes, torso=torso, panel=panel)
    if verify is None:
        verify = (getattr(model.info, "extra", None) or {}).get("verify") or False
    if verify:
        from videocam.stages.verify import DEFAULTS, Verify
        given = {k: v for k, v in verify.items() if k in DEFAULTS} if isinstance(verify, dict) else {}
        if nobody_given is not None:
            given["accept"] = nobody_given  # --nobody P: a crop must be a person at P or more
        stages.append(Verify(model, **{**DEFAULTS, **given}))
    elif multi and refine and boxes != "all":
        from videocam.stages.refine import Refine
        stages.append(Refine(model, threshold=threshold, norm=norm, mode=boxes, torso=torso, fill=fill))
        if lead:  # it trusts several boxes to be several people, which the second look makes them
            from videocam.stages.lead import LEAD_K, Lead
            own_cuts = (DEFAULT_SMOOTH if smooth is None else int(smooth)) <= 1  # no Smooth, no notes["cut"]
            stages.append(Lead(k=LEAD_K if steady is None else int(steady), own_cuts=own_cuts))
    return stages


def chain_runs_the_model(model=None, multi: bool = False, refine: bool = True, boxes: str = "union",
                         scale: str = "fixed") -> bool:
    """Whether `build_stages` with these options adds a stage that runs the model itself.

    They are `--multi`'s second look (`Refine`), `--scale adaptive` and a small-data recipe
    model's `Verify` (read from the model file, before TensorFlow starts). Their passes run one at
    a time inside the chain, where a pass on every core beats two passes in flight on half the
    cores each (`videocam.model._backend.threads_per_pass`): `--multi` CSV-only on the demo video,
    2 cores, 150-153 fps against 115-118. `model`: a path or None (the default model).
    """
    if (multi and refine and boxes != "all") or scale == "adaptive":
        return True
    import zipfile

    from videocam.model.cam_model import default_model_path
    from videocam.model.info import read_info
    try:
        info = read_info(default_model_path() if model is None else model)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):  # load_model says what is wrong, later
        return False
    return bool(info and (info.extra or {}).get("verify"))


def check_stage_options(threshold=0.2, nobody=None, smooth=None, boxes="union", norm="max",
                        batch=None, scale="fixed", steady=None) -> None:
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
    if steady is not None and int(steady) < 0:
        raise UsageError(f"--steady must be >= 0, got {steady}")
    if boxes not in MODES:
        raise UsageError(f"--boxes must be one of {', '.join(MODES)}, got {boxes!r}")
    if norm not in NORMS:
        raise UsageError(f"--norm must be one of {', '.join(NORMS)}, got {norm!r}")
    from videocam.stages.rescale import SCALES
    if scale not in SCALES:
        raise UsageError(f"--scale must be fixed or adaptive, got {scale!r}")
