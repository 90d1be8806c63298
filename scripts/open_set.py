"""Does the recipe's *fine-tuned* model tell a stranger from one of its people? (issue 16, point 6)

`stranger_distance.py` asked this of the frozen backbone's features. Here, leave one person out on
../shared/realdata/johns (the tuning split, seed 0: 5 training and 3 test photos per person): the
recipe trains on 4 people (its defaults, `--cam-layer add_5`); their test photos are the known
faces, all 8 photos of the 5th person the stranger. Three scores a rejection rule could use, each
as AUROC (1.0: every known face scores above every stranger; 0.5: chance): the top person's
probability; the cosine similarity (GAP features of the trained model, standardised on the training
photos) to the nearest training photo; and to the nearest class mean.

    python scripts/open_set.py            # 5 trainings, ~2 min on 2 idle cores
"""
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from real_photos import BACKBONE, JOHNS, make_splits, people  # noqa: E402

from videocam.model.loading import load_model  # noqa: E402
from videocam.model.data import read_rgb  # noqa: E402
from videocam.model.recipe import RecipeConfig, train_recipe  # noqa: E402
from videocam.types import NOBODY  # noqa: E402


def auroc(pos, neg):  # P(score_pos > score_neg)
    pos, neg = np.asarray(pos), np.asarray(neg)
    return float(((pos[:, None] > neg[None]).mean() + 0.5 * (pos[:, None] == neg[None]).mean()))

photos = people(JOHNS)
names = sorted(photos)
split = make_splits(photos, 0, 1)[0]
res = []
for stranger in names[: int(sys.argv[1]) if len(sys.argv) > 1 else 5]:
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        for n in names:
            if n == stranger: continue
            (d / "train" / n).mkdir(parents=True)
            for f in split[n][0]: (d / "train" / n / f.name).symlink_to(f)
        out = d / "m.keras"
        train_recipe(d / "train", out, str(BACKBONE), cam_layer="add_5", seed=0, cfg=RecipeConfig(), log=lambda m: None)
        cm = load_model(out)
        classes = list(cm.classes)
        person = [i for i, c in enumerate(classes) if c != NOBODY]
        def feats(files):
            x = cm.prepare([read_rgb(f) for f in files], cm.input_size)
            p, f = cm.forward(x)
            g = f.mean(axis=(1, 2))
            return p, g
        trf = [f for n in names if n != stranger for f in split[n][0]]
        try_ = [classes.index(n) for n in names if n != stranger for f in split[n][0]]
        _, gtr = feats(trf)
        known = [f for n in names if n != stranger for f in split[n][1]]
        ky = [classes.index(n) for n in names if n != stranger for f in split[n][1]]
        pk, gk = feats(known)
        ps, gs = feats(photos[stranger])
        mu, sd = gtr.mean(0), gtr.std(0) + 1e-6
        def unit(g): z = (g - mu) / sd; return z / np.linalg.norm(z, axis=1, keepdims=True)
        U = unit(gtr)
        def nearest(g): return (unit(g) @ U.T).max(1)
        protos = np.stack([U[np.array(try_) == c].mean(0) for c in sorted(set(try_))])
        protos /= np.linalg.norm(protos, axis=1, keepdims=True)
        def proto(g): return (unit(g) @ protos.T).max(1)
        pmax_k, pmax_s = pk[:, person].max(1), ps[:, person].max(1)
        acc = float((pk.argmax(1) == np.array(ky)).mean())
        r = dict(stranger=stranger, acc=acc, auroc_prob=auroc(pmax_k, pmax_s), auroc_nearest=auroc(nearest(gk), nearest(gs)),
                 auroc_proto=auroc(proto(gk), proto(gs)), prob_known=float(np.median(pmax_k)), prob_stranger=float(np.median(pmax_s)),
                 rejected_keeping_90=float((pmax_s < np.quantile(pmax_k, 0.1)).mean()))
        print(json.dumps(r), flush=True)
        res.append(r)
for k in ("acc", "auroc_prob", "auroc_nearest", "auroc_proto", "rejected_keeping_90"):
    print(k, round(float(np.mean([r[k] for r in res])), 3))
