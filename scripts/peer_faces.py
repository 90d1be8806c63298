"""videocam against `face_recognition` on the same enrolment photos and the same frames.

    pip install dlib-bin face-recognition-models && pip install --no-deps face-recognition
    python scripts/peer_faces.py                     # report seeds 100-101, testing.xml group photos
    python scripts/peer_faces.py --seeds 100-104 --hold 12

Per seed (`face_material`): 3 Johns enrolled from 5 small grey photos each, a 1280x720 H.264 video of
group shots (real group photos of strangers, the Johns' other photos beside them, 2 Johns never
enrolled), each shot held `--hold` frames with a slow zoom. Both tools run as a fresh process on
the whole video, start-up included:
- videocam: `videocam train PEOPLE --backbone face` (not timed), then `videocam run V --model M
  --no-mp4 --multi` (timed);
- face_recognition, its default loop as its README shows it: every frame, `face_locations` (HOG,
  one upsample) and `face_encodings`, the nearest enrolled face at its default tolerance 0.6, else
  unknown. Enrolment photos where its detector finds no face are encoded whole (their crop is the
  face), as users do.
Both CSVs are scored by `videocam.eval.face_score` against the same truth. One table.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def face_recognition_child(people: str, video: str, out_csv: str) -> None:
    """The peer's loop (run in its own process, timed from outside)."""
    import av
    import face_recognition
    import numpy as np
    names, known = [], []
    for d in sorted(Path(people).iterdir()):
        for p in sorted(d.iterdir()):
            img = face_recognition.load_image_file(str(p))
            enc = face_recognition.face_encodings(img)
            if not enc:
                enc = face_recognition.face_encodings(img, known_face_locations=[(0, img.shape[1], img.shape[0], 0)])
            names.append(d.name)
            known.append(enc[0])
    known = np.stack(known)
    with open(out_csv, "w", newline="") as fh, av.open(video) as box:
        w = csv.writer(fh)
        w.writerow(["frame", "boxes"])
        for i, frame in enumerate(box.decode(video=0)):
            rgb = frame.to_ndarray(format="rgb24")
            locs = face_recognition.face_locations(rgb)
            encs = face_recognition.face_encodings(rgb, locs)
            boxes = []
            for (top, right, bottom, left), e in zip(locs, encs):
                d = face_recognition.face_distance(known, e)
                j = int(np.argmin(d))
                label = names[j] if d[j] <= 0.6 else "unknown"
                boxes.append({"label": label, "x0": left, "y0": top, "x1": right + 1, "y1": bottom + 1})
            w.writerow([i, json.dumps(boxes)])


def read_boxes(path: Path) -> dict[int, list]:
    with open(path, newline="") as fh:
        return {int(r["frame"]): json.loads(r["boxes"]) for r in csv.DictReader(fh)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="100-101")
    ap.add_argument("--split", choices=("tuning", "report"), default="report")
    ap.add_argument("--hold", type=int, default=12, help="frames each shot is held (default 12)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        face_recognition_child(*a.child)
        return 0
    try:
        import face_recognition  # noqa: F401
    except ImportError:
        print("skipped: face_recognition is not installed (pip install dlib-bin face-recognition-models && "
              "pip install --no-deps face-recognition)")
        return 0
    import face_material as fm

    from videocam.eval.face_score import FaceCounts, score_frame
    lo, _, hi = a.seeds.partition("-")
    seeds = range(int(lo), int(hi or lo) + 1)
    totals = {"videocam": FaceCounts(), "face_recognition": FaceCounts()}
    frames = {"videocam": 0, "face_recognition": 0}
    seconds = {"videocam": 0.0, "face_recognition": 0.0}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for seed in seeds:
            enrol_sets, _, _ = fm.split_people(seed)
            people = fm.write_enrolment(enrol_sets, tmp / f"people{seed}")
            video = tmp / f"group{seed}.mp4"
            truth = fm.write_video([(s, a.hold) for s in fm.shots(seed, a.split)], video)
            model = tmp / f"m{seed}.keras"
            subprocess.run([sys.executable, "-m", "videocam.cli.main", "train", str(people), "--backbone", "face",
                            "--out", str(model)], check=True, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            runs = {
                "videocam": ([sys.executable, "-m", "videocam.cli.main", "run", str(video), "--model", str(model),
                              "--no-mp4", "--multi", "--out", str(tmp / "vc")], tmp / "vc" / f"group{seed}.cam.csv"),
                "face_recognition": ([sys.executable, __file__, "--child", str(people), str(video),
                                      str(tmp / f"fr{seed}.csv")], tmp / f"fr{seed}.csv"),
            }
            for tool, (cmd, out) in runs.items():
                t0 = time.perf_counter()
                r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                seconds[tool] += time.perf_counter() - t0
                if r.returncode:
                    sys.exit(f"{tool} failed: {r.stderr.strip()[-1500:]}")
                got = read_boxes(out)
                frames[tool] += len(got)
                for i, (faces, strangers_only) in enumerate(truth):
                    totals[tool] = totals[tool] + score_frame(faces, got.get(i, []), strangers_only)
            print(f"seed {seed}: " + ", ".join(f"{t} {frames[t] / seconds[t]:.1f} fps so far" for t in totals),
                  file=sys.stderr, flush=True)
    print(f"\n{len(seeds)} video(s), {frames['videocam']} frames of 1280x720 each tool, 2 cores, start-up included\n")
    print("| tool | known faces named | strangers named | stranger-only frames named | wrong named boxes "
          "| frames/s |")
    print("|---|---|---|---|---|---|")
    for tool, c in totals.items():
        r = c.rates()
        print(f"| {tool} | {r['enrolled_named']:.3f} ({c.enrolled_named}/{c.enrolled}) | {r['strangers_named']:.3f} "
              f"({c.strangers_named}/{c.strangers}) | {r['stranger_frames_named']:.3f} | {r['named_wrong']:.3f} "
              f"({c.named_wrong}/{c.named_boxes}) | {frames[tool] / seconds[tool]:.2f} |")
    ratio = (frames["videocam"] / seconds["videocam"]) / (frames["face_recognition"] / seconds["face_recognition"])
    print(f"\nvideocam / face_recognition frames per second: {ratio:.1f}x (same run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
