"""The debate video: a shot plan (close-ups, two-shots, wide shots, empty stage, cuts),
its frames, and the per-frame truth CSV."""
from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from videocam.synth.people import PEOPLE, draw_person, rand_color, sample_look, shade
from videocam.synth.scenes import make_background, make_dataset
from videocam.types import NOBODY

# The debate video


@dataclass
class _Actor:
    label: str
    cx: float  # in frame pixels at t=0
    top: float
    height: float
    bob_amp: float
    bob_freq: float
    bob_phase: float
    tilt_amp: float


@dataclass
class _Shot:
    kind: str
    n_frames: int
    camera: int
    actors: list
    zoom: float  # relative zoom per second
    pan: tuple  # pixels per second


# Shot kinds: "two" is a two-shot of unequal size (one person 1.15-1.35x the other),
# "two_equal" one of about equal size (1.04-1.08x: close enough that a per-frame argmax
# trades between them, far enough apart that the truth's rule, the largest box, never
# does), "wide3"/"wide4" a panel of 3/4 people behind a desk (one of them nearer).
SHOT_KINDS = ("close", "medium", "two", "two_equal", "wide3", "wide4", "empty")
SHOT_P = (0.22, 0.20, 0.12, 0.10, 0.08, 0.08, 0.20)
# every video of at least this length has every kind of shot at least once
ALL_KINDS_FROM_S = 20.0
EQUAL_RATIO = (1.04, 1.08)
UNEQUAL_RATIO = (1.15, 1.35)


def _plan_kinds(rng: np.random.Generator, n_shots: int, need_all: bool) -> list[str]:
    """The kind of each shot: every kind once when `need_all` (and there is room), the rest
    drawn with SHOT_P, shuffled; never two empty shots in a row."""
    kinds = list(SHOT_KINDS) if need_all and n_shots >= len(SHOT_KINDS) else []
    kinds += [SHOT_KINDS[int(rng.choice(len(SHOT_KINDS), p=SHOT_P))] for _ in range(n_shots - len(kinds))]
    kinds = [kinds[i] for i in rng.permutation(len(kinds))]
    for i in range(1, len(kinds)):
        if kinds[i] == kinds[i - 1] == "empty":
            kinds[i] = "close"
    return kinds


def _plan_shots(rng: np.random.Generator, n_frames: int, fps: int, size, n_cameras: int) -> list[_Shot]:
    W, H = size
    shots: list[_Shot] = []
    order = list(rng.permutation(PEOPLE))
    k_person = 0

    def next_person(exclude=()):
        nonlocal k_person, order
        for _ in range(20):
            if k_person >= len(order):
                order = list(rng.permutation(PEOPLE))
                k_person = 0
            p = order[k_person]
            k_person += 1
            if p not in exclude:
                return p
        return next(q for q in PEOPLE if q not in exclude)

    def actor(label, cx, top, height):
        return _Actor(label, cx, top, height, bob_amp=rng.uniform(0.002, 0.008), bob_freq=rng.uniform(0.4, 1.4),
                      bob_phase=rng.uniform(0, 2 * math.pi), tilt_amp=rng.uniform(0.5, 3.0))

    lengths: list[int] = []
    total = 0
    while total < n_frames:
        nf = int(round(rng.uniform(1.5, 3.5) * fps))
        nf = min(nf, n_frames - total)
        if n_frames - total - nf < int(1.0 * fps):  # no tiny last shot
            nf = n_frames - total
        lengths.append(nf)
        total += nf
    kinds = _plan_kinds(rng, len(lengths), n_frames >= ALL_KINDS_FROM_S * fps)
    for nf, kind in zip(lengths, kinds):
        actors = []
        if kind == "close":
            hp = H * rng.uniform(1.15, 1.45)
            actors.append(actor(next_person(), W / 2 + rng.uniform(-0.15, 0.15) * W, H * rng.uniform(0.0, 0.06), hp))
        elif kind == "medium":
            hp = H * rng.uniform(0.7, 0.95)
            actors.append(actor(next_person(), W * rng.uniform(0.3, 0.7), H - 0.92 * hp + rng.uniform(0, 0.05) * H, hp))
        elif kind in ("two", "two_equal"):
            a = next_person()
            b = next_person(exclude=(a,))
            big = H * rng.uniform(0.7, 0.9)
            small = big / rng.uniform(*(EQUAL_RATIO if kind == "two_equal" else UNEQUAL_RATIO))
            near_left = rng.random() < 0.5
            hs = (big, small) if near_left else (small, big)
            xs = (W * rng.uniform(0.25, 0.33), W * rng.uniform(0.67, 0.75))
            # one vertical offset for both: the bottom edge clips both people alike, so the
            # nearer one's box stays the larger in every frame
            dy = rng.uniform(0, 0.03) * H
            for lab, x, hp in zip((a, b), xs, hs):
                actors.append(actor(lab, x, H - 0.95 * hp + dy, hp))
        elif kind in ("wide3", "wide4"):
            n = 3 if kind == "wide3" else 4
            labs = []
            for _ in range(n):
                labs.append(next_person(exclude=tuple(labs)))
            base = H * rng.uniform(0.3, 0.4)
            desk_y = H * rng.uniform(0.78, 0.86)
            near = int(rng.integers(n))
            for j, lab in enumerate(labs):
                hp = base * (1.2 if j == near else rng.uniform(0.9, 1.0))
                x = W * (j + 0.5) / n + rng.uniform(-0.03, 0.03) * W
                actors.append(actor(lab, x, desk_y - hp, hp))
        zoom = rng.uniform(-0.02, 0.04) if kind != "empty" else rng.uniform(0.0, 0.03)
        pan = (rng.uniform(-0.02, 0.02) * W, rng.uniform(-0.01, 0.01) * H)
        shots.append(_Shot(kind, nf, int(rng.integers(n_cameras)), actors, zoom, pan))
    return shots


