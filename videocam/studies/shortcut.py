"""The shortcut study: does the model call the party logo `moon`, and does its CAM look at it?

The training split carries a shortcut: moon's party logo in ~35% of moon's
training images only (`synth.LOGO_PERSON`, `synth.LOGO_RATE_MOON_TRAIN`).
`shortcut_study` builds the probe set with `synth.make_shortcut_set` (the
logo with nobody, or beside a person other than moon) and, for each probe, a
logo-free twin: the very same image (background, person, lighting, noise)
without the logo, re-rendered from the probe's random stream with the logo
pixels put back to background. Then it measures

(a) how often the model says `moon` with the logo vs on the twins (and how
    many predictions the logo alone flips to moon), and
(b) how often the strongest point of the CAM (argmax of the map upsampled to
    the image) lies inside the logo box: for the predicted class and for
    `moon`; with two references: the same box on the twin (no logo there)
    and chance (the box's share of the image).

Writes OUT/shortcut/*.png + shortcut_boxes.csv (the probes),
OUT/shortcut_nologo/*.png (the twins), OUT/shortcut_results.csv (per image),
OUT/shortcut.json (the summary) and OUT/shortcut_grid.png.
"""
from __future__ import annotations

import copy
import csv
import json
import re
from pathlib import Path

import numpy as np

from videocam.errors import UsageError
from videocam.model.cam import upsample
from videocam.model.data import read_rgb


def _twin_exact(seed: int, label: str, i: int, expected: np.ndarray, logo_box) -> np.ndarray | None:
    """The probe without its logo, or None if the probe cannot be reproduced bit for bit.

    Mirrors `videocam.synth.scenes._shortcut_task`: the image is background, person, logo,
    then camera effects, from one RNG stream. The background comes first from
    that stream, so a fresh copy of it redraws the background under the logo,
    and the camera effects are replayed from the same RNG state on both.
    """
    import videocam.synth.scenes as synth
    try:
        key = [int(seed), 7, synth.CLASSES.index(label), int(i)]
        rng = np.random.default_rng(key)
        h, w = expected.shape[:2]
        pre, _box, lb = synth._render(rng, label, (w, h), logo=True, effects=False)
        if lb is None or tuple(lb) != tuple(logo_box):
            return None
        with_logo = synth.camera_effects(copy.deepcopy(rng), pre)
        if with_logo.shape != expected.shape or not np.array_equal(with_logo, expected):
            return None
        bg = synth.make_background(np.random.default_rng(key), (w, h))
        clean = pre.copy()
        x0, y0, x1, y1 = lb
        clean[y0:y1, x0:x1] = bg[y0:y1, x0:x1]  # the logo never overlaps the person box
        return synth.camera_effects(copy.deepcopy(rng), clean)
    except Exception:  # noqa: BLE001 - synth internals changed: fall back to a matched image
        return None


def _twin_matched(seed: int, label: str, i: int, size) -> np.ndarray:
    """A fresh image of the same label and size without the logo (same distribution, not paired)."""
    import videocam.synth.scenes as synth
    rng = np.random.default_rng([int(seed), 8, synth.CLASSES.index(label), int(i)])
    img, _ = synth.make_image(rng, label, size, logo=False)
    return img


def _peak(cam: np.ndarray, w: int, h: int) -> tuple[int, int] | None:
    """(x, y) of the upsampled map's maximum; None when the map has no positive value."""
    cam = np.nan_to_num(np.asarray(cam, np.float32))
    if cam.size == 0 or float(cam.max()) <= 0.0:
        return None
    m = upsample(cam, w, h)
    y, x = np.unravel_index(int(np.argmax(m)), m.shape)
    return int(x), int(y)


def _inside(pt, box) -> bool:
    return pt is not None and box[0] <= pt[0] < box[2] and box[1] <= pt[1] < box[3]


def _predict(cm, images: list[np.ndarray], batch: int = 32):
    probs, cams = [], []
    for k in range(0, len(images), batch):
        p, c = cm.predict(np.stack(images[k:k + batch]))
        probs.append(p)
        cams.append(c)
    return np.concatenate(probs), np.concatenate(cams)


