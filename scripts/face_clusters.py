"""Strangers grouped into persons (`Strangers` stage): purity, completeness, speed.

    python scripts/face_clusters.py --split tuning      # seeds 0-4, training.xml group photos
    python scripts/face_clusters.py --split report      # seeds 100-109, testing.xml (report only)

Per seed (`face_material.stranger_shots`): 2 Johns enrolled, the 3 others are strangers seen in
every shot with a different photo each time, beside real group photos of strangers (each used in
two shots). Each shot is held `--hold` frames with a slow zoom, in a 1280x720 video. Scored on every
face-frame whose face a box holds:
- purity: of the face-frames a cluster holds, the share that belong to its main person;
- completeness: of a stranger John's `unknown` face-frames, the share carrying his main cluster;
- speed: the same video with and without the stage, alternated, frames per second.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import face_material as fm  # noqa: E402
import numpy as np  # noqa: E402
from face_eval import apply_overrides  # noqa: E402


def holds(box, face) -> bool:
    cx, cy = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2
    return box.x0 <= cx < box.x1 and box.y0 <= cy < box.y1


def run_seed(seed, split, hold, tmp: Path, speed: bool):
    import videocam.stages.chain as chain
    from videocam.model.enrol import enrol
    from videocam.model.loading import load_model
    from videocam.pipeline.process import process_video
    enrol_sets, shots = fm.stranger_shots(seed, split)
    folder = fm.write_enrolment(enrol_sets, tmp / f"p{seed}")
    enrol(folder, tmp / f"m{seed}.keras", progress=False)
    model = load_model(tmp / f"m{seed}.keras")
    video = tmp / f"s{seed}.mp4"
    truth = fm.write_video([(s, hold) for s in shots], video)
    by_cluster = defaultdict(Counter)      # cluster -> person -> face-frames
    by_stranger = defaultdict(Counter)     # stranger John -> cluster (or None) -> unknown face-frames

    def on_result(r, rgb):
        faces, _ = truth[r.frame.index]
        for name, fb in faces:
            hit = [b for b in r.boxes if holds(b, fb)]
            if not hit:
                continue
            b = hit[0]
            if b.cluster:
                by_cluster[b.cluster][name] += 1
            if b.label == "unknown" and name in fm.johns():
                by_stranger[name][b.cluster] += 1

    process_video(video, model=model, out_dir=tmp / "o", mp4=False, csv=True, on_result=on_result,
                  handle_signals=False)
    held = sum(sum(c.values()) for c in by_cluster.values())
    pure = sum(c.most_common(1)[0][1] for c in by_cluster.values())
    comp = [max((k for k in c if k), key=lambda k: c[k], default=None) for c in by_stranger.values()]
    complete = [c[m] / sum(c.values()) if m else 0.0 for c, m in zip(by_stranger.values(), comp)]
    out = {"seed": seed, "clusters": len(by_cluster), "purity": pure / held if held else float("nan"),
           "completeness": float(np.mean(complete)) if complete else float("nan"),
           "completeness_worst": float(min(complete)) if complete else float("nan"),
           "strangers": {n: dict(c) for n, c in by_stranger.items()}}
    # enrol the first stranger John's main cluster from this run, train again, run again
    from videocam.io.cluster_faces import enrol_cluster
    johns = sorted(n for n in by_stranger if n in fm.johns())
    if johns:
        who = johns[0]
        main = max((k for k in by_stranger[who] if k), key=lambda k: by_stranger[who][k], default=None)
        if main:
            r = enrol_cluster(tmp / "o" / f"s{seed}.cam.csv", main, "newcomer", folder)
            enrol(folder, tmp / f"m{seed}b.keras", progress=False)
            model2 = load_model(tmp / f"m{seed}b.keras")
            named = [0, 0]

            def on_result2(r2, rgb):
                faces, _ = truth[r2.frame.index]
                for name, fb in faces:
                    if name == who:
                        named[1] += 1
                        named[0] += any(b.label == "newcomer" and holds(b, fb) for b in r2.boxes)

            process_video(video, model=model2, out_dir=tmp / "o2", mp4=False, csv=True, on_result=on_result2,
                          handle_signals=False)
            out["enrolled_again"] = {"who": who, "cluster": main, "crops": len(r.written),
                                     "named": named[0] / named[1] if named[1] else float("nan")}
    if speed:
        real = chain.build_stages
        fps = {"with": [], "without": []}
        for _ in range(2):
            for mode in ("without", "with"):
                if mode == "without":
                    chain.build_stages = lambda *a, **k: [s for s in real(*a, **k) if type(s).__name__ != "Strangers"]
                import videocam.pipeline.process as proc
                proc.build_stages = chain.build_stages
                t0 = time.perf_counter()
                s = process_video(video, model=model, out_dir=tmp / "o", mp4=False, csv=True, handle_signals=False)
                fps[mode].append(s.frames / (time.perf_counter() - t0))
                chain.build_stages = real
                proc.build_stages = real
        out["fps_with"], out["fps_without"] = float(np.median(fps["with"])), float(np.median(fps["without"]))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("tuning", "report"), default="tuning")
    ap.add_argument("--seeds", default=None)
    ap.add_argument("--hold", type=int, default=10)
    ap.add_argument("--speed", action="store_true", help="also time with and without the stage")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    import videocam.stages.strangers as st
    over = apply_overrides(a.set)
    for s in a.set:
        k, v = s.split("=")
        if hasattr(st, k):
            setattr(st, k, type(getattr(st, k))(float(v)))
            over[k] = v
    if a.seeds:
        lo, _, hi = a.seeds.partition("-")
        seeds = list(range(int(lo), int(hi or lo) + 1))
    else:
        seeds = list(range(0, 5)) if a.split == "tuning" else list(range(100, 110))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            r = run_seed(seed, a.split, a.hold, Path(tmp), a.speed)
            rows.append(r)
            extra = f"  speed with/without {r['fps_with'] / r['fps_without']:.3f}" if a.speed else ""
            if "enrolled_again" in r:
                e = r["enrolled_again"]
                extra += f"  enrol {e['cluster']} ({e['crops']} crops) -> {e['who']} named {e['named']:.3f}"
            print(f"seed {seed:3d}  clusters {r['clusters']:2d}  purity {r['purity']:.3f}  completeness "
                  f"{r['completeness']:.3f} (worst stranger {r['completeness_worst']:.3f}){extra}", flush=True)
    pur = [r["purity"] for r in rows]
    com = [r["completeness"] for r in rows]
    again = [r["enrolled_again"]["named"] for r in rows if "enrolled_again" in r]
    if again:
        print(f"enrol + train + run again: the newcomer named in {np.mean(again):.3f} of his face-frames "
              f"(worst seed {min(again):.3f}, {len(again)} seeds)")
    print(f"mean purity {np.mean(pur):.3f} (worst seed {min(pur):.3f}); completeness {np.mean(com):.3f} "
          f"(worst seed {min(com):.3f})" + (f"; speed with/without {np.median([r['fps_with'] / r['fps_without'] for r in rows]):.3f}"
                                            if a.speed else ""))
    if a.json:
        Path(a.json).write_text(json.dumps({"split": a.split, "overrides": over, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
