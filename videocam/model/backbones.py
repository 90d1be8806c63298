"""Pretrained backbones: `keras.applications` networks with their ImageNet weights (Keras downloads
them into its own cache), and any Keras model file, cut at the layer whose maps become the CAMs.

- `app_weights(name)`: builds `keras.applications.<name>(weights="imagenet")` through Keras' own
  `get_file` (its cache, `$KERAS_HOME/models`, and its file hashes). Without a network, one
  `ModelError` line naming the file, where it goes and where it comes from.
- `load_backbone(path, cam_layer)`: a `.keras` file as a backbone; the CAM layer is the last layer
  with a 4-D output, or the one named.
- `split_top(model, n_conv)`: where to cut a backbone so that its top `n_conv` convolutions can be
  fine-tuned on cached features of the part below (see `videocam.model.recipe`).
"""
from __future__ import annotations

import contextlib
import os
import zipfile
from pathlib import Path

from videocam.errors import ModelError, UsageError
from videocam.model._backend import keras

# what `--preprocess` accepts (the conventions of `videocam.model.nets.preprocess`)
PREPROCESS_CHOICES = ("torch", "caffe", "tf", "rescale", "none")  # none: the file preprocesses itself
DEFAULT_FILE_PREPROCESS = "torch"  # ImageNet mean/std: what most converted networks expect


def keras_cache_dir() -> Path:
    """Where Keras keeps downloaded weights: `$KERAS_HOME/models` (default `~/.keras/models`), as
    Keras itself resolves it (it reads KERAS_HOME once, and falls back to /tmp/.keras when the
    folder is not writable)."""
    from keras.src.backend import config
    home = os.path.expanduser(config.keras_home())
    if not os.access(home, os.W_OK):
        home = os.path.join("/tmp", ".keras")
    return Path(home) / "models"


@contextlib.contextmanager
def _one_line_download_errors(what: str):
    """Record what Keras' `get_file` is asked for; turn a failed download into one line."""
    from keras.src.utils import file_utils

    original = file_utils.get_file
    asked: list[dict] = []

    def recording_get_file(fname=None, origin=None, *args, **kwargs):
        asked.append({"fname": fname, "origin": origin, "cache_subdir": kwargs.get("cache_subdir", "datasets"),
                      "cache_dir": kwargs.get("cache_dir")})
        return original(fname, origin, *args, **kwargs)

    file_utils.get_file = recording_get_file
    try:
        yield asked
    except ModelError:
        raise
    except Exception as e:  # noqa: BLE001 - network, HTTP, hash or disk failure of the download
        if not asked:
            raise
        a = asked[-1]
        name = a["fname"] or os.path.basename(str(a["origin"]))
        where = (Path(a["cache_dir"]).expanduser() if a["cache_dir"] else keras_cache_dir().parent) / a["cache_subdir"]
        name = os.path.basename(str(name))
        reason = " ".join(str(e).replace(f" on {a['origin']}", "").split())[:160] or type(e).__name__
        raise ModelError(f"ImageNet weights for {what} could not be had: {name} is not in the Keras cache "
                         f"({where / name}) and downloading it from {a['origin']} failed ({reason}); "
                         f"with a network Keras fetches it by itself, offline copy it there by hand") from None
    finally:
        file_utils.get_file = original


def app_constructor(name: str):
    """The `keras.applications` constructor named `name` (case and `_` ignored)."""
    apps = keras().applications
    want = name.lower().replace("_", "").replace("-", "")
    for attr in dir(apps):
        obj = getattr(apps, attr)
        if attr.lower() == want and callable(obj) and attr[0].isupper():
            return obj
    raise ModelError(f"unknown backbone {name!r}: use small, vgg16, a keras.applications name "
                     f"(e.g. MobileNetV2, ResNet50, EfficientNetB0) or a .keras file")


