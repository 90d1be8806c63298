"""Import TensorFlow/Keras quietly.

TensorFlow prints oneDNN notices and absl warnings from C++ before Python
logging exists, so log levels must be set *before* the import, and the few
lines absl writes before it is initialised are swallowed by pointing fd 2 at
/dev/null for the duration of the import only (Python exceptions still
propagate normally).
"""
from __future__ import annotations

import logging
import os
import warnings

_tf = None
_keras = None


def _quiet_env() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_CPP_MIN_VLOG_LEVEL", "3")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def tf():
    """Return the tensorflow module, importing it silently the first time."""
    global _tf, _keras
    if _tf is not None:
        return _tf
    _quiet_env()
    saved = None
    try:
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:  # no real fd 2 (embedded interpreters): import loudly
        saved = None
    try:
        import tensorflow as tf_mod  # noqa: WPS433
        import keras as keras_mod  # noqa: WPS433
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
    tf_mod.get_logger().setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    try:
        tf_mod.autograph.set_verbosity(0)
    except Exception:  # pragma: no cover - older TF
        pass
    warnings.filterwarnings("ignore", module="keras")
    warnings.filterwarnings("ignore", module="tensorflow")
    _tf, _keras = tf_mod, keras_mod
    return _tf


def keras():
    """Return the keras module (Keras 3), importing TensorFlow quietly first."""
    tf()
    return _keras
