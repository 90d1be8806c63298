"""Class Activation Map maths (Zhou et al. 2016), pure numpy.

`M_c(x, y) = sum_k w_k^c f_k(x, y)`: one matrix product over the batch turns
the last conv features and the Dense kernel into maps for every class, with
no Python loop over channels and no second forward pass.
"""
from __future__ import annotations

import cv2
import numpy as np

NORMS = ("max", "minmax")


def class_activation_maps(features: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Raw CAMs (B, C, h, w) from features (B, h, w, K) and Dense kernel (K, C).

    No bias, no ReLU, no normalisation: exactly `sum_k W[k, c] * f_k`.
    """
    features = np.asarray(features, dtype=np.float32)
    weights = np.asarray(weights, dtype=np.float32)
    b, h, w, k = features.shape
    if weights.shape[0] != k:
        raise ValueError(f"features have {k} channels but the kernel has {weights.shape[0]} rows")
    maps = features.reshape(b * h * w, k) @ weights  # BLAS matmul, (B*h*w, C)
    return np.ascontiguousarray(maps.reshape(b, h, w, -1).transpose(0, 3, 1, 2))


def grad_cam_maps(features: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017) from features and d score / d features.

    features, grads: (B, h, w, K) -> (B, h, w) maps, `ReLU(sum_k a_k f_k)` with
    `a_k` the spatial mean of the gradient. On a GAP + Dense model `a_k` is
    `W[k, c] / (h*w)`, so Grad-CAM is the CAM scaled by 1/(h*w) (after ReLU).
    """
    alphas = np.asarray(grads, dtype=np.float32).mean(axis=(1, 2))  # (B, K)
    maps = np.einsum("bhwk,bk->bhw", np.asarray(features, dtype=np.float32), alphas)
    return np.maximum(maps, 0.0)


NEG_FLOOR = np.float32(-1e30)  # where `max` normalisation clamps negative evidence


def normalize(cam: np.ndarray, mode: str = "max") -> np.ndarray:
    """Scale one map (h, w) for thresholding.

    `max` is the paper's `cam / cam.max()` (negative evidence stays below 0 and
    so below any threshold); `minmax` maps the range to [0, 1]. A map with no
    positive evidence normalises to all zeros (nothing to box).
    """
    cam = np.asarray(cam, dtype=np.float32)
    if mode == "max":
        peak = float(cam.max()) if cam.size else 0.0
        if peak <= 0.0 or not np.isfinite(peak):
            return np.zeros_like(cam)
        # A tiny peak beside large negatives would overflow to -inf (and NaN once upsampled);
        # clamping keeps negative evidence negative and finite.
        with np.errstate(over="ignore"):
            out = cam / np.float32(peak)
        return np.maximum(out, NEG_FLOOR, out=out)
    if mode == "minmax":
        lo, hi = float(cam.min()), float(cam.max())
        if hi - lo <= 1e-12 or not np.isfinite(hi - lo):
            return np.zeros_like(cam)
        return (cam - lo) / (hi - lo)
    raise ValueError(f"unknown normalisation {mode!r}; use one of {', '.join(NORMS)}")


def upsample(cam: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear resize of a map (h, w) to (height, width), as the paper does."""
    return cv2.resize(np.asarray(cam, dtype=np.float32), (int(width), int(height)),
                      interpolation=cv2.INTER_LINEAR)
