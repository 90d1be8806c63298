"""Image folders -> labelled arrays for training and evaluation.

Layout: DATA_DIR/<class>/*.png, or DATA_DIR/{train,val,test}/<class>/*.
Any image OpenCV reads; grayscale and alpha become RGB.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from videocam.errors import DataError
from videocam.types import Box

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".ppm", ".pgm"}
SPLITS = ("train", "val", "test")



@dataclass
class Split:
    paths: list[Path]
    labels: np.ndarray  # int class indices


def read_rgb(path) -> np.ndarray:
    """Read any image file as uint8 RGB (gray -> 3 channels, alpha dropped)."""
    data = np.fromfile(str(path), dtype=np.uint8)
    import cv2  # here, not at import: `videocam --help` should not load OpenCV

    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise DataError(f"unreadable image: {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _class_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _images_in(d: Path) -> list[Path]:
    return sorted(p for p in d.rglob("*") if p.suffix.lower() in IMAGE_EXTS and p.is_file())


def scan(data_dir, val_split: float = 0.15, seed: int = 0) -> tuple[list[str], dict[str, Split]]:
    """Find classes and splits. Returns (classes, {"train": Split, "val": Split, ["test": Split]})."""
    root = Path(data_dir)
    if not root.exists():
        raise DataError(f"data folder not found: {root}")
    if not root.is_dir():
        raise DataError(f"not a folder: {root}")
    has_splits = (root / "train").is_dir()
    base = root / "train" if has_splits else root
    class_dirs = [d for d in _class_dirs(base)]
    classes = [d.name for d in class_dirs]
    if not classes:
        raise DataError(f"no class sub-folders in {base} (expected one folder of images per class)")
    if len(classes) < 2:
        raise DataError(f"only one class ({classes[0]}) in {base}: a classifier needs at least two")
    splits: dict[str, Split] = {}

    def collect(folder: Path) -> Split:
        paths, labels = [], []
        for i, c in enumerate(classes):
            d = folder / c
            if not d.is_dir():
                continue
            imgs = _images_in(d)
            paths += imgs
            labels += [i] * len(imgs)
        return Split(paths, np.asarray(labels, dtype=np.int32))

    if has_splits:
        for name in SPLITS:
            if (root / name).is_dir():
                splits[name] = collect(root / name)
        empty = [c for i, c in enumerate(classes) if not np.any(splits["train"].labels == i)]
        if empty:
            raise DataError(f"class folder with no images: {', '.join(empty)} in {base}")
        if "val" not in splits or len(splits["val"].paths) == 0:
            splits["train"], splits["val"] = _split(splits["train"], val_split, seed)
    else:
        everything = collect(root)
        empty = [c for i, c in enumerate(classes) if not np.any(everything.labels == i)]
        if empty:
            raise DataError(f"class folder with no images: {', '.join(empty)} in {root}")
        splits["train"], splits["val"] = _split(everything, val_split, seed)
    return classes, splits


def _split(s: Split, frac: float, seed: int) -> tuple[Split, Split]:
    if not 0.0 < frac < 1.0:
        raise DataError(f"--val-split must be between 0 and 1, got {frac}")
    rng = np.random.default_rng(seed)
    train_idx, val_idx = [], []
    for c in np.unique(s.labels):
        idx = np.flatnonzero(s.labels == c)
        rng.shuffle(idx)
        n_val = max(1, int(round(len(idx) * frac))) if len(idx) > 1 else 0
        val_idx += list(idx[:n_val])
        train_idx += list(idx[n_val:])
    pick = lambda ids: Split([s.paths[i] for i in sorted(ids)], s.labels[sorted(ids)])  # noqa: E731
    return pick(train_idx), pick(val_idx)


def unreadable(paths) -> str:
    """The one-line message for unreadable images, every one named."""
    return f"unreadable image{'s' if len(paths) > 1 else ''}: {', '.join(str(p) for p in paths)}"


def read_all_rgb(paths, progress=None) -> list[np.ndarray]:
    """Every image as uint8 RGB; the unreadable ones listed all at once in one `DataError`."""
    imgs, bad = [], []
    for p in paths:
        try:
            imgs.append(read_rgb(p))
        except DataError:
            bad.append(str(p))
        if progress is not None:
            progress.update(1)
    if bad:
        raise DataError(unreadable(bad))
    return imgs


def load_images(paths, size: tuple[int, int], progress=None, bad: list | None = None) -> np.ndarray:
    """Read and resize images to (height, width) uint8 RGB, all in memory. Unreadable images are
    listed all at once in one `DataError`, or appended to `bad` when given (the caller says)."""
    h, w = size
    out = np.empty((len(paths), h, w, 3), dtype=np.uint8)
    raise_here = bad is None
    bad = [] if bad is None else bad
    for i, p in enumerate(paths):
        try:
            img = read_rgb(p)
        except DataError:
            bad.append(str(p))
            continue
        if img.shape[0] != h or img.shape[1] != w:
            import cv2

            interp = cv2.INTER_AREA if img.shape[0] > h else cv2.INTER_LINEAR
            img = cv2.resize(img, (w, h), interpolation=interp)
        out[i] = img
        if progress is not None:
            progress.update(1)
    if bad and raise_here:  # every unreadable image at once, not the first only
        raise DataError(unreadable(bad))
    return out


def read_box_csv(path) -> dict[str, tuple[str, Box | None]]:
    """`path,label,x0,y0,x1,y1` -> {relative path: (label, box or None)}."""
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            box = None
            if row.get("x0") not in (None, ""):
                box = Box(row["label"], 1.0, *(int(float(row[k])) for k in ("x0", "y0", "x1", "y1")))
            out[row["path"]] = (row["label"], box)
    return out


def class_folder(folder) -> tuple[list[str], Split]:
    """Every image of FOLDER/<class>/* (the layout `scan` takes without splits), labelled by folder:
    (class names, sorted; Split). For evaluation, where nothing is held out."""
    folder = Path(folder)
    classes = [d.name for d in _class_dirs(folder)]
    paths, labels = [], []
    for i, c in enumerate(classes):
        imgs = _images_in(folder / c)
        paths += imgs
        labels += [i] * len(imgs)
    return classes, Split(paths, np.asarray(labels, dtype=np.int32))
