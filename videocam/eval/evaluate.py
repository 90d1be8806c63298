"""Classification and localisation metrics on a labelled image split.

Localisation follows the paper: top-1 localisation accuracy counts an image
as right when the class is right AND the CAM box (20% threshold, largest
region) has IoU >= 0.5 with the truth box. MaxBoxAcc (Choe et al. CVPR 2020)
takes the ground-truth class's CAM and the best threshold over a sweep.
Both are computed on the maps of the chosen `scale` (see videocam.stages.rescale);
the fixed-scale figure is always reported beside the adaptive one.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from videocam.model.cam import normalize, upsample
from videocam.model.data import SPLITS, DataError, class_folder, read_box_csv, read_rgb
from videocam.stages.localize import WORK_SIDE, cam_boxes, iou, mask_boxes, threshold_mask

SWEEP = np.round(np.arange(0.05, 0.951, 0.025), 3)
CONFUSION_NAME_MAX = 12  # longer class names get numbered confusion columns


def _box_csv_for(data_dir: Path, split: str) -> Path | None:
    p = data_dir / f"{split}_boxes.csv"
    return p if p.is_file() else None


def _test_folder(data_dir: Path, split: str) -> tuple[Path, str]:
    """The folder of class folders to evaluate: DATA_DIR/<split>/, or DATA_DIR itself when it has
    no split folders (the flat DATA_DIR/<class>/* layout `train` takes; also `--split .`)."""
    if not data_dir.is_dir():
        raise DataError(f"data folder not found: {data_dir}" if not data_dir.exists() else f"not a folder: {data_dir}")
    present = [s for s in SPLITS if (data_dir / s).is_dir()]
    folder = data_dir / split
    if folder.is_dir() and folder.resolve() == data_dir.resolve():
        if present:
            raise DataError(f"{data_dir} has {'/, '.join(present)}/ folders: pass --split {present[-1]}")
        return data_dir, "."
    if folder.is_dir():
        return folder, split
    if not present and split == "test":
        return data_dir, "."  # no split folders: every image under DATA_DIR/<class>/ is the test set
    hint = f"pass --split {present[-1]}" if present else "pass --split . for DATA_DIR/<class>/*"
    raise DataError(f"no {split}/ folder in {data_dir} ({hint})")


def evaluate_folder(model, data_dir, split: str = "test", threshold: float = 0.2, json_path=None,
                    batch: int = 32, progress: bool = True, boxes: str = "union",
                    scale: str = "adaptive") -> dict:
    """Evaluate a model (path or CamModel) on DATA_DIR/<split>/<class>/*, or on DATA_DIR/<class>/*
    when DATA_DIR has no train/val/test folders (or `split` is ".").

    `scale`: `fixed` takes boxes from the one pass at the trained size;
    `adaptive` (videocam.stages.rescale) from a second pass at the input size that
    suits each object. Both figures are always in `loc_by_scale`. Models
    that only take their trained size (FC heads) are always evaluated fixed.
    """
    from tqdm import tqdm

    from videocam.model.cam_model import CamModel
    from videocam.model.loading import load_model
    from videocam.stages.rescale import SCALES
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; use fixed or adaptive")
    cm = model if isinstance(model, CamModel) else load_model(model)
    if cm.info.fixed_input:
        scale = "fixed"  # an FC head takes only its trained input size
    data_dir = Path(data_dir)
    folder, split = _test_folder(data_dir, split)
    classes, s = class_folder(folder)
    if not s.paths:
        raise DataError(f"no images in {folder}/<class>/ (expected one folder of images per class)")
    missing = [c for c in classes if c not in cm.classes]
    if missing:
        raise DataError(f"the model does not know the classes {', '.join(missing)} of {data_dir}")
    to_model = np.array([cm.classes.index(c) for c in classes])
    truth_boxes = {}
    bc = _box_csv_for(data_dir, split) if split != "." else None
    if bc is not None:
        truth_boxes = read_box_csv(bc)

    y_true, y_pred = [], []
    boxed: list[tuple[int, int, int, tuple]] = []  # (image index, truth class, predicted class, truth box)
    fixed_cams: dict[int, np.ndarray] = {}
    images = [read_rgb(p) for p in tqdm(s.paths, desc="reading", disable=not progress, leave=False)]
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, img in enumerate(images):
        groups[img.shape].append(i)
    bar = tqdm(total=len(images), desc="classifying", unit="img", disable=not progress, leave=False)
    for shape, idx in groups.items():
        for k in range(0, len(idx), batch):
            ids = idx[k:k + batch]
            probs, cams = cm.predict(np.stack([images[i] for i in ids]))
            for j, i in enumerate(ids):
                gt = int(to_model[s.labels[i]])
                pred = int(np.argmax(probs[j]))
                y_true.append(gt)
                y_pred.append(pred)
                tb = truth_boxes.get(s.paths[i].relative_to(data_dir).as_posix())
                if tb is not None and tb[1] is not None:
                    boxed.append((i, gt, pred, tb[1]))
                    fixed_cams[i] = cams[j]
            bar.update(len(ids))
    bar.close()

    def loc_figures(cam_of, sweep: bool) -> tuple[int, np.ndarray]:
        """Top-1 hits, and (if asked) MaxBoxAcc hits per threshold, for the maps `cam_of(i)`."""
        hits, swept = 0, np.zeros(len(SWEEP))
        for i, gt, pred, truth in boxed:
            h, w = images[i].shape[:2]
            cams = cam_of(i)
            found = cam_boxes(cams[pred], w, h, threshold=threshold, mode=boxes)
            if pred == gt and found and iou(found[0], truth) >= 0.5:
                hits += 1
            if sweep:
                swept += _sweep(cams[gt], w, h, truth)
        return hits, swept

    loc_total = len(boxed)
    adaptive = scale == "adaptive" and loc_total > 0
    # MaxBoxAcc is swept once, on the maps of the chosen scale
    loc_hits, sweep_hits = loc_figures(fixed_cams.__getitem__, sweep=not adaptive)
    loc_by_scale = {"fixed": round(loc_hits / loc_total, 4) if loc_total else None}
    sides: list[int] = []
    if adaptive:
        from videocam.stages.rescale import adaptive_cams
        sides, cams = adaptive_cams(cm, [images[i] for i, *_ in boxed], [p for _, _, p, _ in boxed], batch,
                                    progress=progress)
        by_image = {i: c for (i, *_), c in zip(boxed, cams)}
        loc_hits, sweep_hits = loc_figures(by_image.__getitem__, sweep=True)
        loc_by_scale["adaptive"] = round(loc_hits / loc_total, 4)
    y_true_a, y_pred_a = np.array(y_true), np.array(y_pred)
    C = len(cm.classes)
    conf = np.zeros((C, C), dtype=int)
    np.add.at(conf, (y_true_a, y_pred_a), 1)
    per_class = {}
    for c in range(C):
        n = int(conf[c].sum())
        if n:
            per_class[cm.classes[c]] = round(float(conf[c, c] / n), 4)
    report = {
        "model": str(cm.path or ""),
        "split": split,
        "images": int(len(y_true)),
        "classes": cm.classes,
        "accuracy": round(float(np.mean(y_true_a == y_pred_a)), 4),
        "per_class": per_class,
        "confusion": conf.tolist(),
        "threshold": threshold,
        "boxes": boxes,
        "scale": scale if loc_total else None,
        "loc_by_scale": loc_by_scale if loc_total else None,
        "adaptive_sides": dict(sorted(Counter(sides).items())) if sides else None,
        "loc_images": loc_total,
        "loc_accuracy": round(loc_hits / loc_total, 4) if loc_total else None,
        "maxboxacc": round(float(sweep_hits.max() / loc_total), 4) if loc_total else None,
        "maxboxacc_threshold": float(SWEEP[int(np.argmax(sweep_hits))]) if loc_total else None,
    }
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(report, indent=1))
    return report


def _sweep(cam: np.ndarray, w: int, h: int, truth) -> np.ndarray:
    """1/0 per threshold in SWEEP: largest-region box IoU >= 0.5 with the truth."""
    scale = min(1.0, WORK_SIDE / max(w, h))
    ww, wh = max(1, round(w * scale)), max(1, round(h * scale))
    m = upsample(normalize(cam, "max"), ww, wh)
    sx, sy = w / ww, h / wh
    hits = np.zeros(len(SWEEP))
    for k, t in enumerate(SWEEP):
        b = mask_boxes(threshold_mask(m, t), "largest")
        if b:
            x0, y0, x1, y1, _ = b[0]
            hits[k] = iou((x0 * sx, y0 * sy, x1 * sx, y1 * sy), truth) >= 0.5
    return hits


def format_report(r: dict) -> str:
    lines = [f"{r['split']}: {r['images']} images, accuracy {r['accuracy']:.4f}"]
    if r.get("loc_accuracy") is not None:
        lines.append(f"top-1 localisation accuracy (IoU>=0.5, threshold {r['threshold']}, "
                     f"{r.get('boxes', 'largest')} box, {r.get('scale', 'fixed')} scale): "
                     f"{r['loc_accuracy']:.4f} on {r['loc_images']} boxed images")
        by = r.get("loc_by_scale") or {}
        if len(by) > 1:
            lines.append("  by scale: " + ", ".join(f"{k} {v:.4f}" for k, v in by.items()))
        lines.append(f"MaxBoxAcc: {r['maxboxacc']:.4f} (best threshold {r['maxboxacc_threshold']})")
    lines.append("per class: " + ", ".join(f"{k} {v:.3f}" for k, v in r["per_class"].items()))
    names = r["classes"]
    # full names as column heads while they are short; else numbered columns, the number before each row's name
    if max(len(n) for n in names) <= CONFUSION_NAME_MAX:
        heads, rows = list(names), list(names)
    else:
        heads = [f"#{i + 1}" for i in range(len(names))]
        rows = [f"{h} {n}" for h, n in zip(heads, names)]
    col = max(6, *(len(h) for h in heads), *(len(str(v)) for row in r["confusion"] for v in row))
    width = max(len(n) for n in rows) + 1
    lines.append("confusion (rows truth, columns predicted):")
    lines.append(" " * width + " ".join(f"{h:>{col}}" for h in heads))
    for n, row in zip(rows, r["confusion"]):
        lines.append(f"{n:<{width}}" + " ".join(f"{v:>{col}d}" for v in row))
    return "\n".join(lines)
