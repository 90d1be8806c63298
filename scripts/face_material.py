"""Real multi-person material for the face models, made from ../shared/realdata (no file committed).

A split (seed) picks 3 of the 5 Johns to enrol (5 photos each, made small and grey, as a user's
crops cut from other footage would be) and keeps the other 2 as strangers. Its frames are
1280x720: a real group photo of strangers (every face boxed in dlib's XML), scaled so its faces
are 37-120 px, with the Johns' other photos pasted along a row beside it (faces 40-110 px): the
enrolled Johns' test photos and the stranger Johns' photos. Strangers-only frames have no
enrolled John. Tuning uses the group photos of `training.xml` and seeds 0-9; the report uses
those of `testing.xml` and seeds 100-119, which no constant was chosen on.

Truth per frame: a list of (name or None for a stranger, box) for every face.
"""
from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
W, H = 1280, 720
TUNING_SEEDS = list(range(0, 10))
REPORT_SEEDS = list(range(100, 120))


@dataclass
class Shot:
    rgb: np.ndarray
    faces: list  # [(name or None, (x0, y0, x1, y1))]
    strangers_only: bool


def johns() -> dict[str, list[Path]]:
    root = REAL / "johns"
    return {d.name: sorted(d.glob("*.jpg")) for d in sorted(root.iterdir()) if d.is_dir()}


def groups(split: str) -> list[tuple[Path, list]]:
    xml = REAL / "groups" / ("training.xml" if split == "tuning" else "testing.xml")
    out = []
    for im in ET.parse(xml).getroot().iter("image"):
        boxes = [(int(b.get("left")), int(b.get("top")), int(b.get("left")) + int(b.get("width")),
                  int(b.get("top")) + int(b.get("height"))) for b in im.iter("box")]
        out.append((REAL / "groups" / im.get("file"), boxes))
    return out


