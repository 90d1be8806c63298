"""`CamModel`: a GAP classifier plus what it takes to get every class's CAM from one
forward pass; saving and loading its single `.keras` file."""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import cv2
import numpy as np

from videocam.errors import ModelError
from videocam.model._backend import BackendError, backend, keras, tf
from videocam.model.cam import class_activation_maps, grad_cam_maps
from videocam.model.compiled import compile_pass
from videocam.model.info import META_MEMBER, ModelInfo
from videocam.model.nets import preprocess

# --------------------------------------------------------------- CamModel

def _find_gap_head(model):
    """(gap_layer, dense_layer) when the model ends GAP -> [Dropout] -> Dense, else None."""
    L = keras().layers
    dense = model.layers[-1]
    if not isinstance(dense, L.Dense):
        return None
    node = dense
    for _ in range(4):
        parents = node._inbound_nodes[0].parent_nodes if node._inbound_nodes else []
        if len(parents) != 1:
            return None
        node = parents[0].operation
        if isinstance(node, L.GlobalAveragePooling2D):
            return node, dense
        if not isinstance(node, (L.Dropout, L.Activation, L.Identity)):
            return None
    return None


def _last_conv_layer(model):
    for layer in reversed(model.layers):
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):
            continue
        if len(shape) == 4 and not isinstance(layer, keras().layers.InputLayer):
            return layer
    return None


