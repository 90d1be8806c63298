"""videocam: who is on screen, and where — Class Activation Maps on video.

Heavy modules (TensorFlow) load on first use, so `import videocam` is cheap.
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["load_model", "process_video", "CamModel", "ModelError", "Frame", "Box", "FrameResult", "NOBODY"]

from .types import NOBODY, Box, Frame, FrameResult  # noqa: E402


def __getattr__(name):
    if name in ("load_model", "CamModel", "ModelError", "save_model", "build_model", "vgg16_gap"):
        from . import model
        return getattr(model, name)
    if name in ("process_video", "RunSummary"):
        from . import pipeline
        return getattr(pipeline, name)
    raise AttributeError(f"module 'videocam' has no attribute {name!r}")
