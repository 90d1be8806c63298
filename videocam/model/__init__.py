"""Networks, the CamModel that gets every class's CAM from one forward pass, its file format,
the CAM maths, training and the image folders it trains on.

Names load on first use, so importing one module of this room (`videocam.model.nets` for its
constants, say) does not load the others (OpenCV, TensorFlow).
"""
from __future__ import annotations

import importlib

_NAMES = {
    "CamModel": "cam_model", "default_model_path": "cam_model", "load_model": "cam_model",
    "save_model": "cam_model", "ModelInfo": "info", "HEADS": "nets", "build_model": "nets",
    "preprocess": "nets", "small_gap": "nets", "vgg16_gap": "nets", "ModelError": "videocam.errors",
}
__all__ = sorted(_NAMES)


def __getattr__(name):
    if name in _NAMES:
        mod = _NAMES[name]
        return getattr(importlib.import_module(mod if "." in mod else f"videocam.model.{mod}"), name)
    raise AttributeError(f"module 'videocam.model' has no attribute {name!r}")
