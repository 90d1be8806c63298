"""The many-seed benchmark: the debate video of every seed, through the real `run` path, scored.

`videocam benchmark --seeds 101-120 [--multi]` makes (once, then from a cache on disk) the
debate video and truth of each seed, runs `process_video` on it (CSV only: only the CSV is
scored) and prints one row per seed, then the mean and the worst seed, for every measure of
`videocam score`.

Seeds are kept apart by their job:

- `TUNING_SEEDS`: every constant of the stage chain (thresholds, smoothing, multi-person
  rules, label hysteresis, box rules) and the training recipe was chosen on these (201-210;
  211-230 were added when the second look's row search needed more panels to tune on).
- `REPORT_SEEDS`: the published figures. No choice ever looked at them.

Seed 0 made the bundled model's training images, seed 1 is the demo video
(`samples/debate.mp4`, made with an older shot plan), seed 2 the old single tuning video and
seed 3 a still-image test set; none of these is in either list.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Sequence

from videocam.errors import UsageError

TUNING_SEEDS: tuple[int, ...] = tuple(range(201, 231))
REPORT_SEEDS: tuple[int, ...] = tuple(range(101, 121))
SEED_SETS = {"tuning": TUNING_SEEDS, "report": REPORT_SEEDS}

DEFAULT_CACHE = Path("data") / "benchmark"
DURATION_S = 24.0
FPS = 25
SIZE = (640, 360)
# bump when the shot plan or the renderer changes what a seed makes: old cached videos are
# then not reused
SYNTH_VERSION = "v2"

# (key, column header, higher is better); every measure of `videocam score`
MEASURES: tuple[tuple[str, str, bool], ...] = (
    ("label_accuracy", "label", True),
    ("label_accuracy_multi", "label2+", True),
    ("nobody_precision", "nbP", True),
    ("nobody_recall", "nbR", True),
    ("box_recall", "R@.5", True),
    ("box_precision", "P@.5", True),
    ("box_recall_0.3", "R@.3", True),
    ("box_precision_0.3", "P@.3", True),
    ("box_recall_single", "R1@.5", True),
    ("multi_recall", "R2+@.3", True),
    ("multi_recall_0.5", "R2+@.5", True),
    ("flicker", "flicker", False),
)


def parse_seeds(text: str) -> list[int]:
    """`"101-120"`, `"5,7,9-11"`, `"tuning"` or `"report"` -> a list of seeds, in order, no repeats."""
    text = str(text).strip()
    if text in SEED_SETS:
        return list(SEED_SETS[text])
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part[1:]:
                i = part.index("-", 1)
                lo, hi = int(part[:i]), int(part[i + 1:])
                if hi < lo:
                    raise UsageError(f"--seeds: range {part!r} runs backwards")
                out += range(lo, hi + 1)
            else:
                out.append(int(part))
        except ValueError:
            raise UsageError(f"--seeds must be seeds like 101-120 or 1,2,5-7 (or 'tuning', 'report'), "
                             f"got {text!r}") from None
    if not out:
        raise UsageError("--seeds names no seed")
    return list(dict.fromkeys(out))


def video_paths(seed: int, cache=DEFAULT_CACHE, duration_s: float = DURATION_S, size=SIZE,
                fps: int = FPS) -> tuple[Path, Path]:
    """Where the cached video and truth of a seed live."""
    base = Path(cache) / SYNTH_VERSION
    tag = f"seed{int(seed)}"
    if (float(duration_s), tuple(size), int(fps)) != (DURATION_S, SIZE, FPS):
        tag += f"_{float(duration_s):g}s_{size[0]}x{size[1]}_{int(fps)}fps"
    return base / f"{tag}.mp4", base / f"{tag}.truth.csv"


def ensure_video(seed: int, cache=DEFAULT_CACHE, duration_s: float = DURATION_S, size=SIZE, fps: int = FPS,
                 progress: bool = False) -> tuple[Path, Path]:
    """The debate video and truth of `seed`, made once (video and truth only, not the image set)."""
    from videocam.synth.video import make_video

    mp4, truth = video_paths(seed, cache, duration_s, size, fps)
    if mp4.is_file() and truth.is_file():
        return mp4, truth
    mp4.parent.mkdir(parents=True, exist_ok=True)
    part_mp4 = mp4.with_name(f".{mp4.stem}.part.mp4")
    part_csv = truth.with_name(f".{truth.stem}.part.csv")
    make_video(part_mp4, part_csv, seed=seed, duration_s=duration_s, fps=fps, size=tuple(size), progress=progress)
    os.replace(part_csv, truth)  # the truth first: a video without it is remade
    os.replace(part_mp4, mp4)
    return mp4, truth


def summarize(rows: Sequence[dict]) -> tuple[dict, dict]:
    """Mean over seeds and worst seed of each measure: `({key: mean}, {key: {"value", "seed"}})`.

    Seeds where a measure has no denominator (None) are left out of its mean and worst."""
    mean, worst = {}, {}
    for key, _, higher in MEASURES:
        vals = [(r[key], r["seed"]) for r in rows if r.get(key) is not None]
        if not vals:
            mean[key], worst[key] = None, None
            continue
        mean[key] = sum(v for v, _ in vals) / len(vals)
        v, s = (min if higher else max)(vals, key=lambda vs: vs[0])
        worst[key] = {"value": v, "seed": s}
    return mean, worst


def format_table(result: dict, markdown: bool = False) -> str:
    """One row per seed, then the mean and the worst seed (its seed in brackets)."""
    head = ["seed"] + [h for _, h, _ in MEASURES]
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    body = [[str(r["seed"])] + [fmt(r.get(k)) for k, _, _ in MEASURES] for r in result["rows"]]
    body.append(["mean"] + [fmt(result["mean"].get(k)) for k, _, _ in MEASURES])
    body.append(["worst"] + [("n/a" if result["worst"].get(k) is None else
                              f"{result['worst'][k]['value']:.3f} ({result['worst'][k]['seed']})")
                             for k, _, _ in MEASURES])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(head[i]), *(len(row[i]) for row in body)) for i in range(len(head))]
    line = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(head)] + [line(row) for row in body])


def run_benchmark(seeds: Sequence[int], model=None, cache=DEFAULT_CACHE, out=None, duration_s: float = DURATION_S,
                  size=SIZE, fps: int = FPS, progress: bool = True, log: Callable[[str], None] = print,
                  **run_options) -> dict:
    """Make (or reuse) each seed's video, run `process_video` on it (CSV only) and score it.

    `run_options` are `process_video`'s stage options (multi, smooth, threshold, boxes, norm,
    nobody, scale, batch, aspect). Returns `{"seeds", "options", "rows", "mean", "worst"}`;
    each row is the seed's `score_tables` figures without the counts.
    """
    from tqdm import tqdm

    from videocam.eval.score import score_files
    from videocam.pipeline.process import check_stage_options, load_for_run, process_video

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise UsageError("no seeds to run")
    if duration_s <= 0:
        raise UsageError(f"--duration must be > 0, got {duration_s}")
    keys = ("threshold", "nobody", "smooth", "boxes", "norm", "batch", "scale", "steady")
    check_stage_options(**{k: run_options[k] for k in keys if run_options.get(k) is not None})
    cm = load_for_run(model, **run_options)
    cache = Path(cache)
    out = Path(out) if out is not None else cache / "runs"
    rows = []
    bar = tqdm(seeds, desc="benchmark", unit="video", disable=not progress, dynamic_ncols=True)
    for seed in bar:
        bar.set_postfix_str(f"seed {seed}")
        mp4, truth = ensure_video(seed, cache, duration_s, size, fps, progress=False)
        summary = process_video(mp4, model=cm, out_dir=out, mp4=False, csv=True, handle_signals=False,
                                **{k: v for k, v in run_options.items() if v is not None})
        if summary.interrupted:  # pragma: no cover - only with handle_signals
            raise KeyboardInterrupt
        d = score_files(summary.outputs["csv"], truth)
        row = {"seed": seed, **{k: v for k, v in d.items() if k not in ("counts", "pred_csv", "truth_csv")}}
        row["fps"] = summary.fps
        rows.append(row)
    mean, worst = summarize(rows)
    return {"seeds": seeds, "options": {k: v for k, v in run_options.items()}, "rows": rows,
            "mean": mean, "worst": worst}


def seed_role(seed: int) -> str:
    """'tuning', 'report' or '' for a seed (what a table may say about it)."""
    return "tuning" if seed in TUNING_SEEDS else "report" if seed in REPORT_SEEDS else ""


ABLATION_KEYS = ("label_accuracy", "label_accuracy_multi", "nobody_precision", "nobody_recall", "box_recall_single",
                 "multi_recall", "box_recall", "box_precision", "flicker")


def ablate_seeds(seeds: Sequence[int], model=None, cache=DEFAULT_CACHE, duration_s: float = DURATION_S, size=SIZE,
                 fps: int = FPS, scale: str = "fixed", progress: bool = True) -> dict:
    """Each stage on and off (`videocam.eval.ablation.default_configs`) on every seed's video:
    one forward pass per video, every configuration replayed on it. Returns
    `{config name: {"rows", "mean", "worst"}}`, in the configurations' order."""
    from tqdm import tqdm

    from videocam.eval.ablation import default_configs, forward_video, replay
    from videocam.eval.score import score_tables
    from videocam.io.csvfile import read_csv
    from videocam.model.cam_model import CamModel
    from videocam.model.loading import load_model

    cm = model if isinstance(model, CamModel) else load_model(model)
    configs = default_configs(rescale_model=cm if scale == "adaptive" else None)
    per: dict[str, list] = {c.name: [] for c in configs}
    for seed in tqdm([int(s) for s in seeds], desc="ablation", unit="video", disable=not progress):
        mp4, truth = ensure_video(seed, cache, duration_s, size, fps)
        raw = forward_video(cm, mp4)
        truth_table = read_csv(truth)
        for c in configs:
            d = score_tables(replay(raw, c), truth_table)
            per[c.name].append({"seed": seed, **{k: v for k, v in d.items() if k != "counts"}})
        del raw
    out = {}
    for name, rows in per.items():
        mean, worst = summarize(rows)
        out[name] = {"rows": rows, "mean": mean, "worst": worst}
    return out


def format_ablation(result: dict) -> str:
    """Markdown: one row per configuration, each cell `mean (worst)`."""
    names = {"label_accuracy": "label acc", "label_accuracy_multi": "label 2+", "nobody_precision": "nobody P",
             "nobody_recall": "nobody R", "box_recall_single": "box R@.5 (1 person)", "multi_recall": "multi R@.3",
             "box_recall": "box R@.5", "box_precision": "box P@.5", "flicker": "flicker"}
    head = ["configuration"] + [names[k] for k in ABLATION_KEYS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, d in result.items():
        cells = []
        for k in ABLATION_KEYS:
            m, w = d["mean"].get(k), d["worst"].get(k)
            cells.append("n/a" if m is None else f"{m:.3f} ({w['value']:.2f})")
        lines.append("| " + " | ".join([name] + cells) + " |")
    return "\n".join(lines)


def write_json(result: dict, path) -> None:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    clean = json.loads(json.dumps(result, default=str), parse_constant=lambda c: None)
    p.write_text(json.dumps(clean, indent=1, allow_nan=False) + "\n", encoding="utf-8")
