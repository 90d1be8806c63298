"""The study's CAM figure: one column per image, four rows.

1. the image, titled with its top classes and probabilities;
2. the class activation map of the top class (or a chosen class), max-normalised;
3. the map over the image at alpha 0.5;
4. the box: the largest region above `threshold` (20%) of the map's max, on the image, only
   for a person the model finds in the image (as `run --multi` would box them): a map of
   `nobody`, or of a class whose probability is near 0, is shown without a box.

Models without a GAP head get Grad-CAM (the row is titled so). Matplotlib
`Figure` + Agg canvas, no pyplot state.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from videocam.errors import UsageError
from videocam.model.data import IMAGE_EXTS, DataError, read_rgb

DEFAULT_OUT = Path("outputs") / "cam_grid.png"
MAX_COLUMNS = 12
ALPHA = 0.5
ROW_NAMES = ("image", "{map}", "overlay (alpha 0.5)", "box ({pct}% of max)")


@dataclass
class CamView:
    """Everything one column of the figure shows, for one image."""

    path: Path | None
    image: np.ndarray  # (H, W, 3) uint8 RGB
    probs: np.ndarray  # (C,)
    classes: list[str]
    class_index: int  # whose map is shown
    heat: np.ndarray | None  # (H, W) float in [0, 1], None when the map has nothing positive
    boxes: list = field(default_factory=list)  # videocam.types.Box, frame pixels
    gradcam: bool = False
    no_box: str = ""  # why there is no box, when there is none

    @property
    def class_name(self) -> str:
        return self.classes[self.class_index]

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        order = np.argsort(-self.probs)[:k]
        return [(self.classes[i], float(self.probs[i])) for i in order]

    def peak(self) -> tuple[int, int] | None:
        """(x, y) of the map's maximum in image pixels, None without positive evidence."""
        if self.heat is None:
            return None
        y, x = np.unravel_index(int(np.argmax(self.heat)), self.heat.shape)
        return int(x), int(y)


# ------------------------------------------------------------------ inputs

def collect_images(items: Sequence[str | Path]) -> list[Path]:
    """Files as given; folders expand to the images inside them (recursively, sorted)."""
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in IMAGE_EXTS)
            if not found:
                raise DataError(f"no images in folder {p}")
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise DataError(f"image not found: {p}")
    if not out:
        raise UsageError("no images given")
    return out


def resolve_class(cm, name: str | None) -> int | None:
    if name is None:
        return None
    if name not in cm.classes:
        raise UsageError(f"unknown class {name!r}; the model knows {', '.join(cm.classes)}")
    return cm.classes.index(name)


def load_cam_model(model):
    from videocam.model.cam_model import CamModel
    from videocam.model.loading import load_model
    return model if isinstance(model, CamModel) else load_model(model)


# ----------------------------------------------------------------- compute

def cam_view(cm, image: np.ndarray, class_index: int | None = None, threshold: float = 0.2,
             path: Path | None = None, probs: np.ndarray | None = None, cams: np.ndarray | None = None) -> CamView:
    """Probabilities, the chosen class's map at image size and its box for one image."""
    from videocam.io.render import heatmap
    from videocam.stages.localize import cam_boxes
    from videocam.stages.multi import present_classes
    from videocam.types import NOBODY

    if probs is None or cams is None:
        p, c = cm.predict(image[None])
        probs, cams = p[0], c[0]
    k = int(np.argmax(probs)) if class_index is None else int(class_index)
    h, w = image.shape[:2]
    raw = cams[k]
    heat = heatmap(raw, w, h)  # negatives clipped, / max, bilinear
    name, top = cm.classes[k], cm.classes[int(np.argmax(probs))]
    # a box claims a person: only for one the model finds here (the rule `run --multi` boxes by)
    if name == NOBODY:
        boxes, why = [], "nobody is no one to box"
    elif k not in present_classes(np.asarray(probs), np.asarray(cams), cm.classes):
        boxes = []
        why = (f"the model sees nobody here ({top} {float(np.max(probs)):.2f})" if top == NOBODY
               else f"{name} {float(probs[k]):.2f}: the model does not find {name} here")
    else:
        boxes, why = cam_boxes(raw, w, h, label=name, score=float(probs[k]), threshold=threshold), ""
        why = "" if boxes else "the map has no region above the threshold"
    return CamView(path, image, np.asarray(probs, np.float32), list(cm.classes), k, heat, boxes, bool(cm.gradcam),
                   no_box=why)


# ------------------------------------------------------------------ figure

def _new_figure(n_rows: int, n_cols: int, col_w: float = 2.35, row_h: float = 2.35, top: float = 1.6):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(max(4.5, 0.9 + col_w * n_cols), top + row_h * n_rows), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        for s in ax.spines.values():
            s.set_visible(False)
    return fig, axes


