"""Score a run's per-frame CSV against a ground-truth CSV, frame by frame.

Rows are matched on `frame`. A figure whose denominator is empty (no nobody
frames in the truth, no predicted boxes, ...) is `None`, shown as `n/a`.

- `label_accuracy`: over truth frames with exactly one person, predicted label
  == truth label.
- `label_accuracy_multi`: the same over frames with two or more people (the
  truth's label there is the person whose box is the largest).
- `nobody_precision` / `nobody_recall`: a frame labelled `nobody` is the
  positive.
- `box_recall` / `box_precision` (IoU 0.5) and `box_recall_0.3` /
  `box_precision_0.3`: a truth box is found when a predicted box with the same
  label overlaps it with IoU >= the threshold; greedy one-to-one matching per
  frame (highest IoU first), over all frames.
- `box_recall_single`: recall at IoU 0.5 on one-person frames.
- `multi_recall` / `multi_recall_0.5`: recall at IoU 0.3 / 0.5 on frames with
  two or more people.
- `flicker`: label changes per minute in the prediction over the same in the
  truth (1.0: as steady as the truth; 1.0 when neither changes; None when
  only the prediction changes).
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np

from videocam.stages.localize import iou
from videocam.types import NOBODY, UNKNOWN, Box

__all__ = ["match_boxes", "score_tables", "score_files", "format_score", "label_changes"]


def _get(row, name, default=None):
    if isinstance(row, dict):
        return row.get(name, default)
    return getattr(row, name, default)


def _people(boxes: Sequence[Box]) -> int:
    """How many people a truth row shows: distinct labels of its boxes."""
    return len({b.label for b in boxes if b.label != NOBODY})


def match_boxes(pred: Sequence[Box], truth: Sequence[Box], thr: float) -> int:
    """Greedy one-to-one matching (highest IoU first) of same-label boxes with
    IoU >= `thr`; returns the number of matched pairs."""
    pairs = []
    for i, t in enumerate(truth):
        for j, p in enumerate(pred):
            if p.label == t.label:
                v = iou(p, t)
                if v >= thr and v > 0:
                    pairs.append((v, i, j))
    pairs.sort(key=lambda x: -x[0])
    used_t, used_p, n = set(), set(), 0
    for _v, i, j in pairs:
        if i in used_t or j in used_p:
            continue
        used_t.add(i)
        used_p.add(j)
        n += 1
    return n


def _ratio(num: float, den: float):
    return float(num) / float(den) if den else None


def label_changes(labels: Sequence[str]) -> int:
    return sum(1 for a, b in zip(labels, labels[1:]) if a != b)


def _duration_s(times: Sequence[float]) -> float:
    """Span of the frames in seconds, counting the last frame's own duration."""
    if len(times) == 0:
        return 0.0
    t = np.asarray(times, dtype=np.float64)
    step = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    return max(0.0, float(t[-1] - t[0]) + max(step, 0.0))


def _row_weights(times: Sequence[float]) -> list[float]:
    """Each row's share of time in units of the typical row spacing (1.0 at a constant rate)."""
    from videocam.eval.report import frame_durations
    d = frame_durations(times)
    if d.size == 0:
        return []
    typical = float(np.median(d))
    if not typical > 0:
        return [1.0] * int(d.size)
    return [round(float(x) / typical, 6) for x in d]