def _plan_ok(shots: list[_Shot], n_frames: int, fps: int = 25) -> bool:
    seen = {a.label for s in shots for a in s.actors}
    empty = sum(s.n_frames for s in shots if s.kind == "empty")
    multi = sum(s.n_frames for s in shots if len(s.actors) >= 2)
    lead = {max(s.actors, key=lambda a: a.height).label for s in shots if s.actors}
    need_all = n_frames >= 10 * fps  # short test clips need not show everyone
    kinds_ok = n_frames < ALL_KINDS_FROM_S * fps or {s.kind for s in shots} >= set(SHOT_KINDS)
    return ((not need_all or (seen >= set(PEOPLE) and lead >= set(PEOPLE))) and kinds_ok
            and 0.1 * n_frames <= empty <= 0.3 * n_frames and 0.2 * n_frames <= multi <= 0.55 * n_frames)


def _studio_background(rng: np.random.Generator, size) -> np.ndarray:
    W, H = size
    bg = make_background(rng, (W, H))
    # a studio feel: a darker floor band and a back-wall stripe, no text
    cv2.rectangle(bg, (0, int(0.82 * H)), (W, H), shade(rand_color(rng), 0.5), -1)
    return bg


def render_video_frames(seed: int = 0, duration_s: float = 24.0, fps: int = 25, size=(640, 360)):
    """Yield ``(rgb, label, boxes)`` for each frame of the debate video.

    `boxes` is a list of ``(label, (x0, y0, x1, y1))`` clipped to the frame.
    """
    W, H = size
    n_frames = int(round(duration_s * fps))
    rng = np.random.default_rng([int(seed), 99])
    n_cameras = 3
    for _ in range(200):
        shots = _plan_shots(rng, n_frames, fps, size, n_cameras)
        if _plan_ok(shots, n_frames, fps):
            break
    margin = 1.25
    BW, BH = int(W * margin), int(H * margin)
    backgrounds = [_studio_background(rng, (BW, BH)) for _ in range(n_cameras)]
    looks = {p: sample_look(rng, p) for p in PEOPLE}
    grades = [(rng.uniform(0.92, 1.08, 3).astype(np.float32), rng.uniform(-12, 12)) for _ in range(n_cameras)]
    noise_rng = np.random.default_rng([int(seed), 100])
    for shot in shots:
        bg = backgrounds[shot.camera]
        ox0, oy0 = rng.uniform(0, BW - W), rng.uniform(0, BH - H)
        for k in range(shot.n_frames):
            t = k / fps
            z = 1.0 + shot.zoom * t
            # camera: frame pixel (u,v) <- scene point ((u - W/2)/z + W/2 + pan, ...)
            px, py = shot.pan[0] * t, shot.pan[1] * t
            # background crop of the oversized plate, zoomed about the centre
            ax, ay = ox0 + W / 2 + px, oy0 + H / 2 + py
            M = np.array([[z, 0, W / 2 - z * ax], [0, z, H / 2 - z * ay]], np.float32)
            frame = cv2.warpAffine(bg, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            boxes = []
            for a in sorted(shot.actors, key=lambda a: a.height):  # the nearest is drawn last
                bob = a.bob_amp * math.sin(2 * math.pi * a.bob_freq * t + a.bob_phase)
                cx = (a.cx - W / 2 - px) * z + W / 2
                top = (a.top - H / 2 - py) * z + H / 2
                tilt = a.tilt_amp * math.sin(2 * math.pi * a.bob_freq * 0.7 * t + a.bob_phase)
                box = draw_person(frame, looks[a.label], cx, top, a.height * z, rot_deg=0.3 * tilt,
                                  head_off=(bob * 0.5, bob), head_tilt_deg=tilt)
                if box is not None:
                    boxes.append((a.label, box))
            if shot.kind.startswith("wide"):  # the desk in front of the panel
                dy = int(((max(a.top + a.height for a in shot.actors) - H / 2 - py) * z + H / 2))
                cv2.rectangle(frame, (0, dy), (W, H), (90, 60, 40), -1)
                cv2.rectangle(frame, (0, dy), (W, dy + max(2, H // 60)), (140, 100, 70), -1)
                boxes = [(lab, (b[0], b[1], b[2], min(b[3], dy))) for lab, b in boxes if min(b[3], dy) > b[1]]
            gain, off = grades[shot.camera]
            f = frame.astype(np.float32) * gain + off
            f += noise_rng.standard_normal(f.shape, dtype=np.float32) * 2.5
            frame = np.clip(f + 0.5, 0, 255).astype(np.uint8)
            if boxes:
                label = max(boxes, key=lambda lb: (lb[1][2] - lb[1][0]) * (lb[1][3] - lb[1][1]))[0]
            else:
                label = NOBODY
            yield frame, label, boxes


def make_video(mp4_path, truth_csv_path, seed: int = 0, duration_s: float = 24.0, fps: int = 25,
               size: tuple[int, int] = (640, 360), progress: bool = True) -> int:
    """Write a TV-debate-like H.264 MP4 and its per-frame ground truth CSV.

    CSV header: ``frame,time_s,label,boxes``; `boxes` is a JSON list of
    ``{"label", "score", "x0", "y0", "x1", "y1"}`` (``[]`` for nobody). Frame
    ``i`` has pts ``i`` in time base ``1/fps``. Returns the frame count.
    """
    from videocam.io.writers import Mp4Writer
    from videocam.types import Box

    W, H = int(size[0]), int(size[1])
    if W % 2 or H % 2:
        raise ValueError("yuv420p needs an even width and height")
    mp4_path, truth_csv_path = Path(mp4_path), Path(truth_csv_path)
    mp4_path.parent.mkdir(parents=True, exist_ok=True)
    truth_csv_path.parent.mkdir(parents=True, exist_ok=True)
    n_frames = int(round(duration_s * fps))
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=n_frames, desc="synth video", unit="frame")
    n = 0
    with Mp4Writer(mp4_path, fps, W, H, crf=20, x264_params=None) as out, \
            open(truth_csv_path, "w", newline="") as fcsv:
        w = csv.writer(fcsv)
        w.writerow(["frame", "time_s", "label", "boxes"])
        for i, (rgb, label, boxes) in enumerate(render_video_frames(seed, duration_s, fps, (W, H))):
            out.write(rgb, i / fps)
            js = json.dumps([Box(lab, 1.0, *b).to_dict() for lab, b in boxes])
            w.writerow([i, f"{round(i / fps, 4)}", label, js])
            n += 1
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    return n


def make_samples(out_dir, seed: int = 0, progress: bool = True, **counts) -> dict:
    """`make_dataset` + the debate video: what ``videocam samples`` calls.

    `counts` may hold n_train/n_val/n_test/workers (for make_dataset) and
    duration_s/fps/size (for make_video).
    """
    out = Path(out_dir)
    vid_keys = {"duration_s", "fps", "size"}
    vid_kw = {k: counts.pop(k) for k in list(counts) if k in vid_keys}
    info = make_dataset(out, seed=seed, progress=progress, **counts)
    n = make_video(out / "debate.mp4", out / "debate.truth.csv", seed=seed, progress=progress, **vid_kw)
    info.update(video=str(out / "debate.mp4"), truth_csv=str(out / "debate.truth.csv"), video_frames=n)
    return info