def _class_rgb(classes: list[str], k: int) -> tuple[float, float, float]:
    from videocam.io.render import class_color
    return tuple(v / 255.0 for v in class_color(k, classes[k]))


def _draw_box(ax, box, colour, lw: float = 2.0, ls: str = "-", label: str | None = None):
    from matplotlib.patches import Rectangle
    x0, y0, x1, y1 = (box.x0, box.y0, box.x1, box.y1) if hasattr(box, "x0") else tuple(box)[:4]
    ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, edgecolor=colour, lw=lw, ls=ls))
    if label:
        inside = y0 < 14  # no room above the box: put the tag inside it
        ax.text(x0 + (1 if inside else 0), y0 + 1 if inside else y0 - 1, label, color="white", fontsize=7,
                va="top" if inside else "bottom", ha="left",
                bbox=dict(facecolor=colour, edgecolor="none", pad=1.0, alpha=0.9), clip_on=True)


def draw_cam_column(axes, v: CamView, threshold: float, top_k: int = 3, name: str | None = None) -> None:
    """The four panels of one image into axes[0..3]."""
    colour = _class_rgb(v.classes, v.class_index)
    title = [name] if name else []
    title += [f"{c} {p:.2f}" for c, p in v.top(top_k)]
    axes[0].imshow(v.image)
    axes[0].set_title("\n".join(title), fontsize=8, loc="center")
    kind = "Grad-CAM" if v.gradcam else "CAM"
    if v.heat is None:
        axes[1].imshow(np.zeros(v.image.shape[:2]), cmap="jet", vmin=0, vmax=1)
        axes[1].set_title(f"{kind}: {v.class_name}\n(no positive evidence)", fontsize=8, color=colour)
    else:
        axes[1].imshow(v.heat, cmap="jet", vmin=0, vmax=1)
        axes[1].set_title(f"{kind}: {v.class_name}", fontsize=8)
    from videocam.io.render import overlay
    axes[2].imshow(overlay(np.ascontiguousarray(v.image), v.heat, ALPHA))
    axes[3].imshow(v.image)
    if v.heat is not None and v.boxes:
        axes[3].contour(v.heat, levels=[threshold], colors=[colour], linewidths=0.8, alpha=0.8)
    for b in v.boxes[:1]:
        _draw_box(axes[3], b, colour, label=v.class_name)
    if not v.boxes:
        axes[3].set_title("no box" + (f":\n{v.no_box}" if v.no_box else ""), fontsize=7)


def cam_grid_figure(views: Sequence[CamView], threshold: float = 0.2, title: str = "", names=None, top_k: int = 3):
    n = len(views)
    fig, axes = _new_figure(4, n)
    kind = "Grad-CAM" if any(v.gradcam for v in views) else "CAM"
    rows = [r.format(map=kind, pct=round(100 * threshold)) for r in ROW_NAMES]
    for j, v in enumerate(views):
        draw_cam_column(axes[:, j], v, threshold, top_k, None if names is None else names[j])
    for i, r in enumerate(rows):
        axes[i, 0].set_ylabel(r, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


@dataclass
class GridResult:
    path: Path
    views: list[CamView]
    total: int  # images found (columns are capped at MAX_COLUMNS)

    @property
    def shown(self) -> int:
        return len(self.views)


def _short(name: str, n: int = 22) -> str:
    return name if len(name) <= n else name[: n - 1] + "~"


def cam_grid(images: Sequence[str | Path], model=None, out=DEFAULT_OUT, class_name: str | None = None,
             threshold: float = 0.2, max_columns: int = MAX_COLUMNS, top_k: int = 3) -> GridResult:
    """Write the four-row CAM figure for image files / folders; returns what it showed."""
    if not 0.0 < threshold < 1.0:
        raise UsageError(f"--threshold must be between 0 and 1 (exclusive), got {threshold}")
    paths = collect_images(images)
    out = Path(out)
    if out.suffix.lower() not in (".png", ".jpg", ".jpeg", ".pdf", ".svg"):
        raise UsageError(f"--out must be an image file (.png, .jpg, .pdf or .svg): {out}")
    cm = load_cam_model(model)
    k = resolve_class(cm, class_name)
    total = len(paths)
    paths = paths[:max_columns]
    views = [cam_view(cm, read_rgb(p), k, threshold, path=p) for p in paths]
    what = f"class {class_name}" if class_name else "top class"
    title = f"{'Grad-CAM' if cm.gradcam else 'CAM'} of the {what}"
    if total > len(paths):
        title += f" - first {len(paths)} of {total} images"
    fig = cam_grid_figure(views, threshold, title, names=[_short(p.name) for p in paths], top_k=top_k)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    return GridResult(out, views, total)