def score_tables(pred, truth, iou_thresholds: Sequence[float] = (0.5, 0.3)) -> dict:
    """All figures for a prediction table against a truth table (see module doc).

    `pred`, `truth`: `csvfile.CsvTable` (or anything with `.rows` of rows having
    `frame`, `time_s`, `label`, `boxes`). `iou_thresholds`: the first is the
    main one (`box_recall`, `box_precision`, `box_recall_single`,
    `multi_recall_<thr>`); the others add `box_recall_<thr>` /
    `box_precision_<thr>`. `multi_recall` is always at 0.3.
    """
    thrs = [float(t) for t in iou_thresholds] or [0.5]
    main = thrs[0]
    all_thrs = sorted(set(thrs) | {0.3, main})
    pred_by = {int(_get(r, "frame")): r for r in pred.rows}
    truth_rows = sorted(truth.rows, key=lambda r: int(_get(r, "frame")))
    pairs = [(pred_by[int(_get(t, "frame"))], t) for t in truth_rows if int(_get(t, "frame")) in pred_by]

    # Each row counts for the time it covers (to the next predicted row): a run that analysed
    # every 5th frame (`--every 5`) is scored as what a user watching it gets. With every frame
    # analysed at a constant rate every weight is exactly 1.
    w_all = _row_weights([float(_get(p, "time_s")) for p, _ in pairs])
    single_n = single_ok = 0.0
    multi_ok = 0.0
    nb_tp = nb_pred = nb_truth = 0.0
    n_truth_boxes = n_pred_boxes = 0.0
    matched = {t: 0.0 for t in all_thrs}
    single_boxes = 0.0
    single_matched = 0.0
    multi_frames = multi_boxes = 0.0
    multi_matched = {t: 0.0 for t in all_thrs}
    n = Counter()
    for (p, t), w in zip(pairs, w_all):
        pl, tl = str(_get(p, "label")), str(_get(t, "label"))
        pb, tb = list(_get(p, "boxes") or []), list(_get(t, "boxes") or [])
        if not any(b.label == UNKNOWN for b in tb) and tl != UNKNOWN:  # truth that boxes no strangers:
            pl = NOBODY if pl == UNKNOWN else pl                      # `unknown` is no known person,
            pb = [b for b in pb if b.label != UNKNOWN]                # and its boxes claim no one
        people = _people(tb)
        if people == 1:
            single_n += w
            single_ok += w * (pl == tl)
            n["single_frames"] += 1
            n["single_boxes"] += len(tb)
        p_nb, t_nb = pl == NOBODY, tl == NOBODY
        nb_pred += w * p_nb
        nb_truth += w * t_nb
        nb_tp += w * (p_nb and t_nb)
        n["nobody_pred"] += p_nb
        n["nobody_truth"] += t_nb
        n_truth_boxes += w * len(tb)
        n_pred_boxes += w * len(pb)
        n["truth_boxes"] += len(tb)
        n["pred_boxes"] += len(pb)
        for thr in all_thrs:
            m = w * match_boxes(pb, tb, thr)
            matched[thr] += m
            if people >= 2:
                multi_matched[thr] += m
            if people == 1 and thr == main:
                single_matched += m
        if people == 1:
            single_boxes += w * len(tb)
        if people >= 2:
            multi_frames += w
            multi_ok += w * (pl == tl)
            multi_boxes += w * len(tb)
            n["multi_frames"] += 1
            n["multi_boxes"] += len(tb)

    def suffix(thr):
        return f"{thr:g}"

    d: dict = {"frames": len(pairs)}
    d["label_accuracy"] = _ratio(single_ok, single_n)
    d["label_accuracy_multi"] = _ratio(multi_ok, multi_frames)
    d["nobody_precision"] = _ratio(nb_tp, nb_pred)
    d["nobody_recall"] = _ratio(nb_tp, nb_truth)
    d["box_recall"] = _ratio(matched[main], n_truth_boxes)
    d["box_precision"] = _ratio(matched[main], n_pred_boxes)
    for thr in thrs[1:]:
        d[f"box_recall_{suffix(thr)}"] = _ratio(matched[thr], n_truth_boxes)
        d[f"box_precision_{suffix(thr)}"] = _ratio(matched[thr], n_pred_boxes)
    d["box_recall_single"] = _ratio(single_matched, single_boxes)
    d["multi_recall"] = _ratio(multi_matched[0.3], multi_boxes)
    d[f"multi_recall_{suffix(main)}"] = _ratio(multi_matched[main], multi_boxes)

    pred_labels = [str(_get(p, "label")) for p, _ in pairs]
    truth_labels = [str(_get(t, "label")) for _, t in pairs]
    minutes = _duration_s([float(_get(t, "time_s")) for _, t in pairs]) / 60.0
    ch_p, ch_t = label_changes(pred_labels), label_changes(truth_labels)
    d["label_changes_per_min"] = _ratio(ch_p, minutes)
    d["truth_changes_per_min"] = _ratio(ch_t, minutes)
    if ch_t:
        d["flicker"] = ch_p / ch_t  # same span of frames: the per-minute rates' ratio
    else:
        d["flicker"] = 1.0 if ch_p == 0 else None
    d["counts"] = {
        "pred_rows": len(pred.rows), "truth_rows": len(truth.rows),
        **{k: int(n[k]) for k in ("single_frames", "multi_frames", "single_boxes", "multi_boxes",
                                  "nobody_truth", "nobody_pred", "truth_boxes", "pred_boxes")},
        "label_changes_pred": ch_p, "label_changes_truth": ch_t,
    }
    return d