def build_app(name: str, weights=None, input_shape=(224, 224, 3)):
    """`keras.applications.<name>(include_top=False)`; `weights` None, 'imagenet' or a file path."""
    ctor = app_constructor(name)
    if weights in (None, "none", "None"):
        w = None
    elif weights == "imagenet":
        w = "imagenet"
    else:
        if not Path(weights).is_file():
            raise ModelError(f"weights file not found: {weights}")
        w = str(weights)
    if w == "imagenet":
        with _one_line_download_errors(ctor.__name__):
            return ctor(include_top=False, weights="imagenet", input_shape=input_shape)
    try:
        return ctor(include_top=False, weights=w, input_shape=input_shape)
    except (ValueError, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(f"cannot build {ctor.__name__} with weights {weights}: {first[:200]}") from None


# ------------------------------------------------------------ a .keras file as the backbone

def is_model_file(name) -> bool:
    return str(name).endswith(".keras")


def _four_d(layer) -> bool:
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return False
    return len(shape) == 4 and not isinstance(layer, keras().layers.InputLayer)


def load_backbone(path, cam_layer: str | None = None):
    """(model, cam_layer_name): a Keras model file, and the layer whose maps become the CAMs.

    The CAM layer is the last layer with a 4-D (batch, h, w, channels) output, or `cam_layer`.
    """
    p = Path(path)
    if not p.exists():
        raise ModelError(f"backbone file not found: {p}")
    if p.is_dir() or not zipfile.is_zipfile(p):
        raise ModelError(f"not a Keras model file (.keras zip): {p}")
    try:
        model = keras().models.load_model(p, compile=False)
    except Exception as e:  # noqa: BLE001 - any Keras failure is a bad file for the user
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(f"cannot load backbone {p}: {first[:200]}") from None
    if len(model.inputs) != 1 or len(model.inputs[0].shape) != 4 or model.inputs[0].shape[-1] != 3:
        raise ModelError(f"backbone {p.name}: its input is not one RGB image (expected shape (H, W, 3))")
    four_d = [layer for layer in model.layers if _four_d(layer)]
    if not four_d:
        raise ModelError(f"backbone {p.name} has no layer with a 4-D output to take CAMs from")
    if cam_layer:
        names = [layer.name for layer in model.layers]
        if cam_layer not in names:
            raise UsageError(f"--cam-layer {cam_layer}: no such layer in {p.name} "
                             f"(the end of each stage: {stage_ends(four_d)})")
        if not _four_d(model.get_layer(cam_layer)):
            raise UsageError(f"--cam-layer {cam_layer}: its output is not 4-D (batch, h, w, channels)")
        name = cam_layer
    else:
        outs = [t for t in model.outputs if len(t.shape) == 4]
        name = outs[-1]._keras_history.operation.name if outs else four_d[-1].name
    return model, name


def stage_ends(four_d: list) -> str:
    """The useful CAM layers: at each output stride, the last block output there (an `Add`), else
    the last layer, e.g. `add_5 (stride 16), re_lu_32 (stride 32)`; the last six strides. Strides are
    read from the layers' configs, so a backbone of any input size answers."""
    last: dict[int, str] = {}
    last_add: dict[int, str] = {}
    stride = 1
    for layer in four_d:
        st = layer.get_config().get("strides") if hasattr(layer, "get_config") else None
        stride *= int(st[0] if isinstance(st, (list, tuple)) else st or 1)
        last[stride] = layer.name
        if type(layer).__name__ == "Add":
            last_add[stride] = layer.name
    return ", ".join(f"{last_add.get(k, last[k])} (stride {k})" for k in sorted(last)[-6:])


def cut(model, layer_name: str):
    """The backbone from its input to `layer_name`'s output, as a model of its own."""
    return keras().Model(model.inputs[0], model.get_layer(layer_name).output, name=f"{model.name}_to_{layer_name}")


# ------------------------------------------------------------ where the trainable top starts

_CONV = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose", "Dense")


def _parents(layer) -> list:
    out = []
    for node in layer._inbound_nodes:
        out += [p.operation for p in node.parent_nodes]
    return out


def split_top(model, n_conv: int):
    """The cut for fine-tuning the top `n_conv` convolutions of `model` (input -> features).

    Returns the name of a layer L such that everything after it depends on L's output only and
    holds at least `n_conv` convolutions (the fewest layers that do), or None when `n_conv` is 0
    or no such single-tensor cut exists (then nothing is fine-tuned). Features at L are what the
    recipe caches once per augmented view.
    """
    if n_conv <= 0:
        return None
    layers = [layer for layer in model.layers if not isinstance(layer, keras().layers.InputLayer)]
    index = {id(layer): i for i, layer in enumerate(layers)}
    convs_after = 0
    # walk down from the top; a cut after position i is valid when no layer above i reads below i
    lowest_read = len(layers)  # the lowest index read by any layer above the candidate cut
    for i in range(len(layers) - 1, 0, -1):
        layer = layers[i]
        if type(layer).__name__ in _CONV:
            convs_after += 1
        for p in _parents(layer):
            j = index.get(id(p))
            if j is not None:
                lowest_read = min(lowest_read, j)
        # candidate cut: layer i-1's output; valid when every read from above is of i-1 or higher
        if convs_after >= n_conv and lowest_read >= i - 1 and len(layers[i - 1]._inbound_nodes) > 0:
            return layers[i - 1].name
    return None


def top_layers(model, cut_name: str | None) -> list:
    """The layers above `cut_name` (all of them when None)."""
    layers = [layer for layer in model.layers if not isinstance(layer, keras().layers.InputLayer)]
    if cut_name is None:
        return layers
    names = [layer.name for layer in layers]
    return layers[names.index(cut_name) + 1:]
