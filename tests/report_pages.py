"""Helpers for the report page tests: a tiny per-frame CSV and a matching few-frame video
whose every frame is one flat grey level (`level`), so a test can tell which frame shows."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

FPS = 10.0
CLASSES = ("ahn", "moon", "nobody")

# 30 frames at 10 fps (3 s). With the default gap (2 frames):
# ahn [5, 16) + [27, 30); moon [13, 16) + [21, 27) (frame 24 bridged);
# nobody [0, 5) + [16, 21) + [24, 25); 2+ people [13, 16). 7 appearances in all: nobody's
# [24, 25), 0.1 s, is under the appearance floor (screen time, not an appearance).
SCRIPT = ([("nobody", [])] * 5 + [("ahn", ["ahn"])] * 8 + [("moon", ["moon", "ahn"])] * 3
          + [("nobody", [])] * 5 + [("moon", ["moon"])] * 3 + [("nobody", [])] + [("moon", ["moon"])] * 2
          + [("ahn", ["ahn"])] * 3)
APPEARANCES = {"ahn": 2, "moon": 2, "nobody": 2, "2+ people": 1}
BRIEF = {"nobody": 1}


def level(i: int) -> int:
    """The grey level of frame i (distinct for 30 frames, far apart for a lossy codec)."""
    return 20 + 7 * i


def box(label: str, w: int = 64, h: int = 48) -> dict:
    return {"label": label, "score": 0.9, "x0": 4, "y0": 6, "x1": w // 2, "y1": h - 6}


def write_run(path, script=SCRIPT, classes=CLASSES, fps=FPS) -> Path:
    """A per-frame CSV: label `lab` at 0.8, the others share the rest."""
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["frame", "time_s", "label", "score", *(f"p_{c}" for c in classes), "boxes"])
        for i, (lab, boxes) in enumerate(script):
            probs = [0.8 if c == lab else 0.2 / (len(classes) - 1) for c in classes]
            w.writerow([i, f"{i / fps:.4f}", lab, "0.8000", *(f"{p:.4f}" for p in probs),
                        json.dumps([box(b) for b in boxes])])
    return path


def write_truth(path, script=SCRIPT, fps=FPS) -> Path:
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["frame", "time_s", "label", "boxes"])
        for i, (lab, boxes) in enumerate(script):
            w.writerow([i, f"{i / fps:.4f}", lab, json.dumps([box(b) for b in boxes[:1]])])
    return path


def write_video(path, n: int = len(SCRIPT), fps: float = FPS, size=(64, 48)) -> Path:
    """Frame i is flat grey `level(i)`, shown at i / fps."""
    from videocam.io.writers import Mp4Writer
    w, h = size
    out = Mp4Writer(path, fps, w, h)
    for i in range(n):
        out.write(np.full((h, w, 3), level(i), np.uint8), i / fps)
    out.close()
    return Path(path)


def read_summary(path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return {r["class"]: r for r in csv.DictReader(f)}
