"""Face models on real multi-person frames, through the real pipeline (`process_video`).

    python scripts/face_eval.py --split tuning            # seeds 0-9, training.xml group photos
    python scripts/face_eval.py --split report            # seeds 100-119, testing.xml: report only
    python scripts/face_eval.py --split tuning --set CHIP_SCALE=1.5 --set threshold=0.55

Per seed: enrol 3 Johns from 5 small grey photos each (`videocam.model.enrol`), make a 1280x720
video of the split's shots (`face_material`), run it, score every frame (`videocam.eval.face_score`).
Also the photo accuracy target: 10 random 5/3 splits of all 5 Johns (colour photos, each test
photo named on its own). Prints per-seed rows, the mean and the worst, and writes --json.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import face_material as fm  # noqa: E402
import numpy as np  # noqa: E402


def apply_overrides(sets: list[str]) -> dict:
    import videocam.model.face_finder as ff
    import videocam.model.face_model as fmod
    import videocam.model.identity as ident
    import videocam.stages.identify as idf
    done = {}
    for s in sets or []:
        k, v = s.split("=")
        for mod in (ff, fmod, ident, idf):
            if hasattr(mod, k):
                setattr(mod, k, type(getattr(mod, k))(float(v)) if not isinstance(getattr(mod, k), int)
                        else int(float(v)))
                done[k] = v
        if k == "threshold":
            done[k] = float(v)
    return done


def photo_accuracy(seeds) -> list[float]:
    """Accuracy on the Johns' photos, 5 train / 3 test per person, all 5 enrolled."""
    from videocam.model.enrol import enrol
    from videocam.model.loading import load_model
    accs = []
    people = fm.johns()
    for seed in seeds:
        rnd = random.Random(seed)
        with tempfile.TemporaryDirectory() as tmp:
            tests = []
            for n, ps in people.items():
                ps = list(ps)
                rnd.shuffle(ps)
                d = Path(tmp) / "people" / n
                d.mkdir(parents=True)
                for p in ps[:5]:
                    (d / p.name).write_bytes(p.read_bytes())
                tests += [(n, p) for p in ps[5:]]
            enrol(Path(tmp) / "people", Path(tmp) / "m.keras", progress=False)
            m = load_model(Path(tmp) / "m.keras")
            probs, _ = m.predict([fm.rgb(p) for _, p in tests])
            named = [m.classes[int(np.argmax(p))] if p.max() >= 0.5 else "unknown" for p in probs]
            accs.append(float(np.mean([a == n for a, (n, _) in zip(named, tests)])))
    return accs


def run_seed(seed: int, split: str, hold: int, threshold: float | None, workdir: Path, model_cache=None):
    from videocam.eval.face_score import FaceCounts, score_frame
    from videocam.model.enrol import enrol
    from videocam.model.loading import load_model
    from videocam.pipeline.process import process_video
    enrol_sets, _, _ = fm.split_people(seed)
    folder = fm.write_enrolment(enrol_sets, workdir / f"people{seed}")
    enrol(folder, workdir / f"m{seed}.keras", progress=False)
    model = load_model(workdir / f"m{seed}.keras")
    if threshold is not None:
        model.threshold = threshold
    truth = fm.write_video([(s, hold) for s in fm.shots(seed, split)], workdir / f"v{seed}.mp4")
    counts = [FaceCounts()]

    def on_result(r, rgb):
        faces, strangers_only = truth[r.frame.index]
        counts[0] = counts[0] + score_frame(faces, r.boxes, strangers_only, r.cams, r.classes,
                                            (r.frame.width, r.frame.height))

    t0 = time.perf_counter()
    s = process_video(workdir / f"v{seed}.mp4", model=model, out_dir=workdir / "out", mp4=False, csv=True,
                      on_result=on_result, handle_signals=False)
    return counts[0], s.frames / (time.perf_counter() - t0), model.threshold


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("tuning", "report"), default="tuning")
    ap.add_argument("--seeds", default=None, help="e.g. 0-4 (default: the split's)")
    ap.add_argument("--hold", type=int, default=10, help="frames each shot is held (default 10)")
    ap.add_argument("--set", action="append", default=[], help="NAME=VALUE: override a constant (tuning)")
    ap.add_argument("--photos", type=int, default=10, help="photo-accuracy splits (default 10; 0: skip)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    over = apply_overrides(a.set)
    if a.seeds:
        lo, _, hi = a.seeds.partition("-")
        seeds = list(range(int(lo), int(hi or lo) + 1))
    else:
        seeds = fm.TUNING_SEEDS if a.split == "tuning" else fm.REPORT_SEEDS
    from videocam.eval.face_score import FaceCounts
    rows, total = [], FaceCounts()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            c, fps, thr = run_seed(seed, a.split, a.hold, over.get("threshold"), Path(tmp))
            total = total + c
            r = c.rates()
            rows.append({"seed": seed, "threshold": thr, "fps": fps, **r, "counts": dict(c.__dict__)})
            print(f"seed {seed:3d} thr {thr:.3f}  named {r['enrolled_named']:.3f}  strangers named "
                  f"{r['strangers_named']:.3f}  stranger frames named {r['stranger_frames_named']:.3f}  "
                  f"wrong boxes {r['named_wrong']:.3f}  pointing {r['pointing']:.3f}  {fps:.1f} fps", flush=True)
    keys = ["enrolled_named", "strangers_named", "stranger_frames_named", "named_wrong", "pointing"]
    worst = {k: (min if k in ("enrolled_named", "pointing") else max)(r[k] for r in rows) for k in keys}
    pooled = total.rates()
    print("pooled: " + "  ".join(f"{k} {pooled[k]:.3f} (worst seed {worst[k]:.3f})" for k in keys))
    accs = photo_accuracy(range(a.photos)) if a.photos else []
    if accs:
        print(f"photos, 5 Johns, 5 train / 3 test, {len(accs)} splits: accuracy {np.mean(accs):.3f} "
              f"(worst {min(accs):.3f})")
    if a.json:
        Path(a.json).write_text(json.dumps({"split": a.split, "seeds": seeds, "overrides": over, "rows": rows,
                                            "pooled": pooled, "worst": worst, "photo_accuracy": accs}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
