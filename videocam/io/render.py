"""Drawing results on frames with OpenCV: CAM heatmap, boxes, probability bars.

Everything works on RGB uint8 numpy arrays and returns new arrays; colours
given to OpenCV are RGB tuples. `annotate` uses a shared default `Renderer`;
build your own `Renderer` to change the look. A `Renderer` caches the
colormap LUT and the text layout for each (frame size, class list), so a
640x360 frame takes a few milliseconds.
"""
from __future__ import annotations

import colorsys
import math
import threading
import zlib
from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from videocam.model.cam import normalize, upsample
from videocam.types import NOBODY, UNKNOWN, Box, FrameResult

__all__ = [
    "Renderer",
    "annotate",
    "class_color",
    "class_colors",
    "text_scale",
    "heatmap",
]

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_NOBODY_RGB = (170, 170, 170)
# Below this frame side the probability chart is replaced by one line.
_MIN_BARS_SIDE = 150


# --------------------------------------------------------------------------- #
# Colours and sizes
# --------------------------------------------------------------------------- #


def _hue_rgb(h: float, s: float = 0.80, v: float = 1.0) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return (int(round(r * 255)), int(round(g * 255)), int(round(b * 255)))


def class_color(index: int | None, name: str = "") -> tuple[int, int, int]:
    """A stable RGB colour: by class index (golden-ratio hues, so neighbours
    differ), or by a hash of the name when the index is unknown; grey for
    ``nobody``.

    The one palette: the MP4 and GIF (`Renderer`), the timeline (`eval.report`),
    the CAM grid (`studies.figure`) and any page showing people take a class's
    colour from here, by its index in the model's class list."""
    if name == NOBODY:
        return _NOBODY_RGB
    if index is None or index < 0:
        return _hue_rgb((zlib.crc32(name.encode("utf-8")) % 360) / 360.0)
    # Start on an orange-ish hue, step by the golden ratio.
    return _hue_rgb(0.08 + index * 0.6180339887)


def class_colors(classes: Sequence[str]) -> list[tuple[int, int, int]]:
    return [class_color(i, c) for i, c in enumerate(classes)]


def text_scale(width: int, height: int) -> float:
    """OpenCV font scale readable on a frame of this size (64x64 .. 4K)."""
    s = min(width, height) / 620.0
    return float(min(3.2, max(0.28, s)))


def _thickness(scale: float) -> int:
    return max(1, int(round(scale * 1.6)))


def _lighten(c: tuple[int, int, int], k: float = 0.45) -> tuple[int, int, int]:
    """`c` mixed with white: class colours readable on the dark panel."""
    return tuple(int(round(v + (255 - v) * k)) for v in c)  # type: ignore[return-value]


