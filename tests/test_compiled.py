"""The compiled pass: numpy out, CAMs equal to the paper's sum, and the same numbers on Keras' JAX backend."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _batch(seed=0, n=3, h=64, w=96):
    return np.random.default_rng(seed).uniform(0, 255, (n, h, w, 3)).astype(np.float32)


def test_tf_pass_gives_numpy_and_cams_equal_to_the_weighted_feature_sum(tiny_model):
    from videocam.model.cam import class_activation_maps

    x = _batch()
    probs, feats = tiny_model.forward(x)
    p2, cams = tiny_model.probs_and_cams(x)
    assert isinstance(probs, np.ndarray) and isinstance(cams, np.ndarray)
    assert probs.shape == (3, len(tiny_model.classes)) and np.allclose(probs.sum(1), 1, atol=1e-5)
    np.testing.assert_allclose(p2, probs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cams, class_activation_maps(feats, tiny_model.weights), rtol=1e-4, atol=1e-5)


def test_a_uint8_batch_gives_what_the_same_values_in_float32_give(tiny_model):
    """`prepare` makes uint8 batches and the pass casts inside its graph: same numbers as a float batch."""
    x8 = _batch(seed=3).round().astype(np.uint8)
    assert tiny_model.prepare(list(x8), x8.shape[1:3]).dtype == np.uint8
    p8, c8 = tiny_model.probs_and_cams(x8)
    pf, cf = tiny_model.probs_and_cams(x8.astype(np.float32))
    np.testing.assert_array_equal(p8, pf)
    np.testing.assert_array_equal(c8, cf)
    assert tiny_model.prepare([x8[0].astype(np.float32)], x8.shape[1:3]).dtype == np.float32  # float images stay float


def _run_python(code: str, env_extra: dict) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_extra, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, timeout=300)


def test_jax_backend_gives_the_same_probs_and_cams_as_tensorflow(tiny_model, tiny_model_path, tmp_path):
    """The same model file, loaded under KERAS_BACKEND=jax in a fresh process, agrees with TensorFlow;
    Keras' own jitted predict between two passes (it swaps the weight buffers) breaks nothing."""
    pytest.importorskip("jax")
    x = _batch(seed=1)
    np.save(tmp_path / "x.npy", x)
    r = _run_python(f"""
        import numpy as np
        from videocam.model.loading import load_model
        from videocam.model._backend import BackendError, keras, tf
        cm = load_model({str(tiny_model_path)!r})
        assert keras().backend.backend() == "jax"
        x = np.load({str(tmp_path / 'x.npy')!r})
        probs, cams = cm.probs_and_cams(x)
        cm.keras_model.predict(x, verbose=0)
        again, _ = cm.probs_and_cams(x)
        np.testing.assert_array_equal(again, probs)
        x8 = x.round().astype(np.uint8)  # what prepare makes: cast inside the jitted pass
        np.testing.assert_allclose(cm.probs_and_cams(x8)[1], cm.probs_and_cams(x8.astype(np.float32))[1],
                                   rtol=1e-6, atol=1e-6)
        np.save({str(tmp_path / 'probs.npy')!r}, probs)
        np.save({str(tmp_path / 'cams.npy')!r}, cams)
        try:
            tf()
        except BackendError as e:
            print("refused:", e)
        """, {"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"})
    assert r.returncode == 0, r.stderr[-2000:]
    assert "refused: this needs TensorFlow" in r.stdout
    probs, cams = tiny_model.probs_and_cams(x)
    np.testing.assert_allclose(np.load(tmp_path / "probs.npy"), probs, rtol=1e-4, atol=1e-5)
    jc = np.load(tmp_path / "cams.npy")
    assert jc.shape == cams.shape
    np.testing.assert_allclose(jc, cams, rtol=1e-3, atol=1e-4 * float(np.abs(cams).max()))


def test_an_unsupported_backend_is_one_line_and_exit_2(tmp_path):
    r = subprocess.run([sys.executable, "-m", "videocam", "run", str(ROOT / "samples" / "debate.mp4"),
                        "--out", str(tmp_path)], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "KERAS_BACKEND": "torch", "PYTHONPATH": str(ROOT)})
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "error: KERAS_BACKEND=torch is not supported; use one of tensorflow, jax"]
    assert not any(tmp_path.iterdir())
