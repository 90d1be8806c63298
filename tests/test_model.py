"""Model side: CamModel contract, file round trip, VGG16-GAP shapes, weights loading."""
import zipfile

import numpy as np
import pytest
from conftest import CLASSES

from videocam.errors import ModelError
from videocam.model.cam_model import CamModel, save_model
from videocam.model.loading import load_model
from videocam.model.info import META_MEMBER, ModelInfo
from videocam.model.nets import build_model


def test_predict_contract_any_frame_size(tiny_model):
    frames = (np.random.default_rng(1).random((3, 90, 161, 3)) * 255).astype(np.uint8)
    probs, cams = tiny_model.predict(frames)
    assert tiny_model.classes == CLASSES
    assert probs.shape == (3, 6) and cams.shape == (3, 6, 14, 14)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_cams_are_dense_kernel_times_features_from_the_same_pass(tiny_model):
    frames = (np.random.default_rng(2).random((2, 64, 64, 3)) * 255).astype(np.uint8)
    x = tiny_model.prepare(frames)
    probs, feats = tiny_model.forward(x)
    cams = tiny_model.cams_from(x, probs, feats)
    want = np.einsum("bhwk,kc->bchw", feats, tiny_model.weights)
    np.testing.assert_allclose(cams, want, rtol=1e-4, atol=1e-5)
    # GAP of the features times the kernel (+ bias) gives the logits behind probs
    dense = tiny_model.keras_model.get_layer("predictions")
    logits = feats.mean(axis=(1, 2)) @ dense.get_weights()[0] + dense.get_weights()[1]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(probs, e / e.sum(axis=1, keepdims=True), rtol=1e-4, atol=1e-5)
    # the in-graph product the pipeline uses (one traced call) is the same maths
    probs2, cams2 = tiny_model.probs_and_cams(x)
    np.testing.assert_allclose(probs2, probs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cams2, want, rtol=1e-4, atol=1e-5)
    p3, c3 = tiny_model.predict(frames)
    np.testing.assert_allclose(c3, want, rtol=1e-4, atol=1e-5)


def test_model_file_round_trip(tmp_path, tiny_model):
    p = save_model(tiny_model.keras_model, tiny_model.info, tmp_path / "copy.keras")
    with zipfile.ZipFile(p) as z:
        assert META_MEMBER in z.namelist()
    again = load_model(p)
    assert again.classes == CLASSES and again.cam_layer_name == "cam_conv"
    assert again.info.preprocessing == "rescale" and tuple(again.info.input_size) == (224, 224)
    frames = (np.random.default_rng(3).random((2, 50, 70, 3)) * 255).astype(np.uint8)
    for a, b in zip(tiny_model.predict(frames), again.predict(frames)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_keep_aspect_feeds_a_wider_input(tiny_model):
    assert tiny_model.input_size_for(640, 360, "keep") == (224, 400)
    assert tiny_model.input_size_for(640, 360, "square") == (224, 224)
    _, cams = tiny_model.predict(np.zeros((1, 360, 640, 3), np.uint8), aspect="keep")
    assert cams.shape[-2:] == (14, 25)


def test_grad_cam_agrees_with_cam_up_to_scale_on_a_gap_model(tiny_model):
    frames = (np.random.default_rng(4).random((2, 64, 64, 3)) * 255).astype(np.uint8)
    x = tiny_model.prepare(frames)
    probs, feats = tiny_model.forward(x)
    cam = tiny_model.cams_from(x, probs, feats)
    grad = tiny_model.grad_cams(x)
    h, w = cam.shape[-2:]
    np.testing.assert_allclose(grad, np.maximum(cam, 0) / (h * w), rtol=1e-3, atol=1e-7)


def test_fc_head_uses_grad_cam(tmp_path):
    m, info = build_model(3, "small", "fc512", width=8, input_size=(64, 64))
    info.classes = ["a", "b", "c"]
    p = save_model(m, info, tmp_path / "fc.keras")
    cm = load_model(p)
    assert cm.gradcam and cm.cam_layer_name == "last_conv"
    probs, cams = cm.predict(np.zeros((2, 40, 30, 3), np.uint8))
    assert probs.shape == (2, 3) and cams.shape == (2, 3, 4, 4)
    assert (cams >= 0).all()


def test_any_keras_gap_dense_model_works():
    from videocam.model._backend import keras
    K = keras()
    base = K.applications.MobileNetV2(include_top=False, weights=None, input_shape=(96, 96, 3), alpha=0.35)
    x = K.layers.GlobalAveragePooling2D()(base.output)
    out = K.layers.Dense(4, activation="softmax")(x)
    cm = CamModel(K.Model(base.input, out), ModelInfo(classes=[], preprocessing="tf", input_size=(96, 96)))
    assert not cm.gradcam and cm.classes == ["class_0", "class_1", "class_2", "class_3"]
    probs, cams = cm.predict(np.zeros((1, 120, 100, 3), np.uint8))
    assert probs.shape == (1, 4) and cams.shape == (1, 4, 3, 3)


def test_vgg16_gap_is_the_papers_architecture():
    from videocam.model._backend import keras
    from videocam.model.nets import vgg16_gap
    m = vgg16_gap(6, weights=None)
    K = keras()
    names = [layer.name for layer in m.layers]
    assert "block5_conv3" in names and "block5_pool" not in names
    assert not any(isinstance(layer, K.Model) for layer in m.layers)  # flat functional model
    conv = m.get_layer("cam_conv")
    assert conv.filters == 1024 and conv.kernel_size == (3, 3) and conv.strides == (1, 1)
    assert conv.padding == "same" and conv.activation.__name__ == "relu"
    feat = K.Model(m.input, conv.output)
    assert tuple(feat(np.zeros((1, 224, 224, 3), np.float32)).shape) == (1, 14, 14, 1024)
    cm = CamModel(m, ModelInfo(classes=list("abcdef"), preprocessing="caffe"))
    assert cm.cam_layer_name == "cam_conv" and cm.weights.shape == (1024, 6)


def test_load_model_errors(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "missing.keras")
    with pytest.raises(ModelError, match="directory"):
        load_model(tmp_path)
    bad = tmp_path / "bad.keras"
    bad.write_text("hello")
    with pytest.raises(ModelError, match="not a Keras model"):
        load_model(bad)


def test_model_without_conv_or_image_input_is_refused(tmp_path):
    from videocam.model._backend import keras
    K = keras()
    flat = K.Sequential([K.Input((8, 8, 3)), K.layers.Flatten(), K.layers.Dense(2, activation="softmax")])
    with pytest.raises(ModelError, match="no convolutional layer"):
        CamModel(flat, ModelInfo(classes=["a", "b"]))
    vec = K.Sequential([K.Input((10,)), K.layers.Dense(2, activation="softmax")])
    with pytest.raises(ModelError, match="not an RGB image"):
        CamModel(vec, ModelInfo(classes=["a", "b"]))


def test_small_backbone_stride_8_gives_a_28x28_map():
    m, info = build_model(2, "small", "gap", width=8, stride=8)
    info.classes = ["a", "b"]
    _, cams = CamModel(m, info).predict(np.zeros((1, 224, 224, 3), np.uint8))
    assert cams.shape == (1, 2, 28, 28)
