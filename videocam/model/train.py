"""Train a CAM-ready classifier on a folder of labelled images.

From-scratch training on a CPU is slow to start on cluttered scenes; what
made the small GAP net learn quickly here: batch norm + strided stem (in the
model), AdamW with a short warm-up and cosine decay, label smoothing, and
augmentation that keeps identity but moves and rescales it (random crops,
flips, colour jitter). Best-on-validation weights are kept.
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from videocam.model._backend import keras, tf
from videocam.model.cam_model import save_model
from videocam.model.data import DataError, load_images, scan, unreadable
from videocam.model.nets import build_model, preprocess
from videocam.types import NOBODY


@dataclass
class TrainResult:
    path: Path
    classes: list[str]
    best_val_accuracy: float
    best_epoch: int
    epochs: int
    seconds: float
    params: int
    warnings: list = field(default_factory=list)  # training_warnings(): near chance, few images


FEW_VAL_IMAGES = 30        # fewer validation images than this: one image moves the accuracy by > 3 points
FEW_VAL_PER_CLASS = 5


def training_warnings(best: float, n_val: int, n_classes: int) -> list[str]:
    """What a finished training run must say out loud: a best validation accuracy no better than chance
    (within two standard errors of it, at least 0.1), or one measured on a handful of images; then
    what to do. Empty when neither."""
    chance = 1.0 / max(1, n_classes)
    said = []
    if n_val > 0 and best <= chance + max(0.1, 2.0 * math.sqrt(chance * (1 - chance) / n_val)):
        said.append(f"the best validation accuracy, {best:.4f}, is no better than chance for {n_classes} "
                    f"classes ({chance:.2f}): the model has not learnt to tell them apart")
    if n_val < FEW_VAL_IMAGES or n_val < FEW_VAL_PER_CLASS * n_classes:
        said.append(f"the validation accuracy was measured on {n_val} validation images (one image moves it by "
                    f"{1 / max(1, n_val):.2f}): it says little about new photos")
    if said:
        said.append("what to do: more photos per person (tens at least; hundreds to train from scratch), a pretrained "
                    "backbone (--backbone vgg16 --weights imagenet, from the Keras cache), more --epochs, and a "
                    "val/ folder or --val-split that holds out enough images to measure")
    return said


def hide_patches(img, grid: int = 4, p_hide: float = 0.4, p_apply: float = 0.7):
    """Hide-and-Seek (Singh & Lee, ICCV 2017): blank random grid cells of a training image.

    A CAM lights only the most discriminative part (a face, a tie); hiding
    random parts forces the network to use the rest of the person too, so
    the thresholded map covers more of it. Cells are filled with the image's
    mean colour. Applied to a `p_apply` fraction of images.
    """
    t = tf()
    h, w = t.shape(img)[0], t.shape(img)[1]
    keep = t.cast(t.random.uniform([grid, grid]) >= p_hide, img.dtype)
    keep = t.image.resize(keep[..., None], (h, w), method="nearest")
    apply = t.cast(t.random.uniform([]) < p_apply, img.dtype)
    keep = 1.0 - apply * (1.0 - keep)
    mean = t.reduce_mean(img, axis=[0, 1], keepdims=True)
    return img * keep + mean * (1.0 - keep)


def mosaic_batch(x, y, p: float, nobody: int | None = None):
    """Two training images side by side, each squashed to its share of the width (a batch-level
    CutMix, Yun et al. ICCV 2019): what a two-shot of a 16:9 frame squashed to the square input
    looks like. A fraction `p` of the batch becomes such mosaics, each with the next image of a
    shuffled copy of the batch, at one split (0.35, 0.5 or 0.65 of the width) per batch.

    The label is each person's share of the width (the larger one wins, the truth's rule for a
    frame of several people), so the map must light both people, not just the strongest; a
    `nobody` tile (class index `nobody`) adds no share: a person beside an empty stage is that
    person. Two `nobody` tiles stay `nobody`.
    """
    t = tf()
    b = t.shape(x)[0]
    h, w = x.shape[1], x.shape[2]
    perm = t.random.shuffle(t.range(b))
    x2, y2 = t.gather(x, perm), t.gather(y, perm)
    share = t.gather(t.constant([0.35, 0.5, 0.65]), t.random.uniform([], 0, 3, dtype=t.int32))
    left_w = t.cast(t.round(share * w), t.int32)
    left = t.image.resize(x, t.stack([h, left_w]))
    right = t.image.resize(x2, t.stack([h, w - left_w]))
    mixed = t.concat([left, right], axis=2)
    mixed = t.ensure_shape(mixed, x.shape)
    real_share = t.cast(left_w, t.float32) / float(w)
    wl = t.fill([b, 1], real_share)
    wr = 1.0 - wl
    if nobody is not None:
        wl = wl * (1.0 - y[:, nobody:nobody + 1])
        wr = wr * (1.0 - y2[:, nobody:nobody + 1])
    total = wl + wr
    y_mix = t.where(total > 0, (wl * y + wr * y2) / t.maximum(total, 1e-6), y)
    use = t.random.uniform([b]) < p
    return (t.where(use[:, None, None, None], mixed, x),
            t.where(use[:, None], y_mix, y))


def _augment_fn(out_size, load_size, mode, num_classes, seed, hide: bool = False):
    t = tf()
    oh, ow = out_size
    lh, lw = load_size

    def aug(img, label):
        img = t.cast(img, t.float32)
        # random crop: area 50-100%, aspect 0.8-1.25, then resize to the input size
        area = t.random.uniform([], 0.5, 1.0)
        ratio = t.exp(t.random.uniform([], math.log(0.8), math.log(1.25)))
        ch = t.cast(t.clip_by_value(t.sqrt(area / ratio) * lh, 16.0, float(lh)), t.int32)
        cw = t.cast(t.clip_by_value(t.sqrt(area * ratio) * lw, 16.0, float(lw)), t.int32)
        img = t.image.random_crop(img, t.stack([ch, cw, 3]))
        img = t.image.resize(img, (oh, ow))
        img = t.image.random_flip_left_right(img)
        img = img / 255.0
        img = t.image.random_brightness(img, 0.15)
        img = t.image.random_contrast(img, 0.7, 1.3)
        img = t.image.random_saturation(img, 0.7, 1.3)
        img = t.image.random_hue(img, 0.04)
        img = t.clip_by_value(img, 0.0, 1.0) * 255.0
        if hide:
            img = hide_patches(img)
        return preprocess(img, mode), t.one_hot(label, num_classes)

    return aug


def _plain_fn(out_size, mode, num_classes):
    t = tf()

    def plain(img, label):
        img = t.image.resize(t.cast(img, t.float32), out_size)
        return preprocess(img, mode), t.one_hot(label, num_classes)

    return plain


class _BestCheckpoint:
    """Save (with metadata) whenever validation accuracy improves."""

    def __new__(cls, path, info, monitor="val_accuracy"):
        K = keras()

        class BestCheckpoint(K.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.best = -1.0
                self.best_epoch = 0

            def on_epoch_end(self, epoch, logs=None):
                logs = logs or {}
                v = float(logs.get(monitor, -1.0))
                if v > self.best:
                    self.best, self.best_epoch = v, epoch + 1
                    save_model(self.model, info, path)

        return BestCheckpoint()


def train(
    data_dir,
    out,
    backbone: str = "small",
    head: str = "gap",
    weights=None,
    epochs: int = 12,
    batch: int = 32,
    lr: float = 3e-3,
    val_split: float = 0.15,
    width: int = 32,
    seed: int = 0,
    input_size=(224, 224),
    hide: bool = False,
    mosaic: float = 0.0,
    stride: int = 16,
    cam_layer: str | None = None,
    preprocessing: str | None = None,
    verbose: int | None = None,
    log=print,
    warn=None,
) -> TrainResult:
    """Train and save the best-on-validation model to `out` (.keras); `warn(line)` hears
    `training_warnings` (default: `warning:` lines on stderr)."""
    out = Path(out)
    if out.suffix != ".keras":
        raise DataError(f"--out must end in .keras: {out}")
    if epochs < 1 or batch < 1:
        raise DataError("--epochs and --batch must be at least 1")
    if not 0.0 <= mosaic <= 1.0:
        raise DataError(f"--mosaic must be between 0 and 1, got {mosaic}")
    classes, splits = scan(data_dir, val_split=val_split, seed=seed)
    t = tf()
    K = keras()
    K.utils.set_random_seed(seed)
    load_size = (int(input_size[0] * 8 / 7), int(input_size[1] * 8 / 7))  # room for random crops
    n_img = len(splits["train"].paths) + len(splits["val"].paths)
    with tqdm(total=n_img, desc="loading images", unit="img", disable=not sys.stderr.isatty(), leave=False) as bar:
        bad: list[str] = []  # every unreadable image of both splits, in one error
        x_train = load_images(splits["train"].paths, load_size, bar, bad=bad)
        x_val = load_images(splits["val"].paths, tuple(input_size), bar, bad=bad)
        if bad:
            raise DataError(unreadable(bad))
    y_train, y_val = splits["train"].labels, splits["val"].labels
    model, info = build_model(len(classes), backbone=backbone, head=head, weights=weights,
                              width=width, input_size=tuple(input_size), stride=stride, cam_layer=cam_layer,
                              preprocessing=preprocessing)
    info.classes = list(classes)
    mode = info.preprocessing
    C = len(classes)
    AUTO = t.data.AUTOTUNE
    ds_train = (t.data.Dataset.from_tensor_slices((x_train, y_train))
                .shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)
                .map(_augment_fn(tuple(input_size), load_size, mode, C, seed, hide), num_parallel_calls=AUTO)
                .batch(batch))
    if mosaic > 0:
        nobody = classes.index(NOBODY) if NOBODY in classes else None
        ds_train = ds_train.map(lambda x, y: mosaic_batch(x, y, mosaic, nobody), num_parallel_calls=AUTO)
    ds_train = ds_train.prefetch(AUTO)
    ds_val = (t.data.Dataset.from_tensor_slices((x_val, y_val))
              .map(_plain_fn(tuple(input_size), mode, C), num_parallel_calls=AUTO)
              .batch(batch).prefetch(AUTO))
    steps = max(1, math.ceil(len(x_train) / batch)) * epochs
    warm = max(1, steps // 20)
    schedule = K.optimizers.schedules.CosineDecay(lr * 0.1, decay_steps=max(1, steps - warm), alpha=0.01,
                                                 warmup_target=lr, warmup_steps=warm)
    model.compile(optimizer=K.optimizers.AdamW(learning_rate=schedule, weight_decay=1e-4),
                  loss=K.losses.CategoricalCrossentropy(label_smoothing=0.05),
                  metrics=["accuracy"])
    ckpt = _BestCheckpoint(out, info)
    log(f"training {backbone}/{head} on {len(x_train)} images ({C} classes: {', '.join(classes)}), "
        f"validating on {len(x_val)}, {epochs} epochs")
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    t0 = time.perf_counter()
    model.fit(ds_train, validation_data=ds_val, epochs=epochs, callbacks=[ckpt], verbose=verbose,
              shuffle=False)  # the dataset shuffles itself
    seconds = time.perf_counter() - t0
    log(f"best validation accuracy {ckpt.best:.4f} at epoch {ckpt.best_epoch}/{epochs} "
        f"({seconds / 60:.1f} min) -> {out}")
    said = training_warnings(ckpt.best, len(x_val), C)
    warn = warn or (lambda line: print(f"warning: {line}", file=sys.stderr))
    for line in said:
        warn(line)
    return TrainResult(out, list(classes), ckpt.best, ckpt.best_epoch, epochs, seconds, model.count_params(),
                       said)

