"""Tuning harness for the stage chain on the TUNING seeds only (videocam.eval.benchmark).

The model runs once per seed (cached under data/benchmark/fwd/: probabilities, CAMs and the
cut detector's 32x18 thumbnails); each configuration then replays the stage chain on the
cache, so a sweep of many configurations costs seconds per seed. The published figures come
from `videocam benchmark`, which runs the real `run` path; this is only for choosing.

    python scripts/tune_seeds.py            # the rows of `videocam ablate`, on TUNING_SEEDS

To try an idea, pass `sweep` a dict of name -> a function returning a fresh stage chain.
"""
from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from videocam.eval.benchmark import DEFAULT_CACHE, TUNING_SEEDS, ensure_video, summarize
from videocam.eval.score import score_tables
from videocam.io.csvfile import CsvRow, CsvTable, read_csv
from videocam.stages.chain import run_stages
from videocam.stages.smooth import THUMB_SIZE
from videocam.types import Frame, FrameResult


@dataclass(frozen=True)
class LiteFrame(Frame):
    """A frame that keeps only the cut detector's thumbnail, but knows its real size."""

    size: tuple = field(default=(0, 0))

    @property
    def width(self) -> int:
        return int(self.size[0])

    @property
    def height(self) -> int:
        return int(self.size[1])


def _pre_thumb(rgb: np.ndarray) -> np.ndarray:
    """`smooth.thumbnail` up to its grey conversion: `thumbnail` of this is the frame's thumbnail."""
    import cv2
    h, w = rgb.shape[:2]
    size = THUMB_SIZE
    step = max(1, min(h // (4 * int(size[1])), w // (4 * int(size[0]))))
    if step > 1:
        rgb = cv2.resize(rgb[:h - h % step, :w - w % step], (w // step, h // step), interpolation=cv2.INTER_NEAREST)
    return cv2.resize(rgb, (int(size[0]), int(size[1])), interpolation=cv2.INTER_AREA)


def forward_cache(seed: int, model_path, cache=DEFAULT_CACHE, batch: int = 16) -> Path:
    from videocam.io.reader import VideoReader
    from videocam.model.loading import load_model

    tag = hashlib.sha1(Path(model_path).read_bytes()).hexdigest()[:10]
    path = Path(cache) / "fwd" / tag / f"seed{seed}.npz"
    if path.is_file():
        return path
    mp4, _ = ensure_video(seed, cache)
    cm = load_model(model_path)
    probs, cams, times, thumbs = [], [], [], []
    with VideoReader(mp4) as r:
        size = cm.input_size_for(r.width, r.height, "square")
        r.model_size = size
        W, H = r.width, r.height
        buf = []

        def flush():
            x = cm.prepare([f.model_input(size) for f in buf], size)
            p, c = cm.probs_and_cams(x)
            probs.append(np.asarray(p)); cams.append(np.asarray(c))
            times.extend(f.time_s for f in buf)
            thumbs.extend(_pre_thumb(f.rgb) for f in buf)
            buf.clear()

        for f in r:
            buf.append(f)
            if len(buf) == batch:
                flush()
        if buf:
            flush()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, probs=np.concatenate(probs), cams=np.concatenate(cams), times=np.array(times),
             thumbs=np.stack(thumbs), size=np.array([W, H]), classes=np.array(cm.classes))
    return path


def load_raw(path) -> list[FrameResult]:
    z = np.load(path)
    classes = tuple(str(c) for c in z["classes"])
    size = tuple(int(v) for v in z["size"])
    return [FrameResult(frame=LiteFrame(index=i, time_s=float(t), rgb=z["thumbs"][i], size=size),
                        classes=classes, probs=z["probs"][i], cams=z["cams"][i])
            for i, t in enumerate(z["times"])]


def replay(raw: list[FrameResult], chain, batch: int = 16) -> CsvTable:
    rows = []
    for k in range(0, len(raw), batch):
        part = [r.with_(notes={}, boxes=[], label="", score=0.0) for r in raw[k:k + batch]]
        for r in run_stages(chain, part):
            rows.append(CsvRow(frame=r.frame.index, time_s=r.frame.time_s, label=r.label, score=r.score,
                               probs=None, boxes=list(r.boxes)))
    return CsvTable(classes=list(raw[0].classes), rows=rows)


def sweep(configs: dict, seeds=TUNING_SEEDS, model_path="samples/model.keras", cache=DEFAULT_CACHE,
          keys=("label_accuracy", "label_accuracy_multi", "nobody_precision", "nobody_recall", "box_recall_single",
                "multi_recall", "box_precision", "flicker")) -> dict:
    """`configs`: name -> a function returning a fresh stage chain (list of stages)."""
    per = {name: [] for name in configs}
    for seed in seeds:
        raw = load_raw(forward_cache(seed, model_path, cache))
        truth = read_csv(ensure_video(seed, cache)[1])
        for name, make in configs.items():
            d = score_tables(replay(raw, make()), truth)
            per[name].append({"seed": seed, **{k: v for k, v in d.items() if k != "counts"}})
    out = {}
    for name, rows in per.items():
        mean, worst = summarize(rows)
        out[name] = (mean, worst, rows)
    head = f"{'config':<44}" + "".join(f"{k[:14]:>17}" for k in keys)
    print(head)
    for name, (mean, worst, _) in out.items():
        cells = []
        for k in keys:
            m, w = mean.get(k), worst.get(k)
            cells.append("n/a".rjust(17) if m is None else f"{m:.3f} ({w['value']:.2f})".rjust(17))
        print(f"{name:<44}" + "".join(cells))
    sys.stdout.flush()
    return out


if __name__ == "__main__":
    # the rows of `videocam ablate` (each stage on and off, up to run's defaults and --multi)
    from videocam.eval.ablation import default_configs

    sweep({c.name: c.stages for c in default_configs()})
