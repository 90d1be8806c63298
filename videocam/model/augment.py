"""Augmented views of a handful of photos, made once (numpy + OpenCV) so the recipe can cache the
backbone's features of each view.

A user's photos are portraits; in a video the same person is small or large, anywhere in a wide
frame that the model sees squashed to a square, under other light. So a view is either a random
resized crop of the photo, or the photo *zoomed out*: pasted at 15-85% of the height of a wide
canvas of background (frames of the user's own footage when given, else synthetic clutter) and the
canvas squashed to the model's input, as a video frame is. Then flips, light and colour.
"""
from __future__ import annotations

import math
from typing import Sequence

import cv2
import numpy as np

P_ZOOM_OUT = 0.25           # share of views that show the photo zoomed out on a background
ZOOM_HEIGHT = (0.45, 0.95)  # photo height as a fraction of the canvas height
CANVAS_ASPECT = (1.0, 16 / 9)  # canvas width / height (square to 16:9), squashed to the input
CROP_AREA = (0.45, 1.0)     # random resized crops: area fraction and aspect range
CROP_RATIO = (3 / 4, 4 / 3)


def _resize(img: np.ndarray, w: int, h: int) -> np.ndarray:
    interp = cv2.INTER_AREA if img.shape[0] > h else cv2.INTER_LINEAR
    return cv2.resize(img, (max(1, w), max(1, h)), interpolation=interp)


def synthetic_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Cluttered synthetic scenery (the benchmark's), for when no footage is given."""
    from videocam.synth.scenes import make_background
    return make_background(rng, (w, h))  # it takes (width, height)


def background_crop(rng: np.random.Generator, backgrounds: Sequence[np.ndarray] | None, h: int, w: int,
                    area=(0.3, 1.0)) -> np.ndarray:
    """A random h x w crop (resized) of a random background frame, or synthetic clutter."""
    if not backgrounds:
        return synthetic_background(rng, h, w)
    src = backgrounds[int(rng.integers(len(backgrounds)))]
    H, W = src.shape[:2]
    a = rng.uniform(*area)
    ch = int(np.clip(math.sqrt(a * H * W * h / w), 8, H))
    cw = int(np.clip(ch * w / h, 8, W))
    y, x = int(rng.integers(0, H - ch + 1)), int(rng.integers(0, W - cw + 1))
    return _resize(src[y:y + ch, x:x + cw], w, h)


def zoom_out(rng: np.random.Generator, photo: np.ndarray, backgrounds, canvas_h: int = 360) -> np.ndarray:
    """The photo pasted small somewhere on a wide background canvas (not yet squashed)."""
    aspect = rng.uniform(*CANVAS_ASPECT)
    H, W = canvas_h, int(round(canvas_h * aspect))
    canvas = background_crop(rng, backgrounds, H, W).copy()
    ph = int(round(rng.uniform(*ZOOM_HEIGHT) * H))
    pw = max(8, int(round(ph * photo.shape[1] / photo.shape[0])))
    pw = min(pw, W)
    small = _resize(photo, pw, ph)
    y, x = int(rng.integers(0, H - ph + 1)), int(rng.integers(0, W - pw + 1))
    canvas[y:y + ph, x:x + pw] = small
    return canvas


def random_crop(rng: np.random.Generator, photo: np.ndarray) -> np.ndarray:
    H, W = photo.shape[:2]
    for _ in range(10):
        a = rng.uniform(*CROP_AREA) * H * W
        r = math.exp(rng.uniform(math.log(CROP_RATIO[0]), math.log(CROP_RATIO[1])))
        cw, ch = int(round(math.sqrt(a * r))), int(round(math.sqrt(a / r)))
        if cw <= W and ch <= H:
            y, x = int(rng.integers(0, H - ch + 1)), int(rng.integers(0, W - cw + 1))
            return photo[y:y + ch, x:x + cw]
    return photo


def photometric(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """Light and colour: brightness, contrast, saturation, hue, gamma; sometimes grey, blur, noise."""
    x = img.astype(np.float32) / 255.0
    x = x * rng.uniform(0.65, 1.35)                                   # brightness
    m = x.mean()
    x = (x - m) * rng.uniform(0.65, 1.4) + m                          # contrast
    grey = x.mean(axis=2, keepdims=True)
    s = 0.0 if rng.random() < 0.1 else rng.uniform(0.5, 1.5)
    x = grey + (x - grey) * s                                         # saturation (10%: grey)
    x = np.clip(x, 0.0, 1.0) ** rng.uniform(0.75, 1.35)              # gamma
    x = x * rng.uniform(0.9, 1.1, size=3).astype(np.float32)          # colour cast / white balance
    out = np.clip(x * 255.0, 0, 255).astype(np.uint8)
    if rng.random() < 0.25:
        k = int(rng.choice([3, 5]))
        out = cv2.GaussianBlur(out, (k, k), 0)
    if rng.random() < 0.25:
        noise = rng.normal(0, rng.uniform(2, 8), out.shape)
        out = np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return out


def make_view(rng: np.random.Generator, photo: np.ndarray, size: tuple[int, int], backgrounds=None,
              p_zoom_out: float = P_ZOOM_OUT) -> np.ndarray:
    """One augmented view of `photo` (uint8 RGB), squashed to `size` (height, width)."""
    h, w = size
    img = zoom_out(rng, photo, backgrounds) if rng.random() < p_zoom_out else random_crop(rng, photo)
    img = _resize(img, w, h)
    if rng.random() < 0.5:
        img = img[:, ::-1]
    return photometric(rng, np.ascontiguousarray(img))


def background_view(rng: np.random.Generator, backgrounds, size: tuple[int, int]) -> np.ndarray:
    """A view with nobody in it: a crop of the footage (or clutter), squashed to `size`."""
    h, w = size
    aspect = 1.0 if rng.random() < 0.5 else rng.uniform(*CANVAS_ASPECT)  # square: as `Verify` crops
    # any size, down to the small squares `Verify` crops around a map's peak (a tenth of the frame)
    area = math.exp(rng.uniform(math.log(0.01), 0.0))
    img = background_crop(rng, backgrounds, 360, int(round(360 * aspect)), area=(area, area))
    img = _resize(img, w, h)
    if rng.random() < 0.5:
        img = img[:, ::-1]
    return photometric(rng, np.ascontiguousarray(img))


def plain_view(photo: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return _resize(photo, size[1], size[0])