def _text_color_on(bg: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = bg
    return (0, 0, 0) if (0.299 * r + 0.587 * g + 0.114 * b) > 140 else (255, 255, 255)


# --------------------------------------------------------------------------- #
# Heatmap
# --------------------------------------------------------------------------- #


def _rgb_lut(colormap: int) -> np.ndarray:
    g = np.arange(256, dtype=np.uint8).reshape(256, 1)
    bgr = cv2.applyColorMap(g, colormap)  # (256, 1, 3) BGR
    return np.ascontiguousarray(bgr[:, :, ::-1])


_JET = _rgb_lut(cv2.COLORMAP_JET)


def heatmap(cam: np.ndarray, width: int, height: int) -> np.ndarray | None:
    """One CAM (h, w) -> float32 (height, width) in [0, 1]: the paper's max normalisation
    (`videocam.cam.normalize`) with negatives clipped, upsampled bilinearly. None when the
    map has nothing positive (or is not finite)."""
    cam = np.asarray(cam, dtype=np.float32)
    if cam.ndim != 2 or cam.size == 0:
        return None
    cam = np.nan_to_num(cam, nan=0.0, posinf=0.0, neginf=0.0)
    if not float(cam.max()) > 0:
        return None
    small = np.maximum(normalize(cam, "max"), 0.0)
    return small if small.shape == (height, width) else upsample(small, width, height)


def overlay(rgb: np.ndarray, heat: np.ndarray | None, alpha: float = 0.5, lut: np.ndarray | None = None) -> np.ndarray:
    """The CAM figure's overlay: (1 - alpha) * image + alpha * JET(map) everywhere, as a new
    image; the image unchanged without a map."""
    if heat is None:
        return rgb.copy()
    colours = cv2.applyColorMap(cv2.convertScaleAbs(heat, alpha=255.0), _JET if lut is None else lut)
    return cv2.addWeighted(rgb, 1.0 - alpha, colours, alpha, 0.0)


# --------------------------------------------------------------------------- #
# Layout
# --------------------------------------------------------------------------- #


def _fit_name(name: str, n: int = 14) -> str:
    return name if len(name) <= n else name[: n - 1] + "~"


@dataclass
class _Layout:
    """Sizes for one (frame size, classes): computed once, reused."""

    scale: float            # box-tag font scale
    thick: int
    line: int               # box line thickness
    pscale: float           # panel font scale
    pthick: int
    margin: int
    pad: int
    row_h: int
    text_h: int
    baseline: int
    names: list[str]
    name_w: int
    bar_w: int
    val_w: int
    panel_w: int
    max_rows: int           # class rows that fit (the decision row aside)
    colors: list[tuple[int, int, int]]
    light: list[tuple[int, int, int]]   # lightened colours for panel text


def _layout(width: int, height: int, classes: tuple[str, ...]) -> _Layout:
    scale = text_scale(width, height)
    thick = _thickness(scale)
    line = max(1, int(round(min(width, height) / 300)))
    pscale = max(0.28, scale * 0.85)
    pthick = max(1, _thickness(pscale) - (1 if pscale > 0.9 else 0))
    (_, th), base = cv2.getTextSize("Ag", _FONT, pscale, pthick)
    pad = max(1, int(round(th * 0.35)))
    row_h = th + base + pad
    margin = max(1, int(round(min(width, height) * 0.015)))
    names = [_fit_name(c) for c in classes]
    name_w = max([cv2.getTextSize(n, _FONT, pscale, pthick)[0][0] for n in names] or [0])
    val_w = cv2.getTextSize("0.00", _FONT, pscale, pthick)[0][0]
    bar_w = max(6, int(round(th * 4)))
    head_w = max([cv2.getTextSize(f"{n} 0.00", _FONT, pscale, pthick)[0][0]
                  for n in names] or [0])
    # Wide enough for the decision line too.
    bar_w = max(bar_w, head_w - name_w - val_w - 2 * pad)
    panel_w = pad + name_w + pad + bar_w + pad + val_w + pad
    # Never wider than ~half the frame: shrink the bars first, then the names.
    limit = max(20, width // 2)
    if panel_w > limit:
        over = panel_w - limit
        cut = min(over, bar_w - 6)
        bar_w -= cut
        name_w = max(0, name_w - (over - cut))
        panel_w = pad + name_w + pad + bar_w + pad + val_w + pad
    avail = height - 2 * margin - pad - row_h  # room below the decision row
    max_rows = max(0, min(len(classes), avail // row_h))
    if min(width, height) < _MIN_BARS_SIDE or name_w < cv2.getTextSize("abc", _FONT, pscale, pthick)[0][0]:
        # Too small for a readable chart: the decision line only.
        max_rows = 0
        panel_w = min(width - 2 * margin, pad + max(
            [cv2.getTextSize(f"{n} 0.00", _FONT, pscale, pthick)[0][0] for n in names] or [0]) + pad)
    colors = class_colors(classes)
    return _Layout(scale, thick, line, pscale, pthick, margin, pad, row_h, th, base,
                   names, name_w, bar_w, val_w, panel_w, max_rows,
                   colors, [_lighten(c) for c in colors])


# --------------------------------------------------------------------------- #
# Renderer
# --------------------------------------------------------------------------- #


class Renderer:
    """Draws a `FrameResult` on its frame.

    - heatmap: the CAM of the decided class (`result.label`; none for
      ``nobody`` or an empty label), normalised by its max, JET colours.
      ``mode="masked"`` (default) blends up to `alpha` where the map is
      strong and fades to nothing where it is weak, so the rest of the picture
      stays clean; ``mode="uniform"`` blends the whole frame at `alpha` as in
      the original CAM figures.
    - boxes: rectangles in the class colour with a "name 0.93" tag.
    - bars: a semi-transparent panel top-left with the decision and one bar
      per class (the most probable classes when they do not all fit).
    """

    def __init__(
        self,
        alpha: float = 0.5,
        show_bars: bool = True,
        mode: str = "masked",
        colormap: int = cv2.COLORMAP_JET,
        knee: float = 0.35,
    ) -> None:
        if mode not in ("masked", "uniform"):
            raise ValueError(f"mode must be 'masked' or 'uniform', not {mode!r}")
        self.alpha = float(alpha)
        self.show_bars = show_bars
        self.mode = mode
        self.knee = float(knee)
        self._lut = _rgb_lut(colormap)
        self._layouts: dict[tuple, _Layout] = {}
        self._lock = threading.Lock()

    def layout(self, width: int, height: int, classes: Sequence[str]) -> _Layout:
        key = (int(width), int(height), tuple(classes))
        lay = self._layouts.get(key)
        if lay is None:
            lay = _layout(key[0], key[1], key[2])
            with self._lock:
                if len(self._layouts) > 64:
                    self._layouts.clear()
                self._layouts[key] = lay
        return lay

    # -- parts ---------------------------------------------------------------

    def blend_heat(self, rgb: np.ndarray, norm: np.ndarray, alpha: float) -> np.ndarray:
        """Blend a [0, 1] float map (H, W) over `rgb`; returns a new image."""
        if self.mode == "uniform":
            return overlay(rgb, norm, alpha, self._lut)
        heat = cv2.applyColorMap(cv2.convertScaleAbs(norm, alpha=255.0), self._lut)
        # per-pixel weight min(norm / knee, 1) * alpha as uint8, then two saturating
        # uint8 multiplies and an add: about 2x faster than cv2.blendLinear on floats
        w = cv2.convertScaleAbs(norm, alpha=255.0 * alpha / max(self.knee, 1e-6))
        np.minimum(w, np.uint8(round(255 * alpha)), out=w)
        w3 = cv2.cvtColor(w, cv2.COLOR_GRAY2RGB)
        return cv2.add(cv2.multiply(rgb, cv2.bitwise_not(w3), scale=1 / 255.0),
                       cv2.multiply(heat, w3, scale=1 / 255.0))

    def draw_box(self, img: np.ndarray, box: Box, color, lay: _Layout, avoid=None) -> None:
        H, W = img.shape[:2]
        x0 = int(min(max(box.x0, 0), W - 1))
        y0 = int(min(max(box.y0, 0), H - 1))
        x1 = int(min(max(box.x1 - 1, x0), W - 1))  # x1/y1 are exclusive
        y1 = int(min(max(box.y1 - 1, y0), H - 1))
        cv2.rectangle(img, (x0, y0), (x1, y1), color, lay.line, cv2.LINE_AA)
        # a stranger is tagged by his group (`unknown u3`): his score is only the doubt that he is anyone
        text = box.who if box.label == UNKNOWN else f"{box.label} {box.score:.2f}"
        (tw, th), base = cv2.getTextSize(text, _FONT, lay.scale, lay.thick)
        pad = max(1, th // 4)
        bh = th + base + 2 * pad
        # Above the box when there is room, else just inside its top edge.
        ty0 = y0 - bh if y0 - bh >= 0 else min(y0, max(0, H - bh))
        tx0 = min(x0, max(0, W - tw - 2 * pad))
        if avoid is not None and _overlaps((tx0, ty0, tx0 + tw + 2 * pad, ty0 + bh), avoid):
            # keep the tag off the probability panel: beside it, else at the box's bottom
            if avoid[2] + 2 + tw + 2 * pad <= min(W, max(x1, avoid[2] + tw + 2 * pad + 2)):
                tx0 = avoid[2] + 2
            else:
                ty0 = max(0, min(y1 - bh, H - bh))
        cv2.rectangle(img, (tx0, ty0), (tx0 + tw + 2 * pad - 1, ty0 + bh - 1), color, -1)
        cv2.putText(img, text, (tx0 + pad, ty0 + pad + th), _FONT, lay.scale,
                    _text_color_on(color), lay.thick, cv2.LINE_AA)

    def draw_bars(self, img: np.ndarray, result: FrameResult, lay: _Layout):
        """Draw the panel; returns its rectangle (x0, y0, x1, y1) or None."""
        H, W = img.shape[:2]
        classes = result.classes
        probs = np.asarray(result.probs, dtype=np.float64).reshape(-1)
        n = min(len(classes), probs.size)
        rows = list(range(n))
        label = result.label or ""
        try:
            di = list(classes).index(label)
        except ValueError:
            di = -1
        if lay.max_rows < n:
            # Keep the most probable ones (and the decided one), in class order.
            key = np.nan_to_num(probs[:n].copy(), nan=-1.0)
            if 0 <= di < n:
                key[di] = np.inf
            top = np.argsort(-key, kind="stable")[: lay.max_rows]
            rows = sorted(int(i) for i in top)
        m, pad, rh = lay.margin, lay.pad, lay.row_h
        x0, y0 = m, m
        ph = pad + rh * (1 + len(rows))
        x1, y1 = min(W, x0 + lay.panel_w), min(H, y0 + ph)
        if x1 <= x0 or y1 <= y0:
            return None
        roi = img[y0:y1, x0:x1]
        cv2.convertScaleAbs(roi, roi, 0.35)  # darken in place: a see-through panel
        # Decision row.
        name = lay.names[di] if 0 <= di < len(lay.names) else _fit_name(label)
        head = f"{name} {result.score:.2f}" if label else "-"
        hcol = lay.light[di] if 0 <= di < len(lay.light) else (
            _NOBODY_RGB if label == NOBODY else (235, 235, 235))
        ty = y0 + pad + lay.text_h
        cv2.putText(img, head, (x0 + pad, ty), _FONT, lay.pscale, hcol, lay.pthick,
                    cv2.LINE_AA)
        bx = x0 + pad + lay.name_w + pad
        for k, i in enumerate(rows):
            top = y0 + pad + rh * (k + 1)
            ty = top + lay.text_h
            col = lay.colors[i]
            p = float(probs[i]) if math.isfinite(probs[i]) else 0.0
            p = min(1.0, max(0.0, p))
            txt_col = lay.light[i] if i == di else (225, 225, 225)
            if lay.name_w > 0:
                cv2.putText(img, lay.names[i], (x0 + pad, ty), _FONT, lay.pscale,
                            txt_col, lay.pthick, cv2.LINE_AA)
            by0 = top + max(0, (lay.text_h - max(2, lay.text_h * 2 // 3)) // 2) + 1
            by1 = by0 + max(2, lay.text_h * 2 // 3)
            cv2.rectangle(img, (bx, by0), (bx + lay.bar_w - 1, by1), (70, 70, 70), -1)
            fill = int(round(p * lay.bar_w))
            if fill > 0:
                cv2.rectangle(img, (bx, by0), (bx + fill - 1, by1), col, -1)
            cv2.putText(img, f"{p:.2f}", (bx + lay.bar_w + pad, ty),
                        _FONT, lay.pscale, txt_col, lay.pthick, cv2.LINE_AA)
        return (x0, y0, x1, y1)

    # -- all together ----------------------------------------------------------

    def annotate(
        self,
        rgb: np.ndarray,
        result: FrameResult,
        alpha: float | None = None,
        show_bars: bool | None = None,
    ) -> np.ndarray:
        """A new RGB uint8 image, same size as `rgb`, with heatmap, boxes and
        probability bars drawn on it."""
        alpha = self.alpha if alpha is None else float(alpha)
        show_bars = self.show_bars if show_bars is None else show_bars
        img = np.asarray(rgb)
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f"expected (H, W, 3) uint8 RGB, got {img.shape} {img.dtype}")
        H, W = img.shape[:2]
        classes = tuple(result.classes)
        lay = self.layout(W, H, classes)

        out = None
        idx = self._class_index(result)
        several = result.notes.get("heat_classes") if isinstance(result.notes, dict) else None
        if several and alpha > 0 and result.cams is not None:  # a face model: each named person's own map
            maps = [heatmap(result.cams[i], W, H) for i in several]
            maps = [m for m in maps if m is not None]
            if maps:
                out = self.blend_heat(np.ascontiguousarray(img), np.maximum.reduce(maps), alpha)
        elif idx is not None and alpha > 0:
            norm = heatmap(result.cams[idx], W, H)
            if norm is not None:
                out = self.blend_heat(np.ascontiguousarray(img), norm, alpha)
        if out is None:
            out = img.copy()

        panel = None
        if show_bars and classes:
            panel = self.draw_bars(out, result, lay)
        # Boxes last: a box's tag stays readable even over the panel.
        for b in result.boxes:
            try:
                bi = classes.index(b.label)
            except ValueError:
                bi = None
            col = lay.colors[bi] if bi is not None else class_color(None, b.who)
            self.draw_box(out, b, col, lay, avoid=panel)
        return out

    @staticmethod
    def _class_index(result: FrameResult) -> int | None:
        label = result.label
        if not label or label == NOBODY:
            return None
        try:
            i = list(result.classes).index(label)
        except ValueError:
            return None
        cams = result.cams
        if cams is None:
            return None
        cams = np.asarray(cams)
        if cams.ndim != 3 or i >= cams.shape[0]:
            return None
        return i

    __call__ = annotate


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


_DEFAULT = Renderer()


def annotate(
    rgb: np.ndarray,
    result: FrameResult,
    alpha: float = 0.5,
    show_bars: bool = True,
) -> np.ndarray:
    """Draw `result` on `rgb` with the default `Renderer` (see there)."""
    return _DEFAULT.annotate(rgb, result, alpha=alpha, show_bars=show_bars)
