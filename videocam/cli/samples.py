"""Write labelled train/val/test images, test_boxes.csv, debate.mp4 and debate.truth.csv, deterministic
per --seed.
"""
from __future__ import annotations

from videocam.cli.options import positive_int


def register(subparsers) -> None:
    s = subparsers.add_parser("samples", help="generate the synthetic debate benchmark",
                       description=__doc__)
    s.add_argument("--out", required=True, metavar="DIR", help="folder to write the benchmark into")
    s.add_argument("--seed", type=int, default=0,
                   help="everything is drawn from this seed (default 0; the demo video is seed 1's)")
    s.add_argument("--n-train", type=positive_int("--n-train"), default=500,
                   help="train images per class (default %(default)s)")
    s.add_argument("--n-val", type=positive_int("--n-val"), default=80,
                   help="val images per class (default %(default)s)")
    s.add_argument("--n-test", type=positive_int("--n-test"), default=100,
                   help="test images per class (default %(default)s)")
    s.add_argument("--duration", type=float, default=24.0,
                   help="video length in seconds (default %(default)s)")
    s.set_defaults(func=cmd_samples)


def cmd_samples(a) -> int:
    from videocam.synth.video import make_samples
    counts = {}
    if a.n_train is not None:
        counts["n_train"] = a.n_train
    if a.n_val is not None:
        counts["n_val"] = a.n_val
    if a.n_test is not None:
        counts["n_test"] = a.n_test
    if a.duration is not None:
        counts["duration_s"] = a.duration
    make_samples(a.out, seed=a.seed, progress=True, **counts)
    print(f"wrote the benchmark to {a.out}")
    return 0