def _frac(mask) -> float:
    mask = np.asarray(mask, bool)
    return round(float(mask.mean()), 4) if mask.size else float("nan")


def shortcut_study(model=None, out_dir="outputs/shortcut", seed: int = 0, n: int = 40, show: int = 8,
                   batch: int = 32) -> dict:
    """Run the probe set through `model` (path, CamModel or None for the bundled one); see the module doc."""
    import videocam.synth.scenes as synth
    from videocam.studies.figure import load_cam_model

    if n < 2:
        raise UsageError(f"--n must be at least 2 (half nobody, half another person), got {n}")
    cm = load_cam_model(model)
    target = synth.LOGO_PERSON
    if target not in cm.classes:
        raise UsageError(f"the model has no class {target!r} (the logo's person); it knows {', '.join(cm.classes)}")
    moon = cm.classes.index(target)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = synth.make_shortcut_set(out, seed=seed, n=n)
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))

    logo_imgs, twins, labels, boxes, rels, paired = [], [], [], [], [], []
    twin_dir = out / "shortcut_nologo"
    twin_dir.mkdir(exist_ok=True)
    for r in rows:
        img = read_rgb(out / r["path"])
        box = tuple(int(r[f"logo_{c}"]) for c in ("x0", "y0", "x1", "y1")) if r["logo_x0"] else None
        m = re.search(r"_(\d+)\.\w+$", r["path"])
        i = int(m.group(1)) if m else len(rels)
        twin = _twin_exact(seed, r["label"], i, img, box) if box is not None else None
        paired.append(twin is not None)
        if twin is None:
            twin = _twin_matched(seed, r["label"], i, (img.shape[1], img.shape[0]))
        synth._write_png(twin_dir / Path(r["path"]).name.replace("_logo_", "_nologo_"), twin)
        logo_imgs.append(img)
        twins.append(twin)
        labels.append(r["label"])
        boxes.append(box)
        rels.append(r["path"])

    p_logo, c_logo = _predict(cm, logo_imgs, batch)
    p_twin, c_twin = _predict(cm, twins, batch)
    pred_logo, pred_twin = p_logo.argmax(1), p_twin.argmax(1)
    per_image = []
    for j, (img, box) in enumerate(zip(logo_imgs, boxes)):
        h, w = img.shape[:2]
        has_box = box is not None
        pk_pred = _peak(c_logo[j, pred_logo[j]], w, h)
        pk_moon = _peak(c_logo[j, moon], w, h)
        pk_moon_twin = _peak(c_twin[j, moon], w, h)
        per_image.append(dict(
            path=rels[j], label=labels[j], paired=paired[j],
            pred_logo=cm.classes[pred_logo[j]], p_moon_logo=round(float(p_logo[j, moon]), 4),
            pred_nologo=cm.classes[pred_twin[j]], p_moon_nologo=round(float(p_twin[j, moon]), 4),
            peak_pred_in_logo=has_box and _inside(pk_pred, box),
            peak_moon_in_logo=has_box and _inside(pk_moon, box),
            peak_moon_in_logo_nologo=has_box and _inside(pk_moon_twin, box),
            no_peak_pred=pk_pred is None, no_peak_moon=pk_moon is None,
            logo_area_frac=round((box[2] - box[0]) * (box[3] - box[1]) / (w * h), 4) if has_box else 0.0,
            logo_box=box, peak_pred=pk_pred, peak_moon=pk_moon,
        ))

    def col(key, sel=None):
        return np.array([d[key] for d in per_image if sel is None or sel(d)])

    nobody = lambda d: d["label"] == synth.NOBODY  # noqa: E731
    person = lambda d: d["label"] != synth.NOBODY  # noqa: E731
    is_moon_l, is_moon_t = pred_logo == moon, pred_twin == moon
    truth = np.array([cm.classes.index(lb) if lb in cm.classes else -1 for lb in labels])
    report = {
        "model": str(model) if isinstance(model, (str, Path)) else ("default" if model is None else ""),
        "logo_class": target,
        "seed": int(seed),
        "n": len(per_image),
        "n_nobody": int(sum(map(nobody, per_image))),
        "n_person": int(sum(map(person, per_image))),
        "paired": bool(all(paired)),
        "n_paired": int(sum(paired)),
        "cam_method": "Grad-CAM" if cm.gradcam else "CAM",
        # (a) predictions
        "moon_rate_logo": _frac(is_moon_l),
        "moon_rate_nologo": _frac(is_moon_t),
        "moon_rate_logo_nobody": _frac(col("pred_logo", nobody) == target),
        "moon_rate_nologo_nobody": _frac(col("pred_nologo", nobody) == target),
        "moon_rate_logo_person": _frac(col("pred_logo", person) == target),
        "moon_rate_nologo_person": _frac(col("pred_nologo", person) == target),
        "flipped_to_moon": _frac(is_moon_l & ~is_moon_t),
        "mean_p_moon_logo": round(float(p_logo[:, moon].mean()), 4),
        "mean_p_moon_nologo": round(float(p_twin[:, moon].mean()), 4),
        "changed_by_logo": _frac(pred_logo != pred_twin),
        "predicted_logo": {c: int(np.sum(pred_logo == k)) for k, c in enumerate(cm.classes)},
        "predicted_nologo": {c: int(np.sum(pred_twin == k)) for k, c in enumerate(cm.classes)},
        "correct_logo": _frac(pred_logo == truth),
        "correct_nologo": _frac(pred_twin == truth),
        # (b) where the map peaks
        "peak_pred_in_logo": _frac(col("peak_pred_in_logo")),
        "peak_moon_in_logo": _frac(col("peak_moon_in_logo")),
        "peak_moon_in_logo_when_moon": _frac(col("peak_pred_in_logo")[is_moon_l]) if is_moon_l.any() else None,
        "peak_moon_in_logo_nologo": _frac(col("peak_moon_in_logo_nologo")),
        "chance_in_logo": round(float(col("logo_area_frac").mean()), 4),
        "no_peak_pred": int(col("no_peak_pred").sum()),
        "no_peak_moon": int(col("no_peak_moon").sum()),
    }
    res_csv = out / "shortcut_results.csv"
    keys = [k for k in per_image[0] if k not in ("logo_box", "peak_pred", "peak_moon")]
    with open(res_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(keys + ["logo_x0", "logo_y0", "logo_x1", "logo_y1"])
        for d in per_image:
            w.writerow([int(d[k]) if isinstance(d[k], (bool, np.bool_)) else d[k] for k in keys]
                       + list(d["logo_box"] or ("",) * 4))
    grid = out / "shortcut_grid.png"
    _plot(cm, per_image, logo_imgs, twins, c_logo, c_twin, p_logo, p_twin, moon, report, grid, show)
    report["files"] = {"probes": str(csv_path), "results": str(res_csv), "grid": str(grid),
                       "twins": str(twin_dir), "json": str(out / "shortcut.json")}
    (out / "shortcut.json").write_text(json.dumps(report, indent=1))
    return report


def format_report(r: dict) -> str:
    n, nn, npers = r["n"], r["n_nobody"], r["n_person"]
    pair = "pixel-identical twins without the logo" if r["paired"] else \
        f"twins without the logo ({r['n_paired']}/{n} pixel-identical, the rest matched)"
    lines = [
        f"shortcut study: {n} probe images with {r['logo_class']}'s party logo ({nn} with nobody, {npers} beside "
        f"another person) vs {pair}; {r['cam_method']}",
        f"(a) predicted {r['logo_class']}: {_p(r['moon_rate_logo'])} with the logo vs {_p(r['moon_rate_nologo'])} "
        f"without (nobody: {_p(r['moon_rate_logo_nobody'])} vs {_p(r['moon_rate_nologo_nobody'])}, other person: "
        f"{_p(r['moon_rate_logo_person'])} vs {_p(r['moon_rate_nologo_person'])}); the logo alone flips "
        f"{_p(r['flipped_to_moon'])} to {r['logo_class']}; mean p({r['logo_class']}) {r['mean_p_moon_logo']:.3f} vs "
        f"{r['mean_p_moon_nologo']:.3f}; correct {_p(r['correct_logo'])} vs {_p(r['correct_nologo'])}; the logo "
        f"changes {_p(r['changed_by_logo'])} of predictions",
        f"(b) CAM peak inside the logo box: predicted class {_p(r['peak_pred_in_logo'])}, {r['logo_class']} "
        f"{_p(r['peak_moon_in_logo'])} (same box on the twins {_p(r['peak_moon_in_logo_nologo'])}, chance "
        f"{_p(r['chance_in_logo'])})",
    ]
    return "\n".join(lines)


def _p(v) -> str:
    return "n/a" if v is None else f"{100 * v:.0f}%"


def _pick(per_image: list[dict], show: int) -> list[int]:
    """Up to `show` probes: half with nobody, half with a person, highest p(moon) first."""
    from videocam.types import NOBODY
    groups = [[j for j, d in enumerate(per_image) if (d["label"] == NOBODY) == g] for g in (True, False)]
    for g in groups:
        g.sort(key=lambda j: -per_image[j]["p_moon_logo"])
    out, k = [], 0
    while len(out) < min(show, len(per_image)):
        g = groups[k % 2] if groups[k % 2] else groups[(k + 1) % 2]
        if g:
            out.append(g.pop(0))
        k += 1
    return out


def _plot(cm, per_image, logo_imgs, twins, c_logo, c_twin, p_logo, p_twin, moon, r, path, show) -> None:
    from videocam.io.render import heatmap, overlay
    from videocam.studies.figure import _class_rgb, _draw_box, _new_figure

    cols = _pick(per_image, show)
    if not cols:
        return
    fig, axes = _new_figure(4, len(cols), top=1.9)
    tgt = cm.classes[moon]
    kind = r["cam_method"]
    c_moon = _class_rgb(cm.classes, moon)
    for j, idx in enumerate(cols):
        d = per_image[idx]
        img, twin = logo_imgs[idx], twins[idx]
        h, w = img.shape[:2]
        box = d["logo_box"]
        pl, pt = int(np.argmax(p_logo[idx])), int(np.argmax(p_twin[idx]))
        ax = axes[:, j]
        ax[0].imshow(img)
        if box:
            _draw_box(ax[0], box, "white", lw=1.2, ls="--")
        ax[0].set_title(f"truth: {d['label']}\npred {cm.classes[pl]} {p_logo[idx, pl]:.2f}\n"
                        f"p({tgt}) {p_logo[idx, moon]:.2f}", fontsize=8,
                        color="crimson" if pl == moon else "black")
        ax[1].imshow(overlay(img, heatmap(c_logo[idx, moon], w, h)))
        if box:
            _draw_box(ax[1], box, "white", lw=1.0, ls="--")
        if d["peak_moon"] is not None:
            ax[1].plot(*d["peak_moon"], marker="x", color="white", ms=9, mew=2.5)
            ax[1].plot(*d["peak_moon"], marker="x", color=c_moon, ms=7, mew=1.5)
        ax[1].set_title(f"{kind} {tgt}: peak {'IN' if d['peak_moon_in_logo'] else 'not in'} logo", fontsize=8)
        ax[2].imshow(twin)
        ax[2].set_title(f"no logo: {cm.classes[pt]} {p_twin[idx, pt]:.2f}, p({tgt}) {p_twin[idx, moon]:.2f}",
                        fontsize=8, color="crimson" if pt == moon else "black")
        ax[3].imshow(overlay(twin, heatmap(c_twin[idx, moon], w, h)))
        if box:
            _draw_box(ax[3], box, "white", lw=1.0, ls=":")
        ax[3].set_title(f"{kind} {tgt}, no logo", fontsize=8)
    for i, name in enumerate(("with the logo", f"{kind} of {tgt}", "logo-free twin", f"{kind} of {tgt}")):
        axes[i, 0].set_ylabel(name, fontsize=9)
    fig.suptitle(
        f"Shortcut probe ({r['n']} images): predicted {tgt} {_p(r['moon_rate_logo'])} with the logo vs "
        f"{_p(r['moon_rate_nologo'])} without; {tgt}-{kind} peak inside the logo box {_p(r['peak_moon_in_logo'])} "
        f"(chance {_p(r['chance_in_logo'])})\nshown: highest p({tgt}) first, half with nobody, half beside "
        f"another person; dashed box = logo", fontsize=9)
    fig.savefig(path)
