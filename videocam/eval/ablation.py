"""Stage ablation on a video with ground truth: what each stage buys.

The model runs once over the video; every configuration then replays the
stage chain on the cached probabilities and maps, so a table of many
configurations costs one forward pass. `videocam ablate VIDEO TRUTH` prints
the table the README shows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from videocam.eval.score import score_tables
from videocam.io.csvfile import CsvRow, CsvTable, read_csv
from videocam.stages.chain import run_stages
from videocam.types import NOBODY, FrameResult

KEYS = ("label_accuracy", "nobody_precision", "nobody_recall", "box_recall_single", "multi_recall",
        "box_recall", "box_precision", "flicker")


@dataclass
class Config:
    name: str
    nobody: bool = True
    multi: bool = False
    smooth: int = 0
    nobody_below: float | None = None
    multi_kw: dict = field(default_factory=dict)
    smooth_kw: dict = field(default_factory=dict)
    boxes: str = "union"
    threshold: float = 0.2
    rescale: Any = None  # a CamModel: box from an adapted pass (videocam.stages.rescale.Rescale)
    steady: int = 0  # label hysteresis (videocam.stages.steady); 0 = off
    torso: bool = False  # the torso box rule (videocam.stages.localize.torso_box)
    panel: bool = False  # the panel box rule (videocam.stages.localize.panel_boxes)

    def stages(self):
        from videocam.stages.chain import build_chain
        return build_chain(smooth=self.smooth, smooth_kw=self.smooth_kw, nobody_below=self.nobody_below,
                           use_nobody=self.nobody, steady=self.steady, multi=self.multi, multi_kw=self.multi_kw,
                           rescale_model=self.rescale, threshold=self.threshold, boxes=self.boxes,
                           torso=self.torso, panel=self.panel)


def default_configs(smooth: int = 5, boxes: str = "union", threshold: float = 0.2,
                    rescale_model=None) -> list[Config]:
    """The table's rows, each stage added in turn up to `run`'s defaults, then `--multi` (its
    territory rule, and the earlier peak rule); with `rescale_model`, two more rows with
    `--scale adaptive` boxes. The `--multi` rows are `--multi --no-refine`: the second look
    (`videocam.stages.refine`) runs the model on crops of the full frame, which the replay of one
    cached forward pass per video does not keep; `videocam benchmark --multi` measures it."""
    from videocam.stages.steady import STEADY_K

    kw = {"boxes": boxes, "threshold": threshold}
    run = dict(smooth=smooth, steady=STEADY_K, torso=True, panel=True, **kw)
    rows = [
        Config("original: top class only", nobody=False, **kw),
        Config("+ nobody", nobody=True, **kw),
        Config(f"+ nobody + smooth {smooth}", smooth=smooth, **kw),
        Config(f"+ nobody + smooth {smooth} + steady {STEADY_K}", smooth=smooth, steady=STEADY_K, **kw),
        Config("run default: + torso", **run),
        Config("run --multi (territory)", multi=True, **run),
        Config("run --multi, peak rule (before)", multi=True, multi_kw={"territory": False}, **run),
        Config("run --multi, no torso", multi=True, **{**run, "torso": False}),
        Config("run --multi, no panel", multi=True, **{**run, "panel": False}),
    ]
    if rescale_model is not None:
        rows += [
            Config("run --scale adaptive", rescale=rescale_model, **run),
            Config("run --multi --scale adaptive", multi=True, rescale=rescale_model, **run),
        ]
    return rows


def forward_video(cm, video, batch: int = 16, aspect: str = "square") -> list[FrameResult]:
    """One pass of the model over a video: raw results (no stages), frames kept."""
    from videocam.io.reader import VideoReader
    from videocam.pipeline.stream import analyse_batch, batches
    out: list[FrameResult] = []
    with VideoReader(video) as r:
        size = cm.input_size_for(r.width, r.height, aspect)
        r.model_size = size  # as `run` does
        for (_, frames), _ in batches(r, batch, lambda fs: None):
            out += analyse_batch(cm, frames, size)
    return out


def replay(raw: list[FrameResult], config: Config, batch: int = 16) -> CsvTable:
    """Run a configuration's stages over cached results; returns the CSV table it would write."""
    chain = config.stages()
    rows = []
    for k in range(0, len(raw), batch):
        part = [r.with_(notes={}, boxes=[], label="", score=0.0) for r in raw[k:k + batch]]
        for r in run_stages(chain, part):
            rows.append(CsvRow(frame=r.frame.index, time_s=r.frame.time_s, label=r.label, score=r.score,
                               probs=dict(zip(r.classes, map(float, r.probs))), boxes=list(r.boxes)))
    return CsvTable(classes=list(raw[0].classes) if raw else [], rows=rows)


def ablate(cm, video, truth, configs=None, batch: int = 16, aspect: str = "square", raw=None) -> list[dict]:
    truth_table = read_csv(truth)
    raw = raw if raw is not None else forward_video(cm, video, batch, aspect)
    out = []
    for c in configs or default_configs():
        s = score_tables(replay(raw, c, batch), truth_table)
        out.append({"config": c.name, **{k: s.get(k) for k in KEYS}})
    return out


def format_table(rows: list[dict], markdown: bool = True) -> str:
    head = ["configuration", "label acc", "nobody P", "nobody R", "box R@.5 (1 person)",
            "multi R@.3", "box R@.5", "box P@.5", "flicker"]
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join([r["config"]] + [fmt(r[k]) for k in KEYS]) + " |")
    return "\n".join(lines)


def run_ablation(model, video, truth, json_path=None, smooth: int = 5, aspect: str = "square",
                 boxes: str = "union", threshold: float = 0.2, scale: str = "fixed", log=print) -> list[dict]:
    from videocam.model.loading import load_model
    cm = load_model(model)
    if scale == "adaptive":
        from videocam.stages.rescale import require_any_input_size
        require_any_input_size(cm)  # before the forward pass, not at the first replay
    configs = default_configs(smooth, boxes, threshold, rescale_model=cm if scale == "adaptive" else None)
    rows = ablate(cm, video, truth, configs, aspect=aspect)
    if NOBODY not in cm.classes:
        log("note: the model has no nobody class; '+ nobody' uses the probability threshold")
    log(format_table(rows))
    if json_path:
        Path(json_path).write_text(json.dumps(rows, indent=1))
    return rows
