"""Choose the Verify stage's constants on a tuning video (never on the report video).

One pass of the model over the video is kept in memory; each setting then runs the stage chain
(Smooth -> Decide -> Localize -> Verify) on it and is scored against the truth, plus the share of
frames called "not one of mine" on stranger clips given with --strangers.

    python scripts/tune_video.py data/real_tuning/m.keras data/real_tuning/test.mp4 \
        data/real_tuning/test.truth.csv --strangers data/real_tuning/strangers/*.mp4 \
        --grid region=0.4,0.5,0.6 --grid accept=0.4,0.5,0.6
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def first_pass(cm, video, batch: int = 16, every: int = 1):
    from videocam.io.reader import VideoReader
    from videocam.types import FrameResult
    out = []
    with VideoReader(video) as r:
        frames = [f for f in r if f.index % every == 0]
    for i in range(0, len(frames), batch):
        chunk = frames[i:i + batch]
        probs, cams = cm.predict([f.rgb for f in chunk])
        for f, p, c in zip(chunk, probs, cams):
            out.append(FrameResult(f, tuple(cm.classes), p, c))
    return out


def fresh(results):
    from dataclasses import replace
    return [replace(r, label="", score=0.0, boxes=[], notes={}) for r in results]


def chain(cm, results, setting: dict, smooth: int = 5):
    from videocam.stages.chain import build_stages, run_stages
    stages = build_stages(cm, smooth=smooth, verify=setting if setting is not None else False)
    out = []
    for i in range(0, len(results), 16):
        out += run_stages(stages, fresh(results[i:i + 16]))
    return out


def score(results, truth_csv):
    from videocam.eval.score import score_tables
    from videocam.io.csvfile import read_csv
    pred = SimpleNamespace(rows=[{"frame": r.frame.index, "time_s": r.frame.time_s, "label": r.label,
                                  "boxes": r.boxes} for r in results])
    return score_tables(pred, read_csv(truth_csv))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("video")
    ap.add_argument("truth")
    ap.add_argument("--strangers", nargs="*", default=[])
    ap.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2")
    ap.add_argument("--json", default=None)
    ap.add_argument("--every", type=int, default=1, help="score every Nth frame only (quicker grids)")
    a = ap.parse_args(argv)
    from videocam.model.loading import load_model
    from videocam.stages.verify import DEFAULTS
    cm = load_model(a.model)
    base = dict(DEFAULTS)  # the code's constants (a model file keeps those of its training day)
    video = first_pass(cm, a.video, every=a.every)
    strangers = {s: first_pass(cm, s, every=a.every) for s in a.strangers}
    keys, values = [], []
    for g in a.grid:
        k, v = g.split("=", 1)
        keys.append(k)
        values.append([json.loads(x) for x in v.split(",")])
    rows = []
    settings = [dict(base, **dict(zip(keys, combo))) for combo in itertools.product(*values)] if keys else [base]
    settings.insert(0, None)  # the plain chain, no Verify
    for s in settings:
        d = score(chain(cm, video, s), a.truth)
        away = {Path(k).name: float(np.mean([r.label == "nobody" for r in chain(cm, v, s)]))
                for k, v in strangers.items()}
        rows.append({"setting": s, "score": {k: d[k] for k in ("label_accuracy", "nobody_precision", "nobody_recall",
                                                                "box_recall", "box_recall_single", "multi_recall_0.5")},
                     "strangers_not_mine": away})
        sc = rows[-1]["score"]
        fmt = lambda v: "  n/a" if v is None else f"{v:.3f}"  # noqa: E731
        label = "no verify" if s is None else " ".join(f"{k}={s[k]}" for k in keys) or "defaults"
        print(f"{label:40s} label {fmt(sc['label_accuracy'])} nobody P {fmt(sc['nobody_precision'])} "
              f"R {fmt(sc['nobody_recall'])} box@.5 {fmt(sc['box_recall'])} single {fmt(sc['box_recall_single'])} "
              f"multi@.5 {fmt(sc['multi_recall_0.5'])} | not-mine " + " ".join(f"{v:.3f}" for v in away.values()),
              flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
