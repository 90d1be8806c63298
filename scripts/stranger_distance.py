"""Can a distance to the training photos tell a stranger from one of mine? (issue 16, point 6)

Leave one person out on ../shared/realdata/johns: 20 random splits (seed 0, tuning only) of 5 training
photos for 4 people; the 5th person's photos are the strangers. Features: the backbone's add_5 maps
(what the recipe's head sees), averaged, standardised on the training photos, unit length. For a
test photo of a known person: its cosine similarity to the nearest training photo of its own class;
for a stranger: to the nearest training photo of any class (what a rejection rule would see).
Prints both distributions and, per threshold, the share of own photos kept and strangers rejected.

    python scripts/stranger_distance.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from real_photos import BACKBONE, JOHNS, people  # noqa: E402


def main() -> int:
    from videocam.model.augment import plain_view
    from videocam.model.backbones import cut, load_backbone
    from videocam.model.data import read_rgb
    from videocam.model.nets import preprocess
    m, name = load_backbone(BACKBONE, "add_5")
    feat = cut(m, name)
    files, y = [], []
    for i, (_n, fs) in enumerate(people(JOHNS).items()):
        files += fs
        y += [i] * len(fs)
    y = np.array(y)
    x = np.stack([plain_view(read_rgb(f), (224, 224)) for f in files]).astype(np.float32)
    g = np.asarray(feat(preprocess(x, "torch"))).mean(axis=(1, 2))
    rng = np.random.default_rng(0)
    own, strange = [], []
    for _ in range(20):
        out = int(rng.integers(5))
        tr, te = [], []
        for c in range(5):
            idx = rng.permutation(np.flatnonzero(y == c))
            tr += list(idx[:5])
            te += list(idx[5:])
        tr = np.array([i for i in tr if y[i] != out])
        mu, sd = g[tr].mean(0), g[tr].std(0) + 1e-6
        z = (g - mu) / sd
        z /= np.linalg.norm(z, axis=1, keepdims=True)
        for i in te:
            sims = z[tr] @ z[i]
            (strange if y[i] == out else own).append(sims.max() if y[i] == out else sims[y[tr] == y[i]].max())
    own, strange = np.array(own), np.array(strange)
    print(f"own photos (n={len(own)}): similarity percentiles 10/25/50: {np.percentile(own, [10, 25, 50]).round(3)}")
    print(f"strangers  (n={len(strange)}): percentiles 50/75/90: {np.percentile(strange, [50, 75, 90]).round(3)}")
    print("| threshold | own photos kept | strangers rejected |\n|---:|---:|---:|")
    for t in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45):
        print(f"| {t:.2f} | {np.mean(own >= t):.2f} | {np.mean(strange < t):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
