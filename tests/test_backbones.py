"""Pretrained backbones: ImageNet weights through Keras' own download and cache (faked here: nothing
reaches the network), and any .keras file as the backbone."""
from __future__ import annotations

import shutil
import urllib.error
from pathlib import Path

import numpy as np
import pytest
from shared_dir import EFFNET_LITE0 as SHARED_BACKBONE

from videocam.errors import ModelError, UsageError


def _keras_home(monkeypatch, path):
    """Keras reads KERAS_HOME once, at import: point its cache at `path` for this test."""
    from keras.src.backend import config
    path.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("KERAS_HOME", str(path))
    monkeypatch.setattr(config, "_KERAS_DIR", str(path))


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    """An empty Keras cache in tmp_path, and a urlretrieve that fails like a machine offline."""
    from keras.src.utils import file_utils
    calls = []

    def offline(url, target, *a, **k):
        calls.append((url, target))
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    _keras_home(monkeypatch, tmp_path / "keras")
    monkeypatch.setattr(file_utils, "urlretrieve", offline)
    return calls


def _legacy_h5(model, path):
    import h5py
    from keras.src.legacy.saving import legacy_h5_format
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)


def _random_notop(name):
    from videocam.model._backend import keras
    keras().utils.set_random_seed(3)
    return getattr(keras().applications, name)(include_top=False, weights=None, input_shape=(224, 224, 3))


def test_offline_imagenet_is_one_line_naming_file_place_and_origin(no_network, tmp_path):
    from videocam.model.nets import build_model
    with pytest.raises(ModelError) as e:
        build_model(3, backbone="MobileNetV3Small", weights="imagenet")
    msg = str(e.value)
    assert "\n" not in msg
    assert no_network, "Keras was never asked to download"
    url, target = no_network[0]
    name = Path(target).name
    assert name.endswith(".h5") and "no_top" in name
    assert str(tmp_path / "keras" / "models" / name) in msg   # where it goes
    assert url in msg and url.startswith("https://")          # where it comes from
    assert "MobileNetV3Small" in msg


def test_vgg16_offline_names_its_notop_file(no_network, tmp_path):
    from videocam.model.nets import VGG16_NOTOP, vgg16_gap
    with pytest.raises(ModelError, match=VGG16_NOTOP) as e:
        vgg16_gap(2, weights="imagenet")
    assert str(tmp_path / "keras" / "models" / VGG16_NOTOP) in str(e.value)


def test_imagenet_weights_are_downloaded_by_keras_into_its_cache(monkeypatch, tmp_path):
    """A faked download: Keras' get_file calls urlretrieve, which here copies a local file."""
    from keras.src.utils import file_utils

    from videocam.model.nets import build_model
    ref = _random_notop("MobileNetV3Small")
    src = tmp_path / "served.h5"
    _legacy_h5(ref, src)
    fetched = []

    def fake_download(url, target, *a, **k):
        fetched.append(url)
        shutil.copyfile(src, target)

    _keras_home(monkeypatch, tmp_path / "keras")
    monkeypatch.setattr(file_utils, "urlretrieve", fake_download)
    monkeypatch.setattr(file_utils, "validate_file", lambda *a, **k: True)  # the fake has no real hash
    m, info = build_model(2, backbone="MobileNetV3Small", weights="imagenet")
    assert len(fetched) == 1
    assert list((tmp_path / "keras" / "models").glob("*.h5"))  # kept in the cache for next time
    w = [layer for layer in ref.layers if layer.get_weights()][0]
    np.testing.assert_array_equal(m.get_layer(w.name).get_weights()[0], w.get_weights()[0])
    # second time: from the cache, no download
    build_model(2, backbone="MobileNetV3Small", weights="imagenet")
    assert len(fetched) == 1


def test_cached_vgg16_weights_load_without_download(no_network, monkeypatch, tmp_path):
    from keras.src.utils import file_utils

    from videocam.model.nets import VGG16_NOTOP, vgg16_gap
    monkeypatch.setattr(file_utils, "validate_file", lambda *a, **k: True)
    ref = _random_notop("VGG16")
    (tmp_path / "keras" / "models").mkdir(parents=True)
    _legacy_h5(ref, tmp_path / "keras" / "models" / VGG16_NOTOP)
    m = vgg16_gap(3, weights="imagenet")
    assert not no_network
    np.testing.assert_array_equal(m.get_layer("block1_conv1").get_weights()[0],
                                  ref.get_layer("block1_conv1").get_weights()[0])


