"""videocam: who is on screen, and where — Class Activation Maps on video.

The public surface is flat: `videocam.load_model`, `CamModel`, `FaceModel`, `enrol` (real people
from photos), `process_video`, `process_videos` (many videos, locally or on Ray), the types,
and the maths modules `videocam.cam` (maps), `videocam.localize` (boxes) and
`videocam.rescale` (a second pass at the size that suits the object). Heavy modules
(TensorFlow) load on first use, so `import videocam` is cheap.

Rooms: `cli/` the command, `io/` reading and writing, `model/` networks and CAMs,
`stages/` what happens to each result, `pipeline/` the loops that tie them together,
`eval/` measuring, `studies/` one-off experiments, `synth/` the synthetic benchmark.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"
__all__ = ["load_model", "process_video", "process_videos", "CamModel", "FaceModel", "enrol", "ModelError",
           "VideocamError", "Frame", "Box", "FrameResult", "NOBODY", "UNKNOWN", "cam", "localize", "rescale"]

from videocam.errors import ModelError, VideocamError  # noqa: E402
from videocam.types import NOBODY, UNKNOWN, Box, Frame, FrameResult  # noqa: E402

# name -> module that defines it, loaded on first use
_LAZY = {
    "load_model": "videocam.model.loading", "CamModel": "videocam.model.cam_model",
    "save_model": "videocam.model.cam_model", "build_model": "videocam.model.nets",
    "vgg16_gap": "videocam.model.nets",
    "FaceModel": "videocam.model.face_model", "enrol": "videocam.model.enrol",
    "process_video": "videocam.pipeline.process", "RunSummary": "videocam.pipeline.process",
    "process_videos": "videocam.pipeline.many", "ManySummary": "videocam.pipeline.many",
}
# short module names the README documents (videocam.cam.normalize, videocam.localize.cam_boxes, ...)
_MODULES = {"cam": "videocam.model.cam", "localize": "videocam.stages.localize",
            "rescale": "videocam.stages.rescale"}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    raise AttributeError(f"module 'videocam' has no attribute {name!r}")
