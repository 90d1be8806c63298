"""Shared fixtures: tiny models and clips, made once per session (TF is slow to start)."""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import settings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# A loaded CI machine can pause any example past hypothesis' 200-ms deadline; timing is the bench's job.
settings.register_profile("videocam", deadline=None)
settings.load_profile("videocam")

# The tiny models are untrained: their weights are random, so every run draws them from one seed
# (VIDEOCAM_TEST_SEED overrides it, to look for tests that only pass for some weights).
TEST_SEED = int(os.environ.get("VIDEOCAM_TEST_SEED", "0"))

CLASSES = ["ahn", "hong", "moon", "nobody", "sim", "you"]


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory):
    """An untrained small GAP model (width 8) with the benchmark's classes."""
    from videocam.model._backend import keras
    from videocam.model.cam_model import save_model
    from videocam.model.nets import build_model

    path = tmp_path_factory.mktemp("models") / "tiny.keras"
    keras().utils.set_random_seed(TEST_SEED)
    m, info = build_model(len(CLASSES), "small", "gap", width=8)
    info.classes = list(CLASSES)
    save_model(m, info, path)
    return path


@pytest.fixture(scope="session")
def tiny_model(tiny_model_path):
    from videocam.model.loading import load_model

    return load_model(tiny_model_path)


@pytest.fixture(scope="session")
def debate_clip(tmp_path_factory):
    """A 2-second synthetic debate clip at 160x90 with its truth CSV."""
    from videocam.synth.video import make_video

    d = tmp_path_factory.mktemp("clip")
    mp4, truth = d / "clip.mp4", d / "clip.truth.csv"
    n = make_video(mp4, truth, seed=3, duration_s=2.0, size=(160, 90), progress=False)
    return mp4, truth, n


@pytest.fixture
def rng():
    return np.random.default_rng(0)