def test_train_cli_offline_imagenet_is_one_error_line(no_network, tmp_path, capsys):
    from videocam.cli.main import main
    for c in ("a", "b"):
        (tmp_path / "data" / c).mkdir(parents=True)
        import cv2
        for i in range(2):
            cv2.imwrite(str(tmp_path / "data" / c / f"{i}.png"), np.full((32, 32, 3), 40 * i, np.uint8))
    code = main(["train", str(tmp_path / "data"), "--out", str(tmp_path / "m.keras"),
                 "--backbone", "MobileNetV3Small", "--weights", "imagenet"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: ImageNet weights for MobileNetV3Small") and err.count("\n") == 1


# ------------------------------------------------------------------ .keras file backbones

def _tiny_backbone_file(path):
    """A small Keras model file that is not a videocam model: conv stack, two 4-D outputs deep."""
    from videocam.model._backend import keras
    K = keras()
    L = K.layers
    K.utils.set_random_seed(0)
    inp = L.Input((None, None, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same", name="c1")(inp)
    x = L.BatchNormalization(name="bn1")(x)
    x = L.ReLU(name="r1")(x)
    x = L.Conv2D(8, 3, strides=2, padding="same", name="c2")(x)
    y = L.Conv2D(8, 1, name="c3")(x)
    x = L.Add(name="add")([x, y])
    x = L.Conv2D(12, 3, strides=2, padding="same", name="c4")(x)
    x = L.ReLU(name="top")(x)
    K.Model(inp, x).save(path)
    return path


def test_load_backbone_cam_layer_default_and_named(tmp_path):
    from videocam.model.backbones import load_backbone
    p = _tiny_backbone_file(tmp_path / "bb.keras")
    m, name = load_backbone(p)
    assert name == "top"
    assert load_backbone(p, "add")[1] == "add"
    with pytest.raises(UsageError, match="no such layer.*the end of each stage: .*stride"):
        load_backbone(p, "nope")
    with pytest.raises(ModelError, match="not found"):
        load_backbone(tmp_path / "missing.keras")
    (tmp_path / "junk.keras").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="not a Keras model file"):
        load_backbone(tmp_path / "junk.keras")


def test_split_top_cuts_only_where_one_tensor_carries_everything(tmp_path):
    from videocam.model.backbones import load_backbone, split_top, top_layers
    m, _ = load_backbone(_tiny_backbone_file(tmp_path / "bb.keras"))
    assert split_top(m, 0) is None
    assert split_top(m, 1) == "add"          # c4 alone above the residual's Add
    # two convolutions: c3 and c4 are above c2's output, and the Add reads c2 too: cut at c2
    assert split_top(m, 2) == "c2"
    assert [layer.name for layer in top_layers(m, "c2")] == ["c3", "add", "c4", "top"]
    assert split_top(m, 99) is None


def test_file_backbone_model_round_trip_keeps_preprocessing(tmp_path):
    from videocam.model.cam_model import save_model
    from videocam.model.loading import load_model
    from videocam.model.nets import build_model
    p = _tiny_backbone_file(tmp_path / "bb.keras")
    m, info = build_model(3, backbone=str(p), cam_layer="add", preprocessing="caffe")
    info.classes = ["x", "y", "z"]
    save_model(m, info, tmp_path / "m.keras")
    cm = load_model(tmp_path / "m.keras")
    assert cm.info.preprocessing == "caffe" and cm.cam_layer_name == "add" and not cm.gradcam
    probs, cams = cm.predict(np.zeros((2, 64, 64, 3), np.uint8))
    assert probs.shape == (2, 3) and cams.shape[:2] == (2, 3)


@pytest.mark.skipif(not SHARED_BACKBONE.is_file(), reason="../shared/backbones is not beside this checkout")
def test_shared_efficientnet_lite0_backbone_loads(tmp_path):
    from videocam.model.backbones import cut, load_backbone, split_top
    m, name = load_backbone(SHARED_BACKBONE)
    assert m.get_layer(name).output.shape[-1] == 1280
    m16, name16 = load_backbone(SHARED_BACKBONE, "add_5")
    assert tuple(m16.get_layer(name16).output.shape[1:]) == (None, None, 112)
    where = split_top(cut(m16, name16), 6)   # the top two blocks b9, b10 (expand, depthwise, project each)
    assert where == "b8_bn2"