def score_files(pred_csv, truth_csv, iou_thresholds: Sequence[float] = (0.5, 0.3)) -> dict:
    """`score_tables` on two CSV files read with `videocam.io.csvfile.read_csv`.

    Raises `CsvFormatError` for a missing or malformed file and `UsageError`
    when the two files share no frame numbers.
    """
    from videocam.errors import UsageError
    from videocam.io.csvfile import read_csv

    pred, truth = read_csv(pred_csv), read_csv(truth_csv)
    d = score_tables(pred, truth, iou_thresholds)
    if d["frames"] == 0:
        raise UsageError(f"{pred_csv} and {truth_csv} have no frame numbers in common "
                         f"({len(pred.rows)} and {len(truth.rows)} rows)")
    d["pred_csv"], d["truth_csv"] = str(pred_csv), str(truth_csv)
    return d


_ORDER = [
    ("label_accuracy", "label accuracy (one-person frames)", "single_frames"),
    ("label_accuracy_multi", "label accuracy (2+ people: largest)", "multi_frames"),
    ("nobody_precision", "nobody precision", "nobody_pred"),
    ("nobody_recall", "nobody recall", "nobody_truth"),
    ("box_recall", "box recall @0.5", "truth_boxes"),
    ("box_precision", "box precision @0.5", "pred_boxes"),
    ("box_recall_0.3", "box recall @0.3", "truth_boxes"),
    ("box_precision_0.3", "box precision @0.3", "pred_boxes"),
    ("box_recall_single", "box recall @0.5, one person", "single_boxes"),
    ("multi_recall", "box recall @0.3, 2+ people", "multi_boxes"),
    ("multi_recall_0.5", "box recall @0.5, 2+ people", "multi_boxes"),
]


def format_score(d: dict) -> str:
    """A readable table of the figures of `score_tables`/`score_files`."""
    def pct(v):
        return "n/a" if v is None else f"{100.0 * v:6.1f}%"

    def num(v):
        return "n/a" if v is None else f"{v:.2f}"

    counts = d.get("counts", {})
    lines = []
    if "pred_csv" in d:
        lines.append(f"prediction  {d['pred_csv']}")
        lines.append(f"truth       {d['truth_csv']}")
    lines.append(f"frames matched: {d.get('frames', 0)}"
                 + (f" (prediction {counts['pred_rows']}, truth {counts['truth_rows']})" if counts else ""))
    width = max(len(name) for _, name, _ in _ORDER)
    shown = set()
    for key, name, nkey in _ORDER:
        if key not in d:
            continue
        shown.add(key)
        n = f"  (n={counts[nkey]})" if nkey and nkey in counts else ""
        lines.append(f"  {name:<{width}}  {pct(d[key]):>7}{n}")
    for key in sorted(d):  # other thresholds asked for
        if key.startswith(("box_recall_", "box_precision_", "multi_recall_")) and key not in shown \
                and key != "box_recall_single":
            lines.append(f"  {key:<{width}}  {pct(d[key]):>7}")
    lines.append(f"  {'label changes / min (pred, truth)':<{width}}  "
                 f"{num(d.get('label_changes_per_min')):>7}, {num(d.get('truth_changes_per_min'))}")
    lines.append(f"  {'flicker (pred / truth changes)':<{width}}  {num(d.get('flicker')):>7}")
    return "\n".join(lines)


def write_json(d: dict, path) -> None:
    p = Path(path)
    if p.parent and not p.parent.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(d, indent=1) + "\n", encoding="utf-8")