def rgb(path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


_FACE_IN_CROP: dict = {}


def face_in_crop(path) -> tuple:
    """The face box in a John's 150x150 photo (dlib HOG; the photos are LFW-style centred crops)."""
    if path not in _FACE_IN_CROP:
        import dlib
        det = dlib.get_frontal_face_detector()
        r = det(rgb(path), 1)
        if len(r):
            b = max(r, key=lambda q: q.width())
            _FACE_IN_CROP[path] = (b.left(), b.top(), b.right() + 1, b.bottom() + 1)
        else:
            _FACE_IN_CROP[path] = (45, 45, 105, 105)
    return _FACE_IN_CROP[path]


def split_people(seed: int):
    """(enrolment {name: photos}, tests {name: photos}, strangers {name: photos})."""
    rnd = random.Random(seed)
    people = johns()
    enrol, tests, strangers = _pick(rnd, people, 3)
    return enrol, tests, {n: people[n] for n in strangers}


def _pick(rnd, people: dict, n_enrolled: int):
    """`n_enrolled` Johns drawn to enrol, each split 5 to enrol / the rest to test; the others strangers."""
    names = sorted(people)
    rnd.shuffle(names)
    enrolled, strangers = names[:n_enrolled], names[n_enrolled:]
    enrol, tests = {}, {}
    for n in enrolled:
        ps = list(people[n])
        rnd.shuffle(ps)
        enrol[n], tests[n] = ps[:5], ps[5:]
    return enrol, tests, strangers


def write_enrolment(enrol: dict, folder: Path, small: int = 80, grey: bool = True) -> Path:
    """The enrolment photos as a user might have them: small grey crops, one folder per person."""
    for name, ps in enrol.items():
        d = folder / name
        d.mkdir(parents=True, exist_ok=True)
        for p in ps:
            img = cv2.imread(str(p))
            img = cv2.resize(img, (small, small), interpolation=cv2.INTER_AREA)
            if grey:
                img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
            cv2.imwrite(str(d / p.name), img)
    return folder


def _paste_group(canvas, group_path, boxes, rnd, region_w):
    img = rgb(group_path)
    h, w = img.shape[:2]
    biggest = max(b[2] - b[0] for b in boxes)
    s = min(rnd.uniform(1.0, 1.6), 120.0 / biggest, region_w / w, H / h)
    g = cv2.resize(img, (int(w * s), int(h * s)), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    gh, gw = g.shape[:2]
    ox, oy = rnd.randint(0, max(0, region_w - gw)), rnd.randint(0, max(0, H - gh))
    canvas[oy:oy + gh, ox:ox + gw] = g
    return [(None, (int(ox + b[0] * s), int(oy + b[1] * s), int(ox + b[2] * s), int(oy + b[3] * s))) for b in boxes]


def _paste_row(canvas, photos, x_from, rnd):
    """Paste (name, path) photos side by side from x_from to the right edge, faces 40-110 px."""
    faces = []
    n = len(photos)
    slot = (W - x_from) // max(1, n)
    for i, (name, p) in enumerate(photos):
        img = rgb(p)
        fx0, fy0, fx1, fy1 = face_in_crop(p)
        face_w = rnd.uniform(40, 110)
        s = min(face_w / (fx1 - fx0), (slot - 4) / img.shape[1])
        side = int(img.shape[1] * s)
        im = cv2.resize(img, (side, side), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        x = x_from + i * slot + rnd.randint(0, max(0, slot - side))
        y = rnd.randint(int(H * 0.15), max(int(H * 0.15), H - side - int(H * 0.1)))
        canvas[y:y + side, x:x + side] = im
        faces.append((name, (int(x + fx0 * s), int(y + fy0 * s), int(x + fx1 * s), int(y + fy1 * s))))
    return faces


def shots(seed: int, split: str) -> list[Shot]:
    """One split's frames: each group photo once with enrolled and stranger Johns beside it, and once
    with stranger Johns only."""
    rnd = random.Random(seed * 7919 + (0 if split == "tuning" else 1))
    _, tests, strangers = split_people(seed)
    out = []
    for gpath, boxes in groups(split):
        for strangers_only in (False, True):
            canvas = np.full((H, W, 3), 0, np.uint8)
            bg = cv2.resize(rgb(gpath), (W, H))
            canvas[:] = cv2.GaussianBlur(bg, (0, 0), 25) // 2
            faces = _paste_group(canvas, gpath, boxes, rnd, region_w=int(W * 0.55))
            row = []
            if not strangers_only:
                for n, ps in tests.items():
                    row.append((n, rnd.choice(ps)))
            for n, ps in strangers.items():
                row.append((None, rnd.choice(ps)))
            rnd.shuffle(row)
            faces += _paste_row(canvas, row, int(W * 0.56), rnd)
            out.append(Shot(canvas, faces, strangers_only))
    return out


def write_video(frames_and_holds, path: Path, fps: int = 25, drift: bool = True):
    """Each shot held for `hold` frames with a slow zoom (Ken Burns), H.264; returns the per-frame
    truth (a shot's boxes moved with the zoom)."""
    import av
    truth = []
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=fps)
        st.width, st.height, st.pix_fmt = W, H, "yuv420p"
        st.options = {"crf": "20", "preset": "veryfast"}
        for shot, hold in frames_and_holds:
            for k in range(hold):
                z = 1.0 + (0.04 * k / max(1, hold - 1) if drift else 0.0)
                m = cv2.getRotationMatrix2D((W / 2, H / 2), 0, z)
                img = cv2.warpAffine(shot.rgb, m, (W, H)) if z != 1.0 else shot.rgb
                faces = []
                for name, (x0, y0, x1, y1) in shot.faces:
                    p0 = m @ np.array([x0, y0, 1.0])
                    p1 = m @ np.array([x1, y1, 1.0])
                    faces.append((name, (int(p0[0]), int(p0[1]), int(p1[0]), int(p1[1]))))
                truth.append((faces, shot.strangers_only))
                for pkt in st.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")):
                    out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    return truth


def stranger_shots(seed: int, split: str) -> tuple[dict, list[Shot]]:
    """For grouping strangers: 2 Johns enrolled (returned: {name: 5 photos}), the other 3 Johns in
    every shot with another photo each time, beside the split's group photos (each used twice).
    Truth names: a John's name, or `<photo>#<k>` for the k-th face of a group photo."""
    rnd = random.Random(seed * 104729 + (0 if split == "tuning" else 1))
    people = johns()
    enrol, tests, strangers = _pick(rnd, people, 2)
    enrolled = list(enrol)
    queues = {n: rnd.sample(list(people[n]), len(people[n])) for n in strangers}
    out = []
    for rep in range(2):
        for gpath, boxes in groups(split):
            canvas = np.zeros((H, W, 3), np.uint8)
            canvas[:] = cv2.GaussianBlur(cv2.resize(rgb(gpath), (W, H)), (0, 0), 25) // 2
            faces = _paste_group(canvas, gpath, boxes, rnd, region_w=int(W * 0.55))
            faces = [(f"{gpath.name}#{k}", b) for k, (_, b) in enumerate(faces)]
            row = [(n, queues[n][(len(out)) % len(queues[n])]) for n in strangers]
            n = rnd.choice(enrolled)
            row.append((n, rnd.choice(tests[n])))
            rnd.shuffle(row)
            faces += _paste_row(canvas, row, int(W * 0.56), rnd)
            out.append(Shot(canvas, faces, False))
    rnd.shuffle(out)
    return enrol, out
