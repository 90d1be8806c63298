"""Real photos: how well do a handful of photos per person train a model? (issue 16, point 4)

On ../shared/realdata/johns (5 people x 8 photos), random splits of 5 training and 3 test photos per
person, and for each split:
  (a) the small network from scratch (`videocam train` without a backbone),
  (b) the frozen backbone with a linear GAP head (no augmentation, no fine-tuning), at its last layer
      (1280 channels, stride 32) and at the stride-16 layer the recipe uses (add_5),
  (c) the recipe (`videocam train --backbone FILE --cam-layer add_5`, its defaults).
Each method sees only the 5 training photos of a split (the recipe carves its own validation photo
from them); the 3 test photos per person are scored with `load_model(...).predict`, as `run` would.

Two sets of splits: `--splits tuning` (seed 0: what every constant of the recipe was chosen on) and
`--splits report` (seed 2016: looked at only to report). Prints one table (mean and worst accuracy).

    python scripts/real_photos.py --splits report            # ~20 min on 2 cores
    python scripts/real_photos.py --splits tuning --n 3 --methods c --set p_zoom_out=0.2
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("VIDEOCAM_SHARED", ROOT.parent / "shared"))
if not SHARED.is_dir() and Path("/work/shared").is_dir():
    SHARED = Path("/work/shared")
JOHNS = SHARED / "realdata" / "johns"
BACKBONE = SHARED / "backbones" / "efficientnet_lite0_imagenet.keras"
SEEDS = {"tuning": 0, "report": 2016}
N_TRAIN, N_TEST = 5, 3


def people(root: Path) -> dict[str, list[Path]]:
    return {d.name: sorted(d.glob("*.jpg")) for d in sorted(root.iterdir()) if d.is_dir()}


def make_splits(photos: dict[str, list[Path]], seed: int, n: int):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        split = {}
        for name, files in photos.items():
            idx = rng.permutation(len(files))
            split[name] = ([files[i] for i in idx[:N_TRAIN]], [files[i] for i in idx[N_TRAIN:N_TRAIN + N_TEST]])
        out.append(split)
    return out


def lay_out(split, root: Path) -> Path:
    """DATA/train/<person>/*.jpg (symlinks): what a user would point `train` at."""
    for name, (train, _test) in split.items():
        d = root / "train" / name
        d.mkdir(parents=True, exist_ok=True)
        for f in train:
            (d / f.name).symlink_to(f)
    return root


def test_accuracy(model_path: Path, split) -> float:
    from videocam.model.loading import load_model
    from videocam.model.data import read_rgb
    cm = load_model(model_path)
    ok = []
    for name, (_train, test) in split.items():
        probs, _ = cm.predict([read_rgb(f) for f in test])
        ok += [cm.classes[int(i)] == name for i in np.argmax(probs, axis=1)]
    return float(np.mean(ok))


def method_a(data: Path, out: Path, seed: int) -> None:
    from videocam.model.train import train
    train(data, out, backbone="small", epochs=60, batch=16, lr=2e-3, val_split=0.2, seed=seed,
          verbose=0, log=lambda *_: None)


def method_b(data: Path, out: Path, seed: int, cam_layer: str | None) -> None:
    from videocam.model.recipe import RecipeConfig, train_recipe
    cfg = RecipeConfig(views=1, unfreeze=0, val_views=2)
    train_recipe(data, out, BACKBONE, cam_layer=cam_layer, preprocessing="torch", seed=seed, cfg=cfg,
                 curves=False, log=lambda *_: None)


def method_c(data: Path, out: Path, seed: int, overrides: dict) -> None:
    from videocam.model.recipe import RecipeConfig, train_recipe
    cam = overrides.pop("cam_layer", "add_5")
    cfg = RecipeConfig(**overrides)
    train_recipe(data, out, BACKBONE, cam_layer=cam, preprocessing="torch", seed=seed, cfg=cfg,
                 curves=False, log=lambda *_: None)


ROWS = {
    "a": "(a) small network from scratch",
    "b32": "(b) frozen backbone + linear GAP head, last layer (1280 ch, stride 32)",
    "b16": "(b') frozen backbone + linear GAP head, add_5 (112 ch, stride 16)",
    "c": "(c) the recipe (add_5, defaults)",
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--splits", choices=tuple(SEEDS), default="report")
    ap.add_argument("--n", type=int, default=10, help="number of random splits (default 10)")
    ap.add_argument("--methods", default="a,b32,b16,c", help="comma list of a, b32, b16, c (default all)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="recipe override for (c), e.g. p_zoom_out=0.2 (tuning only)")
    ap.add_argument("--json", default=None, help="also write the per-split accuracies here")
    a = ap.parse_args(argv)
    if not JOHNS.is_dir() or not BACKBONE.is_file():
        print(f"error: needs {JOHNS} and {BACKBONE} (set VIDEOCAM_SHARED)", file=sys.stderr)
        return 2
    overrides = {}
    for kv in a.set:
        k, v = kv.split("=", 1)
        overrides[k] = v if k == "cam_layer" else json.loads(v)
    methods = [m.strip() for m in a.methods.split(",") if m.strip()]
    splits = make_splits(people(JOHNS), SEEDS[a.splits], a.n)
    acc: dict[str, list[float]] = {m: [] for m in methods}
    secs: dict[str, list[float]] = {m: [] for m in methods}
    for i, split in enumerate(splits):
        with tempfile.TemporaryDirectory() as tmp:
            data = lay_out(split, Path(tmp) / "data")
            for m in methods:
                out = Path(tmp) / f"{m}.keras"
                t0 = time.perf_counter()
                if m == "a":
                    method_a(data, out, i)
                elif m == "b32":
                    method_b(data, out, i, None)
                elif m == "b16":
                    method_b(data, out, i, "add_5")
                elif m == "c":
                    method_c(data, out, i, dict(overrides))
                secs[m].append(time.perf_counter() - t0)
                acc[m].append(test_accuracy(out, split))
        print(f"split {i}: " + "  ".join(f"{m} {acc[m][-1]:.3f}" for m in methods), flush=True)
    print(f"\n{a.splits} splits (seed {SEEDS[a.splits]}), {a.n} x ({N_TRAIN} train + {N_TEST} test photos "
          f"per person, {len(people(JOHNS))} people)" + (f", recipe overrides {overrides}" if overrides else ""))
    print("| method | mean accuracy | worst | train time per split |\n|---|---:|---:|---:|")
    for m in methods:
        print(f"| {ROWS[m]} | {np.mean(acc[m]):.3f} | {np.min(acc[m]):.3f} | {np.mean(secs[m]):.0f} s |")
    if a.json:
        Path(a.json).write_text(json.dumps({"splits": a.splits, "overrides": overrides, "accuracy": acc,
                                            "seconds": secs}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
