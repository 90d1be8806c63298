"""The small-data recipe: a pretrained backbone and a handful of photos per person.

1. Views: every training photo gives `views` augmented views (`videocam.model.augment`: random
   resized crops, the photo zoomed out onto background, flips, light and colour); with background
   footage, a `nobody` class of views of it. Classes are balanced by sample weights.
2. The backbone runs once per view up to a cut below its top `unfreeze` convolutions
   (`backbones.split_top`); those features are cached, so training never runs the lower part again.
3. Head first: GAP + Dense softmax on the frozen backbone (features pooled once): an L2-regularised
   softmax regression on standardised features (convex: a fixed number of full-batch steps), folded
   back into the Dense layer so the model stays GAP -> Dense and its CAMs exact.
4. Then the top convolutions and the head together at a lower rate (batch norm kept frozen), with
   early stopping on the held-out photos' loss that restores the best epoch.
5. Last, the head again on every photo, the held-out ones included.
A validation split is carved from the photos when the folder has none (at least one photo per
class); its accuracy (before step 5) is printed, and the loss/accuracy curves of both phases are
drawn beside the model (`<stem>.curves.png`). Constants were chosen on tuning splits of real photos
(`scripts/real_photos.py --splits tuning`, docs/real.md).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from videocam.errors import DataError, UsageError
from videocam.model import augment
from videocam.model._backend import keras
from videocam.model.data import IMAGE_EXTS, read_all_rgb, read_rgb, scan
from videocam.model.nets import preprocess
from videocam.types import NOBODY


@dataclass
class RecipeConfig:
    views: int = 24            # augmented views per training photo
    p_zoom_out: float = augment.P_ZOOM_OUT  # share of views with the photo small on a background
    max_views: int = 4000      # cap on cached views (large folders get fewer per photo, at least 4)
    unfreeze: int = 6          # top convolutions fine-tuned in phase 2 (0: head only)
    head_steps: int = 300      # phase 1: full-batch gradient steps of the L2 logistic regression
    head_lr: float = 0.5       # on standardised features
    head_l2: float = 0.1
    tune_epochs: int = 12      # phase 2 upper bound
    tune_lr: float = 1e-4
    tune_patience: int = 3
    batch: int = 32
    label_smoothing: float = 0.1
    weight_decay: float = 1e-4
    val_views: int = 4         # views per validation photo (plain, flip, 2 augmented)
    background_views: float = 1.0  # nobody views, as a multiple of an average class's views
    max_background_frames: int = 200
    refit: bool = True         # last: the head again on every photo, held-out ones included


@dataclass
class RecipeResult:
    path: Path
    classes: list[str]
    val_accuracy: float | None
    n_train: int
    n_val: int
    head_steps: int
    tune_epochs: int
    seconds: float
    curves: Path | None = None
    history: dict = field(default_factory=dict)


# ----------------------------------------------------------------- background footage

def read_backgrounds(sources, limit: int = 200, rng=None) -> list[np.ndarray]:
    """Frames of videos and images of folders, evenly spread, at most `limit` (uint8 RGB)."""
    from videocam.io.reader import VideoReader
    frames: list[np.ndarray] = []
    for src in sources or []:
        p = Path(src)
        if not p.exists():
            raise DataError(f"background not found: {p}")
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.suffix.lower() in IMAGE_EXTS and f.is_file())
            if not files:
                raise DataError(f"no images in background folder {p}")
            frames += [read_rgb(f) for f in files]
        elif p.suffix.lower() in IMAGE_EXTS:
            frames.append(read_rgb(p))
        else:
            with VideoReader(p) as r:
                got = [f.rgb for f in r]
            if not got:
                raise DataError(f"no frames in background video {p}")
            frames += got
    if len(frames) > limit:
        keep = np.linspace(0, len(frames) - 1, limit).round().astype(int)
        frames = [frames[i] for i in keep]
    return frames


# ----------------------------------------------------------------- the recipe

def _log_default(msg: str) -> None:
    print(msg, flush=True)


def _bar(total, desc):
    return tqdm(total=total, desc=desc, unit="img", disable=not sys.stderr.isatty(), leave=False)


def photo_views(photos, labels, cfg: RecipeConfig, size, backgrounds, rng, n_per_photo: int,
                desc: str = "making views"):
    """(views uint8 (N, h, w, 3), labels (N,)): view 0 of each photo is the plain photo."""
    out, ys = [], []
    with _bar(len(photos) * n_per_photo, desc) as bar:
        for img, y in zip(photos, labels):
            out.append(augment.plain_view(img, size))
            ys.append(y)
            for _ in range(n_per_photo - 1):
                out.append(augment.make_view(rng, img, size, backgrounds, cfg.p_zoom_out))
                ys.append(y)
            bar.update(n_per_photo)
    return np.stack(out), np.asarray(ys, np.int32)


def _features(model, views: np.ndarray, mode: str, batch: int = 32) -> np.ndarray:
    out = []
    for i in range(0, len(views), batch):
        x = preprocess(views[i:i + batch].astype(np.float32), mode)
        out.append(np.asarray(model(x, training=False)).astype(np.float16))
    return np.concatenate(out) if out else np.zeros((0,), np.float16)


def _class_weights(y: np.ndarray, n: int) -> np.ndarray:
    counts = np.bincount(y, minlength=n).astype(np.float64)
    w = np.where(counts > 0, len(y) / (n * np.maximum(counts, 1)), 0.0)
    return w[y].astype(np.float32)


def train_recipe(data_dir, out, backbone, *, cam_layer: str | None = None, preprocessing: str | None = None,
                 weights=None, background=None, val_split: float = 0.2, seed: int = 0,
                 input_size=(224, 224), cfg: RecipeConfig | None = None, log=_log_default,
                 curves: bool = True, splits=None) -> RecipeResult:
    """Train a GAP model on DATA_DIR/<class>/* with the small-data recipe; save it to `out`.

    `backbone`: a .keras file, vgg16 or a keras.applications name (then `weights` imagenet or a path).
    `background`: videos / image folders of the user's footage without the people, for a `nobody`
    class. `splits`: (classes, {"train": Split, "val": Split}) to bypass the folder scan (studies).
    """
    from videocam.model.backbones import cut, split_top, top_layers
    from videocam.model.cam_model import save_model
    from videocam.model.nets import build_model

    cfg = cfg or RecipeConfig()
    out = Path(out)
    if out.suffix != ".keras":
        raise UsageError(f"--out must end in .keras: {out}")
    t0 = time.perf_counter()
    classes, sp = splits if splits is not None else scan(data_dir, val_split=val_split, seed=seed)
    classes = list(classes)
    if NOBODY in classes and background:
        raise DataError(f"the data folder already has a '{NOBODY}' class; leave --background out or remove it")
    rng = np.random.default_rng(seed)
    K = keras()
    K.utils.set_random_seed(seed)
    size = tuple(int(v) for v in input_size)

    with _bar(len(sp["train"].paths) + len(sp["val"].paths), "reading photos") as bar:
        photos = read_all_rgb(list(sp["train"].paths) + list(sp["val"].paths), bar)  # every bad one at once
        train_photos, val_photos = photos[:len(sp["train"].paths)], photos[len(sp["train"].paths):]
    y_train, y_val = sp["train"].labels, sp["val"].labels
    if len(train_photos) == 0:
        raise DataError("no training photos")
    bgs = read_backgrounds(background, cfg.max_background_frames) if background else None
    all_classes = classes + ([NOBODY] if bgs else [])
    C = len(all_classes)

    model, info = build_model(C, backbone=str(backbone), head="gap", weights=weights, cam_layer=cam_layer,
                              preprocessing=preprocessing, input_size=size)
    info.classes = list(all_classes)
    size = tuple(int(v) for v in info.input_size)  # a backbone file may fix its own input size
    mode = info.preprocessing
    feat_model = cut(model, info.cam_layer)
    cut_name = split_top(feat_model, cfg.unfreeze)
    lower = cut(model, cut_name) if cut_name else feat_model
    top = top_layers(feat_model, cut_name) if cut_name else []
    gap_layer, dense = model.layers[-2], model.layers[-1]

    n_photos = len(train_photos)
    per_photo = int(max(min(4, cfg.views), min(cfg.views, cfg.max_views // max(1, n_photos))))
    log(f"recipe: {n_photos} training photos of {len(classes)} people ({', '.join(classes)}), "
        f"{len(val_photos)} held out; {per_photo} views each"
        + (f"; nobody from {len(bgs)} background frames" if bgs else "")
        + f"; backbone {Path(str(backbone)).name} to {info.cam_layer}"
        + (f", top {cfg.unfreeze} convolutions above {cut_name} fine-tuned" if cut_name else ", frozen"))

    xv, yv = photo_views(train_photos, y_train, cfg, size, bgs, rng, per_photo)
    if bgs:
        n_bg = int(round(cfg.background_views * len(xv) / max(1, len(classes))))
        with _bar(n_bg, "background views") as bar:
            bg = []
            for _ in range(n_bg):
                bg.append(augment.background_view(rng, bgs, size))
                bar.update(1)
        xv = np.concatenate([xv, np.stack(bg)])
        yv = np.concatenate([yv, np.full(n_bg, C - 1, np.int32)])
    vx, vy = _val_views(val_photos, y_val, size, bgs, rng, cfg, C)

    with _bar(len(xv) + len(vx), "backbone features") as bar:
        f_train = _features(lower, xv, mode)
        bar.update(len(xv))
        f_val = _features(lower, vx, mode) if len(vx) else None
        bar.update(len(vx))
    del xv

    # ---- phase 1: the head on the frozen backbone (pooled features, once)
    top_in = K.Input(shape=f_train.shape[1:], name="cut_features")
    if top:  # the backbone from the cut to the CAM layer: the same layers, so training them trains `model`
        top_model = K.Model(model.get_layer(cut_name).output, model.get_layer(info.cam_layer).output)
        x = top_model(top_in)
        to_pooled = K.Model(top_in, gap_layer(x))
    else:
        to_pooled = None

    def pooled(f):
        if f is None:
            return None
        if to_pooled is None:
            return f.astype(np.float32).mean(axis=(1, 2))
        return _pooled(to_pooled, f)

    C_sw = _class_weights(yv, C)
    p_train, p_val = pooled(f_train), pooled(f_val)
    hist1 = fit_linear_head(dense, p_train, yv, C_sw, p_val, vy, C, cfg)

    # ---- phase 2: top convolutions + head at a lower rate, early stopping on the held-out photos
    hist2 = {"loss": [], "val_loss": [], "accuracy": [], "val_accuracy": [], "best_epoch": 0}
    if top and cfg.tune_epochs > 0:
        for layer in top:
            layer.trainable = not isinstance(layer, K.layers.BatchNormalization)  # BN stays in inference mode
        tuned = K.Model(top_in, dense(gap_layer(x)))
        hist2 = _fit(tuned, f_train, yv, C_sw, f_val, vy, C, cfg.tune_lr, cfg.tune_epochs, cfg.tune_patience, cfg)
    for layer in model.layers:
        layer.trainable = True

    val_acc = None
    if len(val_photos):
        probs = model.predict(preprocess(np.stack([augment.plain_view(p, size) for p in val_photos])
                                         .astype(np.float32), mode), verbose=0, batch_size=cfg.batch)
        val_acc = float(np.mean(np.argmax(probs, 1) == y_val))
    if cfg.refit and f_val is not None and len(vx):
        # the held-out photos have told when to stop; now the head learns from them too
        both = np.concatenate([pooled(f_train), pooled(f_val)])
        yb = np.concatenate([yv, vy])
        fit_linear_head(dense, both, yb, _class_weights(yb, C), None, None, C, cfg)
    info.extra = dict(info.extra or {})
    info.extra["recipe"] = {"views_per_photo": per_photo, "unfreeze": cfg.unfreeze, "cut": cut_name,
                            "head_steps": cfg.head_steps, "tune_epochs": hist2["best_epoch"], "n_train": n_photos,
                            "n_val": len(val_photos), "val_accuracy": val_acc,
                            "background_frames": len(bgs) if bgs else 0}
    # run/live look again at each CAM peak (videocam.stages.verify), with the code's tuned constants
    info.extra["verify"] = {"enabled": True}
    save_model(model, info, out)
    seconds = time.perf_counter() - t0
    curve_path = None
    if curves:
        curve_path = out.with_suffix(".curves.png")
        draw_curves(hist1, hist2, curve_path, title=f"{out.name}: head, then top {cfg.unfreeze} convolutions")
    acc_txt = f"{val_acc:.3f} on {len(val_photos)} held-out photos" if val_acc is not None else "n/a (no held-out photos)"
    log(f"held-out accuracy {acc_txt}; fine-tuning {hist2['best_epoch']} epochs "
        f"({seconds / 60:.1f} min) -> {out}" + (f"; curves {curve_path}" if curve_path else ""))
    return RecipeResult(out, all_classes, val_acc, n_photos, len(val_photos), cfg.head_steps, hist2["best_epoch"], seconds,
                        curve_path, {"head": hist1, "tune": hist2})


def _val_views(photos, labels, size, bgs, rng, cfg, C):
    xs, ys = [], []
    for img, y in zip(photos, labels):
        plain = augment.plain_view(img, size)
        xs += [plain, np.ascontiguousarray(plain[:, ::-1])]
        xs += [augment.make_view(rng, img, size, bgs, cfg.p_zoom_out) for _ in range(max(0, cfg.val_views - 2))]
        ys += [y] * max(2, cfg.val_views)
    if bgs and len(photos):
        n = max(2, len(xs) // max(1, C - 1))
        xs += [augment.background_view(rng, bgs, size) for _ in range(n)]
        ys += [C - 1] * n
    if not xs:
        return np.zeros((0, size[0], size[1], 3), np.uint8), np.zeros((0,), np.int32)
    return np.stack(xs), np.asarray(ys, np.int32)


def fit_linear_head(dense, x, y, sw, xv, yv, C, cfg, log_every: int = 10) -> dict:
    """Phase 1: L2-regularised softmax regression on standardised pooled features (full batch,
    convex, so a fixed number of steps), folded into `dense` so the model stays GAP -> Dense:
    logits = ((g - mu) / sd) W + b = g (W / sd) + (b - (mu / sd) W)."""
    x = np.asarray(x, np.float64)
    mu, sd = x.mean(0), x.std(0) + 1e-6
    z = (x - mu) / sd
    zv = (np.asarray(xv, np.float64) - mu) / sd if xv is not None and len(xv) else None
    yo = np.eye(C)[y] * (1 - cfg.label_smoothing) + cfg.label_smoothing / C
    w = np.asarray(sw, np.float64)[:, None] / np.sum(sw)
    W = np.zeros((x.shape[1], C))
    b = np.zeros(C)
    hist = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}

    def probs(zz):
        a = zz @ W + b
        a -= a.max(1, keepdims=True)
        e = np.exp(a)
        return e / e.sum(1, keepdims=True)

    def record():
        pt = probs(z)
        hist["loss"].append(float(-np.sum(w * yo * np.log(pt + 1e-12))))  # weights sum to 1
        hist["accuracy"].append(float(np.mean(pt.argmax(1) == y)))
        if zv is not None:
            pv = probs(zv)
            yvo = np.eye(C)[yv] * (1 - cfg.label_smoothing) + cfg.label_smoothing / C
            hist["val_loss"].append(float(-np.mean(np.sum(yvo * np.log(pv + 1e-12), axis=1))))
            hist["val_accuracy"].append(float(np.mean(pv.argmax(1) == yv)))

    for step in range(cfg.head_steps):
        g = (probs(z) - yo) * w
        W -= cfg.head_lr * (z.T @ g + cfg.head_l2 * W)
        b -= cfg.head_lr * g.sum(0)
        if (step + 1) % log_every == 0:
            record()
    kernel = (W / sd[:, None]).astype(np.float32)
    bias = (b - (mu / sd) @ W).astype(np.float32)
    dense.set_weights([kernel, bias])
    hist["best_epoch"] = len(hist["loss"])
    return hist


def _pooled(model, feats, batch: int = 64) -> np.ndarray:
    return np.concatenate([np.asarray(model(feats[i:i + batch].astype(np.float32), training=False))
                           for i in range(0, len(feats), batch)])


def _fit(model, x, y, sw, xv, yv, C, lr, epochs, patience, cfg) -> dict:
    """Adam(W) with early stopping on the validation loss (training loss without one); restores the
    best epoch's weights."""
    K = keras()
    model.compile(optimizer=K.optimizers.AdamW(learning_rate=lr, weight_decay=cfg.weight_decay),
                  loss=K.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
                  metrics=["accuracy"])
    yo = np.eye(C, dtype=np.float32)[y]
    have_val = xv is not None and len(xv) > 0
    monitor = "val_loss" if have_val else "loss"
    stop = K.callbacks.EarlyStopping(monitor=monitor, patience=patience, restore_best_weights=True)
    h = model.fit(x.astype(np.float32) if x.dtype == np.float16 and x.ndim == 2 else x, yo, sample_weight=sw,
                  batch_size=cfg.batch, epochs=epochs, verbose=0, shuffle=True, callbacks=[stop],
                  validation_data=(xv, np.eye(C, dtype=np.float32)[yv]) if have_val else None)
    hist = {k: [float(v) for v in vals] for k, vals in h.history.items()}
    seq = hist.get(monitor, [])
    hist["best_epoch"] = int(np.argmin(seq)) + 1 if seq else 0
    return hist


def draw_curves(hist1: dict, hist2: dict, path, title: str = "") -> Path:
    """Loss and accuracy per epoch, training and held-out, of both phases, side by side."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(9, 3.4), dpi=100)
    FigureCanvasAgg(fig)
    n1 = len(hist1.get("loss", []))
    for k, (metric, label) in enumerate((("loss", "loss"), ("accuracy", "accuracy"))):
        ax = fig.add_subplot(1, 2, k + 1)
        for split, style in (("", "-"), ("val_", "--")):
            a = hist1.get(split + metric, []) + hist2.get(split + metric, [])
            if a:
                ax.plot(range(1, len(a) + 1), a, style, label=("held out" if split else "training"))
        if hist2.get("loss"):
            ax.axvline(n1 + 0.5, color="grey", lw=0.8)
            ax.text(n1 + 0.7, ax.get_ylim()[1], "fine-tuning", va="top", fontsize=8, color="grey")
        for h, off in ((hist1, 0), (hist2, n1)):
            if h.get("best_epoch"):
                ax.axvline(off + h["best_epoch"], color="green", lw=0.6, ls=":")
        ax.set_xlabel("epoch (head: 10 full-batch steps each)")
        ax.set_title(label)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    return path
