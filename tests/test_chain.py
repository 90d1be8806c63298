"""The stage chain's rows never contradict themselves (the CSV contract in README.md): with the
default chain the label is the highest `p_` (or `nobody`) and `score` is `p_<label>`."""
from __future__ import annotations

import csv

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from videocam.stages.chain import DEFAULT_SMOOTH, build_chain, run_stages
from videocam.stages.decide import DEFAULT_NOBODY_BELOW
from videocam.stages.steady import STEADY_K
from videocam.types import NOBODY, Frame, FrameResult


def _results(prob_rows, classes, cut_every=0):
    out = []
    for i, p in enumerate(prob_rows):
        shade = (i // cut_every) % 2 * 200 if cut_every else 0  # a new picture: a shot cut
        out.append(FrameResult(frame=Frame(i, i / 25, np.full((18, 32, 3), shade, np.uint8)),
                               classes=tuple(classes), probs=np.asarray(p, np.float32),
                               cams=np.random.default_rng(i).random((len(classes), 4, 4)).astype(np.float32)))
    return out


def check_row(classes, label, score, probs, floor=None):
    """The contract, for one row of a default chain."""
    probs = np.asarray(probs, np.float64)
    top = int(np.argmax(probs))
    if label == NOBODY and NOBODY not in classes:
        assert floor is not None and probs[top] < floor + 1e-4
        assert abs(score - (1.0 - probs[top])) < 1e-4
        return
    assert label == classes[top] or (floor is not None and label == NOBODY and probs[top] < floor + 1e-4)
    assert abs(score - probs[classes.index(label)]) < 1e-4


def _trading(n, k, seed):
    """Random probabilities: classes trading the top place frame by frame."""
    rng = np.random.default_rng(seed)
    return [rng.dirichlet(np.ones(k) * 0.7) for _ in range(n)]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), with_nobody=st.booleans(), cut_every=st.sampled_from([0, 7, 30]))
def test_default_chain_rows_never_contradict_themselves(seed, with_nobody, cut_every):
    classes = ["ann", "bob", NOBODY] if with_nobody else ["ann", "bob", "cy"]
    floor = None if with_nobody else DEFAULT_NOBODY_BELOW
    chain = build_chain(smooth=DEFAULT_SMOOTH, steady=STEADY_K, nobody_below=floor, torso=True, panel=True)
    rows = _trading(60, len(classes), seed)
    results = []
    raw = _results(rows, classes, cut_every)
    for k in range(0, len(raw), 16):  # batches, as the pipeline feeds them
        results += run_stages(chain, raw[k:k + 16])
    for r in results:
        check_row(classes, r.label, r.score, r.probs, floor)


def test_a_run_csv_keeps_the_contract(tiny_model, debate_clip, tmp_path):
    """The whole pipeline, default options: every CSV row (written with 4 decimals) holds it."""
    from videocam.pipeline.process import process_video

    mp4, _truth, _n = debate_clip
    process_video(mp4, model=tiny_model, out_dir=tmp_path, mp4=False, progress=False)
    with open(tmp_path / f"{mp4.stem}.cam.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    classes = [c[2:] for c in rows[0] if c.startswith("p_")]
    assert rows
    for row in rows:
        check_row(classes, row["label"], float(row["score"]), [float(row[f"p_{c}"]) for c in classes])
