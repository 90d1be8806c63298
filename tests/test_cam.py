import warnings

import numpy as np
import pytest

from videocam.model.cam import class_activation_maps, grad_cam_maps, normalize, upsample


def test_cam_equals_einsum_over_features_and_kernel(rng):
    f = rng.normal(size=(3, 7, 5, 11)).astype(np.float32)
    w = rng.normal(size=(11, 4)).astype(np.float32)
    got = class_activation_maps(f, w)
    want = np.einsum("bhwk,kc->bchw", f, w)
    assert got.shape == (3, 4, 7, 5)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_cam_rejects_mismatched_kernel(rng):
    with pytest.raises(ValueError):
        class_activation_maps(np.zeros((1, 2, 2, 3)), np.zeros((4, 2)))


def test_normalize_max_is_the_papers_rule():
    cam = np.array([[-2.0, 1.0], [2.0, 4.0]])
    np.testing.assert_allclose(normalize(cam, "max"), cam / 4.0)
    np.testing.assert_allclose(normalize(cam, "minmax"), (cam + 2.0) / 6.0)
    assert not normalize(-np.ones((3, 3)), "max").any()  # no positive evidence -> nothing
    assert not normalize(np.ones((3, 3)), "minmax").any()
    # a subnormal peak beside strong negatives: finite, peak at 1, negatives stay below 0, no warning
    tiny = np.array([[1e-45, -5.0], [-1.0, 0.0]], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = normalize(tiny, "max")
    assert np.isfinite(out).all() and out[0, 0] == 1.0 and (out[[0, 1], [1, 0]] < 0).all() and out[1, 1] == 0
    with pytest.raises(ValueError):
        normalize(cam, "bogus")


def test_grad_cam_of_constant_gradient_is_scaled_cam(rng):
    f = np.abs(rng.normal(size=(2, 4, 4, 6))).astype(np.float32)
    w = rng.normal(size=(6,)).astype(np.float32)
    grads = np.broadcast_to(w / 16.0, f.shape)
    cam = np.einsum("bhwk,k->bhw", f, w)
    np.testing.assert_allclose(grad_cam_maps(f, grads), np.maximum(cam, 0) / 16.0, rtol=1e-5, atol=1e-6)


def test_upsample_shape():
    assert upsample(np.zeros((14, 14)), 320, 180).shape == (180, 320)
