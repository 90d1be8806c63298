"""`videocam live` with a face model on a 640x480 file played like a camera (real time, frames
dropped when the model falls behind): frames shown, dropped, and the names it gave.

    python scripts/live_faces.py            # tuning seed 0's people and shots, 20 s at 30 fps

The video: the split's shots (real group photos with Johns beside them) cut to 640x480, each held
2 s. The enrolment: 3 Johns, 5 small grey photos each (`face_material`).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--fps", type=int, default=30)
    a = ap.parse_args(argv)
    import av
    import cv2
    import face_material as fm
    import numpy as np
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        enrol_sets, _, _ = fm.split_people(a.seed)
        people = fm.write_enrolment(enrol_sets, tmp / "people")
        model = tmp / "people.keras"
        subprocess.run([sys.executable, "-m", "videocam.cli.main", "train", str(people), "--backbone", "face",
                        "--out", str(model)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shots = fm.shots(a.seed, "tuning")
        video = tmp / "cam640.mp4"
        n = int(a.seconds * a.fps)
        hold = 2 * a.fps
        with av.open(str(video), "w") as out:
            st = out.add_stream("libx264", rate=a.fps)
            st.width, st.height, st.pix_fmt = 640, 480, "yuv420p"
            for i in range(n):
                shot = shots[(i // hold) % len(shots)].rgb
                # the right part of the shot (the row of Johns and part of the group), at 0.75x
                part = cv2.resize(shot[:, 1280 - 853:], (640, 540), interpolation=cv2.INTER_AREA)[30:510]
                for pkt in st.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(part), format="rgb24")):
                    out.mux(pkt)
            for pkt in st.encode():
                out.mux(pkt)
        r = subprocess.run([sys.executable, "-m", "videocam.cli.main", "live", "--source", str(video), "--model",
                            str(model), "--no-display", "--csv", str(tmp / "live.csv")],
                           capture_output=True, text=True)
        print(r.stdout.strip())
        if r.returncode:
            print(r.stderr.strip()[-2000:])
            return r.returncode
        import csv
        import json
        labels: dict = {}
        with open(tmp / "live.csv", newline="") as fh:
            for row in csv.DictReader(fh):
                for b in json.loads(row["boxes"]):
                    labels[b["label"]] = labels.get(b["label"], 0) + 1
        print("boxes by name: " + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))
        print(f"enrolled: {', '.join(enrol_sets)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
