"""The sweep behind `--multi`'s second look (videocam/stages/refine.py), on TUNING seeds only.

For each seed: the `--multi` chain on the real frames, then each box of a several-box frame cut out
and run again, scored four ways against `--multi` alone. `MARGIN` (argv[1]): context as a share of
the box's longer side; env REL: keep a box when its class has at least REL x the crop's top
probability (1.0: the crop's top class); env OTHER=1: keep it unless the crop names another class
boxed in the frame (or nobody); env PAD=x: pad the box (x of its width each side) to a square
instead of taking context. Mode 3 ("+agree+crop, one left: torso") is what the stage does.

    python scripts/tune_refine.py 0.5 201 202 203 204 205
"""
import sys

import numpy as np

from videocam.eval.benchmark import DEFAULT_CACHE, ensure_video
from videocam.eval.score import score_tables
from videocam.io.csvfile import CsvRow, CsvTable, read_csv
from videocam.io.reader import VideoReader
from videocam.model.loading import load_model
from videocam.pipeline.stream import analyse
from videocam.stages.chain import build_stages
from videocam.stages.localize import cam_boxes
from videocam.types import Box

cm = load_model(None)
import os

MARGIN = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
REL3 = float(os.environ.get('REL', '1.0'))
seeds = [int(a) for a in sys.argv[2:]] or [201, 202, 203]
def refine(r, rgb, mode):
    H, W = rgb.shape[:2]
    if len(r.boxes) < 2: return r.boxes
    crops, meta = [], []
    for b in r.boxes:
        bw, bh = b.x1 - b.x0, b.y1 - b.y0
        cx, cy = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
        if os.environ.get("PAD"):
            mx = float(os.environ["PAD"])
            hw, hh = bw * (1 + mx) / 2, bh * (1 + MARGIN) / 2
            x0, y0 = int(max(0, cx - hw)), int(max(0, cy - hh))
            x1, y1 = int(min(W, cx + hw)), int(min(H, cy + hh))
            patch = rgb[y0:y1, x0:x1]
            side = max(patch.shape[:2])
            canvas = np.empty((side, side, 3), np.uint8); canvas[:] = patch.reshape(-1, 3).mean(0).astype(np.uint8)
            oy, ox = (side - patch.shape[0]) // 2, (side - patch.shape[1]) // 2
            canvas[oy:oy + patch.shape[0], ox:ox + patch.shape[1]] = patch
            crops.append(canvas); meta.append((b, x0 - ox, y0 - oy, x0 - ox + side, y0 - oy + side))
            continue
        side = max(bw, bh) * (1 + MARGIN)
        x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
        x1, y1 = int(min(W, cx + side / 2)), int(min(H, cy + side / 2))
        crops.append(rgb[y0:y1, x0:x1]); meta.append((b, x0, y0, x1, y1))
    x = cm.prepare(crops, cm.input_size)
    probs, cams = cm.probs_and_cams(x)
    out = []
    REL = {3: REL3, 4: 1.0}.get(mode, 1.0)
    boxed = {r.classes.index(b.label) for b in r.boxes} | ({r.classes.index("nobody")} if "nobody" in r.classes else set())
    def keep(m, p):
        k = r.classes.index(m[0].label); top = int(np.argmax(p))
        if os.environ.get("OTHER"):
            return top == k or top not in boxed
        return p[k] >= REL * p.max()
    kept = [m for m, p in zip(meta, probs) if keep(m, p)]
    keepset = {id(m[0]) for m in kept}
    if mode >= 3 and len(kept) == 1:
        from videocam.stages.localize import torso_box
        # one person left: the original map box with the torso rule, as Localize does for one box
        b = kept[0][0]
        orig = cam_boxes(r.cams[r.classes.index(b.label)], W, H, label=b.label, score=b.score, mode="union")
        return [torso_box(orig[0], W, H)] if orig else [b]
    if mode == 4:
        return [m[0] for m in kept]
    for (b, x0, y0, x1, y1), p, c in zip(meta, probs, cams):
        k = r.classes.index(b.label)
        if mode >= 1 and id(b) not in keepset: continue
        if mode >= 2:
            bb = cam_boxes(c[k], x1 - x0, y1 - y0, mode="union")
            if bb:
                q = bb[0]; b = Box(label=b.label, score=b.score, x0=x0 + q.x0, y0=y0 + q.y0, x1=x0 + q.x1, y1=y0 + q.y1)
        out.append(b)
    return out
keys = ("box_recall_single", "multi_recall", "box_precision")
for seed in seeds:
    mp4, tcsv = ensure_video(seed, DEFAULT_CACHE)
    truth = read_csv(tcsv)
    rows = {0: [], 3: []}
    stages = build_stages(cm, multi=True)
    with VideoReader(mp4) as rd:
        size = cm.input_size_for(rd.width, rd.height); rd.model_size = size
        buf = []
        def flush():
            x = cm.prepare([f.model_input(size) for f in buf], size)
            p, c = cm.probs_and_cams(x)
            for r in analyse(buf, p, c, cm.classes, stages):
                for mode in rows:
                    bx = refine(r, r.frame.rgb, mode) if mode else r.boxes
                    rows[mode].append(CsvRow(frame=r.frame.index, time_s=r.frame.time_s, label=r.label, score=r.score, probs=None, boxes=list(bx)))
            buf.clear()
        for f in rd:
            buf.append(f)
            if len(buf) == 16: flush()
        if buf: flush()
    for mode, rr in rows.items():
        d = score_tables(CsvTable(classes=list(cm.classes), rows=rr), truth)
        print(seed, ["multi", "+agree", "+agree+crop box", "+agree+crop, one left: torso", "+agree, one left: torso"][mode], " ".join(f"{k} {d[k]:.3f}" for k in keys), flush=True)
