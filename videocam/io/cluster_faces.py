"""A stranger of a run made into a person: his cluster's best faces, cut from the source video.

`enrol_cluster(RUN.csv, "u3", NAME, DIR)` reads the run's CSV (the boxes with `"cluster": "u3"`)
and its run info (the source video), picks up to `limit` faces spread over the video (the cluster's
time span cut into equal parts, the largest face of each), cuts them from the source video, keeps
those that are sharp and frontal (dlib's frontal detector finds a face in the cut), and writes them
to DIR/NAME/ ready for `videocam train DIR --backbone face`. Nothing is written when anything is
wrong, and a half-written folder never stays behind.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from videocam.errors import DataError, UsageError

MAX_FACES = 10
CROP_SCALE = 2.2   # the cut is this many face boxes wide: enough of the head for the detector


@dataclass
class EnrolledCluster:
    folder: Path
    written: list[Path]
    candidates: int
    video: Path


def cluster_boxes(rows, cluster: str) -> list[tuple[float, object]]:
    """(time_s, box) for every box of the cluster, in time order."""
    return [(float(r.time_s), b) for r in rows for b in r.boxes if getattr(b, "cluster", None) == cluster]


def spread_pick(found: list[tuple[float, object]], limit: int = MAX_FACES) -> list[tuple[float, object]]:
    """Up to `limit` boxes spread over the cluster's time span: the span cut into `limit` equal parts,
    the largest box of each part (larger faces are sharper and more often frontal)."""
    if not found:
        return []
    t0, t1 = found[0][0], found[-1][0]
    parts: dict[int, tuple[float, object]] = {}
    for t, b in found:
        k = min(limit - 1, int((t - t0) / (t1 - t0) * limit)) if t1 > t0 else 0
        if k not in parts or b.area > parts[k][1].area:
            parts[k] = (t, b)
    return [parts[k] for k in sorted(parts)]


def _frame_at(video: Path, t: float) -> np.ndarray | None:
    from videocam.io.reader import VideoReader
    r = VideoReader(video, start_s=max(0.0, t - 1e-3), full_rgb=True)
    try:
        for f in r:
            return f.rgb
    finally:
        r.close()
    return None


def _cut(rgb: np.ndarray, box) -> np.ndarray:
    import cv2
    cx, cy = (box.x0 + box.x1) / 2.0, (box.y0 + box.y1) / 2.0
    side = max(box.x1 - box.x0, box.y1 - box.y0) * CROP_SCALE
    n = int(round(side))
    m = np.array([[1, 0, n / 2.0 - cx], [0, 1, n / 2.0 - cy]], np.float32)
    return cv2.warpAffine(rgb, m, (n, n), borderMode=cv2.BORDER_REPLICATE)


def enrol_cluster(csv_path, cluster: str, name: str, people: str | os.PathLike, add: bool = False,
                  limit: int = MAX_FACES) -> EnrolledCluster:
    import cv2

    from videocam.io.csvfile import read_csv
    from videocam.io.runinfo import read_run_info
    from videocam.model.face_finder import detect, detector, sharpness
    from videocam.stages.strangers import MIN_SHARPNESS
    csv_path = Path(csv_path)
    if not name or name.strip() != name or any(c in name for c in "/\\") or name in (".", ".."):
        raise UsageError(f"--name {name!r}: a person's name is a folder name (no slashes, no spaces around it)")
    if not csv_path.is_file():
        raise DataError(f"run CSV not found: {csv_path}")
    table = read_csv(csv_path)
    found = cluster_boxes(table.rows, cluster)
    if not found:
        ids = sorted({b.cluster for r in table.rows for b in r.boxes if getattr(b, "cluster", None)},
                     key=lambda c: (len(c), c))
        have = f"its clusters: {', '.join(ids)}" if ids else "it has no clusters (a run of a face model has them)"
        raise UsageError(f"cluster {cluster} is not in {csv_path.name} ({have})")
    info = read_run_info(csv_path)
    if info is None:
        raise DataError(f"no run info beside {csv_path} ({csv_path.name[:-4]}.json): cannot tell which video it "
                        f"comes from")
    video = Path(info["input"])
    if not video.is_file():
        raise DataError(f"the run's video is gone: {video}")
    folder = Path(people) / name
    if folder.exists() and not add:
        raise UsageError(f"{folder} already exists (--add puts the new faces beside the photos there)")

    det = detector()
    keep: list[tuple[str, np.ndarray]] = []
    first = spread_pick(found, limit)
    spare = [c for c in spread_pick(found, limit * 3) if c not in first]  # for faces turned down below
    for t, b in first + spare:
        rgb = _frame_at(video, t)
        if rgb is None:
            continue
        cut = _cut(rgb, b)
        if sharpness(cv2.resize(cut, (150, 150))) < MIN_SHARPNESS or not detect(det, cut, upsample=1, min_face=8):
            continue  # soft, or not a frontal face for dlib's detector
        keep.append((f"{video.stem}_{cluster}_{t:09.3f}s.jpg".replace(":", "_"), cut))
        if len(keep) >= limit:
            break
    if not keep:
        raise DataError(f"cluster {cluster}: none of its {len(found)} faces is sharp and frontal enough to enrol")
    tmp = Path(people) / f".{name}.part"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    written = []
    try:
        for fname, img in keep:
            ok, data = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
            if not ok:
                raise DataError(f"cannot encode a face of cluster {cluster}")
            (tmp / fname).write_bytes(data.tobytes())
        if folder.exists():
            for p in sorted(tmp.iterdir()):
                dest = folder / p.name
                os.replace(p, dest)
                written.append(dest)
            tmp.rmdir()
        else:
            os.replace(tmp, folder)
            written = sorted(folder / f for f, _ in keep)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return EnrolledCluster(folder, written, len(found), video)
