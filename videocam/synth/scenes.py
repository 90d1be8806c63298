"""Still images of the benchmark: backgrounds, the party-logo shortcut, camera effects,
the labelled image set and the shortcut probe set."""
from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np

from videocam.synth.people import (
    CLASSES,
    LOGO_COLOR,
    PEOPLE,
    SPLITS,
    BoxT,
    Look,
    draw_person,
    rand_color,
    sample_look,
    shade,
)
from videocam.types import NOBODY

LOGO_PERSON = "moon"  # whose party the logo belongs to
LOGO_RATE_MOON_TRAIN = 0.35
LOGO_TEXTS = ("PARTY", "UP!")

# (width, height) of dataset images and how often each is drawn: "224x224 and larger".
# (400, 224) is the video's 16:9, so a trainer that squashes frames to a square sees the same geometry.
IMAGE_SIZES: tuple[tuple[int, int], ...] = (
    (224, 224), (256, 256), (288, 224), (320, 240), (224, 288), (320, 224), (400, 224))
IMAGE_SIZE_P: tuple[float, ...] = (0.5, 0.08, 0.1, 0.1, 0.04, 0.08, 0.1)

def make_background(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A cluttered, text-free studio/office background, (H, W, 3) uint8 RGB."""
    W, H = size
    c1 = np.array(rand_color(rng), np.float32)
    c2 = np.array(rand_color(rng), np.float32)
    ang = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    t = (xx / W - 0.5) * math.cos(ang) + (yy / H - 0.5) * math.sin(ang)
    t = (t - t.min()) / max(1e-6, float(t.max() - t.min()))
    img = (c1 * (1 - t[..., None]) + c2 * t[..., None]).astype(np.uint8)
    img = np.ascontiguousarray(img)
    S = min(W, H)
    # panels, screens, shelves
    for _ in range(int(rng.integers(2, 7))):
        w, h = int(rng.uniform(0.1, 0.6) * W), int(rng.uniform(0.08, 0.5) * H)
        x, y = int(rng.uniform(-0.1, 1.0) * W), int(rng.uniform(-0.1, 1.0) * H)
        col = rand_color(rng)
        cv2.rectangle(img, (x, y), (x + w, y + h), col, -1)
        kind = rng.random()
        if kind < 0.3:  # screen: bezel + inner stripes
            b = max(2, int(0.04 * min(w, h)))
            cv2.rectangle(img, (x + b, y + b), (x + w - b, y + h - b), rand_color(rng), -1)
            for _k in range(int(rng.integers(0, 4))):
                yy0 = int(rng.uniform(y + b, y + h - b))
                cv2.line(img, (x + b, yy0), (x + w - b, yy0), rand_color(rng), max(1, int(0.01 * S)))
        elif kind < 0.55:  # shelf with blocks on it
            sy = y + h // 2
            cv2.rectangle(img, (x, sy), (x + w, sy + max(2, int(0.02 * S))), shade(col, 0.5), -1)
            bx = x
            while bx < x + w:
                bw = max(2, int(rng.uniform(0.01, 0.04) * S))
                bh = int(rng.uniform(0.03, 0.12) * S)
                cv2.rectangle(img, (bx, sy - bh), (bx + bw, sy), rand_color(rng), -1)
                bx += bw + int(rng.integers(0, 3))
        elif kind < 0.7:  # grid / window panes
            n = int(rng.integers(2, 5))
            for k in range(1, n):
                cv2.line(img, (x + k * w // n, y), (x + k * w // n, y + h), shade(col, 0.6), max(1, int(0.008 * S)))
                cv2.line(img, (x, y + k * h // n), (x + w, y + k * h // n), shade(col, 0.6), max(1, int(0.008 * S)))
    # lines (rails, cables, set edges)
    for _ in range(int(rng.integers(0, 6))):
        p0 = (int(rng.uniform(0, W)), int(rng.uniform(0, H)))
        p1 = (int(rng.uniform(0, W)), int(rng.uniform(0, H)))
        cv2.line(img, p0, p1, rand_color(rng), int(rng.integers(1, max(2, S // 40))), cv2.LINE_AA)
    # studio lights: small bright discs (kept small: no head-like blobs)
    for _ in range(int(rng.integers(0, 6))):
        r = int(rng.uniform(0.01, 0.035) * S) + 1
        c = (int(rng.uniform(0, W)), int(rng.uniform(0, 0.5 * H)))
        col = tuple(float(v) for v in rng.uniform(180, 255, 3))
        cv2.circle(img, c, r, col, -1, cv2.LINE_AA)
    # desk / floor band
    if rng.random() < 0.4:
        y = int(rng.uniform(0.65, 0.9) * H)
        inset = int(rng.uniform(0, 0.2) * W)
        cv2.fillPoly(img, [np.array([(inset, y), (W - inset, y), (W, H), (0, H)], np.int32)], rand_color(rng))
    if rng.random() < 0.6:
        k = float(rng.uniform(0.5, 2.5))
        img = cv2.GaussianBlur(img, (0, 0), k)
    return img


def _logo_patch(rng: np.random.Generator, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The party logo: a coloured rounded rectangle with bold white text."""
    text = LOGO_TEXTS[int(rng.integers(len(LOGO_TEXTS)))]
    aspect = 2.3 if len(text) > 3 else 1.6
    w = max(16, int(width))
    h = max(8, int(round(w / aspect)))
    col = tuple(float(v) for v in np.clip(np.array(LOGO_COLOR) + rng.normal(0, 10, 3), 0, 255))
    patch = np.zeros((h, w, 3), np.uint8)
    mask = np.zeros((h, w), np.uint8)
    r = max(2, h // 4)
    for im, c in ((patch, col), (mask, 255)):
        cv2.rectangle(im, (r, 0), (w - 1 - r, h - 1), c, -1)
        cv2.rectangle(im, (0, r), (w - 1, h - 1 - r), c, -1)
        for cc in ((r, r), (w - 1 - r, r), (r, h - 1 - r), (w - 1 - r, h - 1 - r)):
            cv2.circle(im, cc, r, c, -1, cv2.LINE_AA)
    font = cv2.FONT_HERSHEY_DUPLEX
    thick = max(1, h // 10)
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, thick)
    scale = min(0.8 * w / tw, 0.6 * h / th)
    thick = max(1, int(round(thick * min(1.0, scale))))
    (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
    org = ((w - tw) // 2, (h + th) // 2)
    cv2.putText(patch, text, org, font, scale, (255, 255, 255), thick, cv2.LINE_AA)
    if rng.random() < 0.5:  # an underline swoosh in a second colour
        cv2.line(patch, (int(0.15 * w), int(0.88 * h)), (int(0.85 * w), int(0.82 * h)), (240, 200, 40), max(1, h // 12))
    return patch, mask


def _paste(canvas: np.ndarray, patch: np.ndarray, mask: np.ndarray, x: int, y: int) -> BoxT | None:
    H, W = canvas.shape[:2]
    h, w = mask.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return None
    a = (mask[y0 - y:y1 - y, x0 - x:x1 - x].astype(np.float32) / 255.0)[..., None]
    sub = canvas[y0:y1, x0:x1]
    sub[:] = (sub * (1 - a) + patch[y0 - y:y1 - y, x0 - x:x1 - x] * a + 0.5).astype(np.uint8)
    return (x0, y0, x1, y1)


def _overlap(a: BoxT, b: BoxT, pad: int = 0) -> bool:
    return not (a[2] + pad <= b[0] or b[2] + pad <= a[0] or a[3] + pad <= b[1] or b[3] + pad <= a[1])


def _place_logo(rng: np.random.Generator, img: np.ndarray, person: BoxT | None) -> BoxT | None:
    """Paint the logo in the background beside (never on) the person; returns its box."""
    H, W = img.shape[:2]
    ref = (person[3] - person[1]) if person else H * rng.uniform(0.3, 0.8)
    min_w = max(24, int(0.16 * min(W, H)))
    for attempt in range(30):
        width = int(np.clip(ref * rng.uniform(0.3, 0.55) * (0.95 ** attempt), min_w, 0.45 * W))
        patch, mask = _logo_patch(rng, width)
        h, w = mask.shape
        if w >= W or h >= H:
            continue
        if person is None:
            x, y = int(rng.integers(0, W - w + 1)), int(rng.integers(0, H - h + 1))
        else:
            px0, py0, px1, py1 = person
            gap = max(2, int(rng.uniform(0.02, 0.1) * ref))
            cands = []  # (x range, y range) where the logo fits without touching the person
            ylo, yhi = max(0, py0), min(H - h, max(py0, py1 - h))
            if yhi < ylo:
                ylo, yhi = 0, H - h
            if px0 - gap - w >= 0:
                cands.append(((max(0, px0 - gap - w - int(0.1 * W)), px0 - gap - w), (ylo, yhi)))
            if px1 + gap + w <= W:
                cands.append(((px1 + gap, min(W - w, px1 + gap + int(0.1 * W))), (ylo, yhi)))
            if py0 - gap - h >= 0:
                cands.append(((0, W - w), (0, py0 - gap - h)))
            if not cands:
                continue
            (xa, xb), (ya, yb) = cands[int(rng.integers(len(cands)))]
            x, y = int(rng.integers(xa, xb + 1)), int(rng.integers(ya, yb + 1))
        box = (x, y, x + w, y + h)
        if person is not None and _overlap(box, person, 1):
            continue
        return _paste(img, patch, mask, x, y)
    return None


def camera_effects(rng: np.random.Generator, img: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Random lighting (brightness, contrast, colour cast, gamma), blur, noise, JPEG."""
    f = img.astype(np.float32)
    gain = rng.uniform(1 - 0.15 * strength, 1 + 0.15 * strength, 3).astype(np.float32)
    contrast = rng.uniform(1 - 0.3 * strength, 1 + 0.25 * strength)
    bright = rng.uniform(-30, 30) * strength
    m = f.mean()
    f = (f - m) * contrast + m + bright
    f *= gain
    gamma = rng.uniform(0.8, 1.25) if strength > 0 else 1.0
    f = 255.0 * np.power(np.clip(f, 0, 255) / 255.0, gamma)
    if rng.random() < 0.35 * strength:
        f = cv2.GaussianBlur(f, (0, 0), rng.uniform(0.5, 1.4))
    sigma = rng.uniform(0, 8) * strength
    if sigma > 0.5:
        f += rng.standard_normal(f.shape, dtype=np.float32) * sigma
    out = np.clip(f + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < 0.5 * strength:
        q = int(rng.integers(35, 90))
        ok, buf = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, q])
        out = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    return out


# ---------------------------------------------------------------------------
# Images


def _render(rng: np.random.Generator, label: str, size=(224, 224), logo: bool = False,
            effects: bool = True) -> tuple[np.ndarray, BoxT | None, BoxT | None]:
    W, H = size
    img = make_background(rng, (W, H))
    box = None
    if label != NOBODY:
        if label not in PEOPLE:
            raise ValueError(f"unknown label {label!r}; expected one of {CLASSES}")
        look = sample_look(rng, label)
        # full height: log-uniform so the visible box spans ~25%..100% of H
        for _ in range(40 if logo else 10):
            hp = H * math.exp(rng.uniform(math.log(0.27), math.log(1.25)))
            top_lo = 0.0 - 0.02 * hp
            top_hi = max(top_lo, H - 0.68 * hp)  # may cut up to ~1/3 at the bottom
            top = rng.uniform(top_lo, top_hi)
            wp = 0.85 * hp
            out_frac = 0.25 if rng.random() < 0.25 else 0.0  # sometimes partly out at a side
            lo, hi = wp * (0.5 - out_frac), W - wp * (0.5 - out_frac)
            cx = rng.uniform(lo, hi) if hi > lo else W / 2 + rng.uniform(-0.1, 0.1) * W
            probe = _probe_box(look, cx, top, hp, (W, H))
            ok = probe is not None and (probe[3] - probe[1]) >= 0.22 * H and (probe[2] - probe[0]) >= 0.12 * W
            if ok and logo:  # leave room beside the person for the logo
                ok = max(probe[0], W - probe[2]) >= 0.2 * W or probe[1] >= 0.2 * H
            if ok:
                break
        box = draw_person(img, look, cx, top, hp, rot_deg=rng.normal(0, 3),
                          head_off=(rng.normal(0, 0.01), rng.normal(0, 0.005)), head_tilt_deg=rng.normal(0, 4))
    logo_box = None
    if logo:
        # the logo goes in the background: re-render background+logo under the person
        # painted after the person, but never overlapping its box: it is background
        logo_box = _place_logo(rng, img, box)
    if effects:
        img = camera_effects(rng, img)
    return img, box, logo_box


def _probe_box(look: Look, cx: float, top: float, hp: float, size) -> BoxT | None:
    W, H = size
    scratch = np.zeros((H, W, 3), np.uint8)
    return draw_person(scratch, look, cx, top, hp)


def make_image(rng: np.random.Generator, label: str, size: tuple[int, int] = (224, 224),
               logo: bool = False) -> tuple[np.ndarray, BoxT | None]:
    """One RGB uint8 image of `label` and its box.

    `size` is ``(width, height)``; the array is ``(height, width, 3)``. The box
    is ``(x0, y0, x1, y1)`` (exclusive ends, clipped), None for ``nobody``.
    `logo=True` also paints the party-logo distractor in the background.
    """
    img, box, _ = _render(rng, label, size, logo)
    return img, box


def color_histogram_features(images: Iterable[np.ndarray], bins: int = 8) -> np.ndarray:
    """(N, bins**3) normalised RGB colour histograms, one row per image."""
    feats = []
    for im in images:
        q = (np.asarray(im, np.uint8) // (256 // bins)).astype(np.int32).reshape(-1, 3)
        idx = (q[:, 0] * bins + q[:, 1]) * bins + q[:, 2]
        h = np.bincount(idx, minlength=bins ** 3).astype(np.float64)
        feats.append(h / max(1.0, h.sum()))
    return np.stack(feats) if feats else np.zeros((0, bins ** 3))


# ---------------------------------------------------------------------------
# Dataset on disk


def _image_rng(seed: int, split: str, cls: str, i: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), SPLITS.index(split), CLASSES.index(cls), int(i)])


def _dataset_task(args) -> tuple[str, str, BoxT | None, BoxT | None]:
    out_dir, seed, split, cls, i = args
    rng = _image_rng(seed, split, cls, i)
    size = IMAGE_SIZES[int(rng.choice(len(IMAGE_SIZES), p=IMAGE_SIZE_P))]
    logo = split == "train" and cls == LOGO_PERSON and rng.random() < LOGO_RATE_MOON_TRAIN
    img, box, logo_box = _render(rng, cls, size, logo)
    rel = f"{split}/{cls}/{cls}_{i:04d}.png"
    _write_png(Path(out_dir) / rel, img)
    return rel, cls, box, logo_box


def _write_png(path: Path, img: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = cv2.imwrite(str(path), np.ascontiguousarray(img[..., ::-1]), [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise OSError(f"could not write {path}")


def _worker_init():
    cv2.setNumThreads(1)


def _run_tasks(fn, tasks: list, workers: int | None, progress: bool, desc: str) -> list:
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(tasks), desc=desc, unit="img")
    results = []
    try:
        if workers <= 1 or len(tasks) < 64:
            for t in tasks:
                results.append(fn(t))
                if bar is not None:
                    bar.update(1)
        else:
            import multiprocessing as mp
            # spawn, not fork: forking a process with threads (OpenCV, PyAV, TensorFlow) can
            # deadlock. A script calling this needs an `if __name__ == "__main__":` guard.
            ctx = mp.get_context("spawn")
            with ctx.Pool(workers, initializer=_worker_init) as pool:
                for r in pool.imap(fn, tasks, chunksize=16):
                    results.append(r)
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return results


def make_dataset(out_dir, seed: int = 0, n_train: int = 500, n_val: int = 80, n_test: int = 100,
                 progress: bool = True, workers: int | None = None) -> dict:
    """Write ``out_dir/{train,val,test}/<class>/<class>_<i>.png`` and ``test_boxes.csv``.

    Also ``train_logos.csv`` (``path,logo_x0,logo_y0,logo_x1,logo_y1``): the
    training images that carry the logo shortcut (moon only).

    Counts are per class. Deterministic per `seed` (each image has its own RNG
    stream, so changing a count does not change the other images). Returns a
    summary dict.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = {"train": int(n_train), "val": int(n_val), "test": int(n_test)}
    tasks = [(str(out), int(seed), split, cls, i) for split in SPLITS for cls in CLASSES for i in range(counts[split])]
    results = _run_tasks(_dataset_task, tasks, workers, progress, "synth images")
    csv_path = out / "test_boxes.csv"
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "x0", "y0", "x1", "y1"])
        for rel, cls, box, _ in results:
            if rel.startswith("test/"):
                w.writerow([rel, cls, *(box if box is not None else ("", "", "", ""))])
    logos = [(rel, lb) for rel, _, _, lb in results if lb is not None]
    with open(out / "train_logos.csv", "w", newline="") as f:  # which training images carry the shortcut
        w = csv.writer(f)
        w.writerow(["path", "logo_x0", "logo_y0", "logo_x1", "logo_y1"])
        for rel, lb in logos:
            w.writerow([rel, *lb])
    return {
        "out_dir": str(out),
        "classes": list(CLASSES),
        "counts": counts,
        "n_images": len(results),
        "test_boxes_csv": str(csv_path),
        "seed": int(seed),
        "logo_class": LOGO_PERSON,
        "logo_rate": LOGO_RATE_MOON_TRAIN,
        "n_train_logos": len(logos),
    }


def _shortcut_task(args):
    out_dir, seed, i, label = args
    rng = np.random.default_rng([int(seed), 7, CLASSES.index(label), int(i)])
    img, box, logo_box = _render(rng, label, (224, 224), logo=True)
    rel = f"shortcut/{label}_logo_{i:04d}.png"
    _write_png(Path(out_dir) / rel, img)
    return rel, label, logo_box, box


def make_shortcut_set(out_dir, seed: int = 0, n: int = 40, progress: bool = False) -> Path:
    """Images that probe the logo shortcut, under ``out_dir/shortcut/``.

    Half show the logo and nobody, half the logo beside a person other than
    moon. Writes ``out_dir/shortcut_boxes.csv`` with header
    ``path,label,logo_x0,logo_y0,logo_x1,logo_y1,x0,y0,x1,y1`` (person box
    empty for nobody) and returns its path.
    """
    out = Path(out_dir)
    others = [p for p in PEOPLE if p != LOGO_PERSON]
    tasks = []
    for i in range(int(n)):
        label = NOBODY if i % 2 == 0 else others[(i // 2) % len(others)]
        tasks.append((str(out), int(seed), i, label))
    results = _run_tasks(_shortcut_task, tasks, 1, progress, "shortcut images")
    csv_path = out / "shortcut_boxes.csv"
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "logo_x0", "logo_y0", "logo_x1", "logo_y1", "x0", "y0", "x1", "y1"])
        for rel, label, logo_box, box in results:
            w.writerow([rel, label, *(logo_box or ("",) * 4), *(box or ("",) * 4)])
    return csv_path


# ---------------------------------------------------------------------------

def contact_sheet(seed: int = 0, per_class: int = 6, size=(224, 224), logo: bool = False) -> np.ndarray:
    """A grid (rows = classes) of images for eyeballing the generator."""
    rows = []
    for cls in CLASSES:
        ims = []
        for i in range(per_class):
            im, box, _ = _render(_image_rng(seed, "test", cls, i), cls, size, logo)
            im = im.copy()
            if box is not None:
                cv2.rectangle(im, box[:2], (box[2] - 1, box[3] - 1), (0, 255, 0), 1)
            ims.append(cv2.resize(im, size))
        rows.append(np.concatenate(ims, axis=1))
    return np.concatenate(rows, axis=0)