class CamModel:
    """A classifier plus the knowledge to get CAMs out of one forward pass.

    `predict(frames)` resizes any uint8 RGB batch to the model input, runs one
    traced forward pass that returns probabilities and the CAM layer's
    features, and turns the features into maps for every class with the Dense
    kernel. Models without a GAP head fall back to Grad-CAM (`self.gradcam`).
    """

    def __init__(self, keras_model, info: ModelInfo):
        self.keras_model = keras_model
        self.info = info
        model = keras_model
        if len(model.inputs) != 1 or len(model.inputs[0].shape) != 4 or model.inputs[0].shape[-1] != 3:
            raise ModelError("the model's input is not an RGB image (expected shape (H, W, 3))")
        if len(model.outputs) != 1 or len(model.outputs[0].shape) != 2:
            raise ModelError("the model's output is not a class vector (expected shape (classes,))")
        n_out = int(model.outputs[0].shape[-1])
        if not info.classes:
            info.classes = [f"class_{i}" for i in range(n_out)]
        if len(info.classes) != n_out:
            raise ModelError(f"the model has {n_out} outputs but {len(info.classes)} class names")
        head = _find_gap_head(model)
        if head is not None:
            gap, dense = head
            feat_tensor = gap.input
            self.cam_layer_name = feat_tensor._keras_history.operation.name
            self.weights = np.asarray(dense.get_weights()[0], dtype=np.float32)  # (K, C)
            self.gradcam = False
        else:
            layer = model.get_layer(info.cam_layer) if info.cam_layer else _last_conv_layer(model)
            if layer is None:
                raise ModelError("the model has no convolutional layer to compute a CAM from")
            feat_tensor = layer.output
            self.cam_layer_name = layer.name
            self.weights = None
            self.gradcam = True
        info.cam_layer = self.cam_layer_name
        fixed = model.inputs[0].shape[1] is not None
        if fixed:
            info.fixed_input = True
            info.input_size = (int(model.inputs[0].shape[1]), int(model.inputs[0].shape[2]))
        self._two_out = keras().Model(model.inputs, [model.outputs[0], feat_tensor])
        self.path: Path | None = None
        self._compiled = {}
        self._logit_model = None
        self._logit_head = None
        self.precision = "float32"

    # -- metadata --
    @property
    def classes(self) -> list[str]:
        return list(self.info.classes)

    @property
    def input_size(self) -> tuple[int, int]:
        return tuple(self.info.input_size)

    # -- precision --
    def set_precision(self, precision: str) -> None:
        """Run the forward pass in `float32` or `bf16` (mixed: bf16 compute, float32 weights).

        The graph is rebuilt from its config under Keras' `mixed_bfloat16`
        policy and given the same weights; CAMs still use the float32 Dense
        kernel, so only the features carry bf16 rounding.
        """
        if precision == self.precision:
            return
        if precision not in ("float32", "bf16"):
            raise ModelError(f"unknown precision {precision!r}; use float32 or bf16")
        src = self.keras_model
        if precision == "bf16":
            K = keras()
            cfg = src.get_config()
            for layer in cfg["layers"]:
                if layer["class_name"] != "InputLayer":
                    layer["config"]["dtype"] = "mixed_bfloat16"
            model = K.Model.from_config(cfg)
            model.set_weights(src.get_weights())
        else:
            model = self._float_model
        self._float_model = getattr(self, "_float_model", None) or src
        feat_name = self.cam_layer_name
        self._two_out = keras().Model(model.inputs, [model.outputs[0], model.get_layer(feat_name).output])
        self._logit_model = None
        self.precision = precision

    # -- input --
    def input_size_for(self, width: int, height: int, aspect: str = "square") -> tuple[int, int]:
        """(height, width) fed to the network for a frame of this size.

        `square` squashes to the trained size; `keep` keeps the frame's aspect
        ratio at the trained height (multiples of 16, the backbone stride), which
        the fully convolutional GAP model accepts as is.
        """
        h, w = self.input_size
        if aspect == "square" or self.info.fixed_input:
            return h, w
        if aspect != "keep":
            raise ValueError(f"unknown aspect {aspect!r}; use square or keep")
        if width >= height:
            nw = max(16, int(round(h * width / height / 16.0)) * 16)
            return h, nw
        nh = max(16, int(round(w * height / width / 16.0)) * 16)
        return nh, w

    def prepare(self, frames, size: tuple[int, int] | None = None) -> np.ndarray:
        """RGB frames (B, H, W, 3) or a list of them -> a batch at `size`: uint8 for uint8 frames.

        uint8, not float32: the pass casts inside its graph, so the reader thread
        neither converts nor writes four times the bytes (see `compiled`). Frames
        of another dtype (float images) give a float32 batch, as before.
        """
        if size is None:
            size = self.input_size
        th, tw = size
        frames = [np.asarray(f) for f in frames]
        dtype = np.uint8 if all(f.dtype == np.uint8 for f in frames) else np.float32
        out = np.empty((len(frames), th, tw, 3), dtype=dtype)
        for i, f in enumerate(frames):
            if f.ndim == 2:
                f = np.repeat(f[..., None], 3, axis=2)
            elif f.shape[-1] == 4:
                f = f[..., :3]
            if f.shape[0] != th or f.shape[1] != tw:
                interp = cv2.INTER_AREA if f.shape[0] > th else cv2.INTER_LINEAR
                f = cv2.resize(f, (tw, th), interpolation=interp)
            out[i] = f
        return out

    # -- forward --
    def _compiled_pass(self, with_cams: bool = False):
        """The compiled pass (variable batch): batch -> (probs, features or CAMs), as numpy.

        With `with_cams` the CAM product is part of the same graph (see
        `compiled.compile_pass`).
        """
        key = (with_cams, self.precision)
        fn = self._compiled.get(key)
        if fn is None:
            mode = self.info.preprocessing
            fn = compile_pass(self._two_out, lambda x: preprocess(x, mode),
                              self.weights if with_cams else None)
            self._compiled[key] = fn
        return fn

    def forward(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One pass: RGB 0..255 (B, h, w, 3; uint8 or float) -> probs (B, C), features (B, h', w', K)."""
        return self._compiled_pass()(batch)

    def cams_from(self, batch: np.ndarray, probs: np.ndarray, feats: np.ndarray) -> np.ndarray:
        """CAMs (B, C, h', w') for every class: Dense-kernel product, or Grad-CAM."""
        if not self.gradcam:
            return class_activation_maps(feats, self.weights)
        return self.grad_cams(batch)

    def probs_and_cams(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One pass on a prepared batch: probs (B, C) and raw CAMs (B, C, h', w') for every class."""
        if self.gradcam:
            probs, feats = self.forward(batch)
            return probs, self.grad_cams(batch)
        return self._compiled_pass(with_cams=True)(batch)

    def predict(self, frames, aspect: str = "square") -> tuple[np.ndarray, np.ndarray]:
        """Probabilities (B, C) and raw CAMs (B, C, h, w) for uint8 RGB frames of any size: a batch
        (B, H, W, 3) or a list of frames; one frame (H, W, 3) is a batch of one."""
        if isinstance(frames, np.ndarray) and frames.ndim == 3:
            frames = frames[None]
        frames = list(frames) if not isinstance(frames, np.ndarray) else frames
        if len(frames) == 0:
            c = len(self.classes)
            return np.zeros((0, c), np.float32), np.zeros((0, c, 0, 0), np.float32)
        f0 = np.asarray(frames[0])
        size = self.input_size_for(f0.shape[1], f0.shape[0], aspect)
        return self.probs_and_cams(self.prepare(frames, size))

    def warm_up(self, batch: int, size: tuple[int, int]) -> None:
        """Trace the pass now, not on the first frame (live)."""
        self.probs_and_cams(np.zeros((batch, size[0], size[1], 3), np.float32))

    def grad_cams(self, batch: np.ndarray) -> np.ndarray:
        """Grad-CAM maps (B, C, h, w) for every class, from pre-softmax class scores.

        Scores are the last Dense layer's logits (its input times its kernel
        plus bias), so on a GAP model the gradient is exactly `W[k, c] / (h*w)`
        and Grad-CAM equals ReLU(CAM) / (h*w).
        """
        if backend() != "tensorflow":
            raise BackendError(f"Grad-CAM (models without a GAP head) needs KERAS_BACKEND=tensorflow, "
                               f"not {backend()}")
        t = tf()
        if self._logit_model is None:
            last = self.keras_model.layers[-1]
            if isinstance(last, keras().layers.Dense):
                self._logit_model = keras().Model(self.keras_model.inputs, [last.input, self._two_out.outputs[1]])
                self._logit_head = [t.constant(w) for w in last.get_weights()]
            else:
                self._logit_model = self._two_out
                self._logit_head = None
        x = t.convert_to_tensor(preprocess(np.asarray(batch, dtype=np.float32), self.info.preprocessing))
        with t.GradientTape(persistent=True) as tape:
            pre, feats = self._logit_model(x, training=False)
            tape.watch(feats)
            if self._logit_head is not None:
                scores = t.matmul(pre, self._logit_head[0])
                if len(self._logit_head) > 1:
                    scores = scores + self._logit_head[1]
            else:
                scores = t.math.log(t.maximum(pre, 1e-12))
            per_class = [scores[:, c] for c in range(len(self.classes))]  # sliced inside the tape
        feats_np = feats.numpy()
        maps = [grad_cam_maps(feats_np, tape.gradient(per_class[c], feats).numpy())
                for c in range(len(self.classes))]
        del tape
        return np.stack(maps, axis=1)


# ------------------------------------------------------------- save / load

def save_model(keras_model, info: ModelInfo, path) -> Path:
    """Write a `.keras` file with the metadata member, atomically."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ModelError(f"model files must end in .keras: {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.part.keras")
    keras_model.save(tmp)
    with zipfile.ZipFile(tmp, "a") as z:
        z.writestr(META_MEMBER, info.to_json())
    os.replace(tmp, path)
    return path


# The demo model travels inside the package (package data), so any install has it;
# samples/model.keras in a checkout is a link to it.
BUNDLED_MODEL = Path(__file__).resolve().parent / "demo.keras"


def default_model_path() -> Path:
    """The default model: $VIDEOCAM_MODEL, else the bundled demo model inside the package."""
    env = os.environ.get("VIDEOCAM_MODEL")
    if env:
        return Path(env)
    return BUNDLED_MODEL


DEMO_NOTE = ("the bundled demo model knows only the {n} drawn people of the demo video ({people}); "
             "for your own people, train on your photos (one folder per person): "
             "videocam train PHOTOS --backbone face --out M.keras, then --model M.keras")


def demo_model_note(path=None, classes=("ahn", "hong", "moon", "nobody", "sim", "you")) -> str | None:
    """One line for runs on the bundled demo model (`path` None: the default), else None."""
    p = Path(path) if path is not None else default_model_path()
    try:
        if p.resolve() != BUNDLED_MODEL.resolve():
            return None
    except OSError:
        return None
    from videocam.types import NOBODY
    people = [c for c in classes if c != NOBODY]
    n = {5: "five"}.get(len(people), str(len(people)))
    return DEMO_NOTE.format(n=n, people=", ".join(people))
