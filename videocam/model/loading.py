"""Loading a model file: a `CamModel`, or a `FaceModel` when the file enrols real people
(`train --backbone face`). Apart from `cam_model` so that the two model kinds need not import each
other."""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

from videocam.errors import ModelError
from videocam.model import cam_model
from videocam.model._backend import BackendError, keras
from videocam.model.cam_model import CamModel
from videocam.model.face_model import FaceModel, is_face_info, read_face_data
from videocam.model.info import ModelInfo, read_info


def load_model(path=None) -> CamModel:
    """Load a videocam (or any GAP/conv Keras) model; no argument loads the default (see above)."""
    given = path is not None
    path = Path(path) if given else cam_model.default_model_path()
    if not path.exists():
        if given:
            raise ModelError(f"model file not found: {path}")
        if os.environ.get("VIDEOCAM_MODEL"):
            raise ModelError(f"VIDEOCAM_MODEL names a missing model file: {path} "
                             "(fix or unset VIDEOCAM_MODEL, or pass --model M.keras)")
        raise ModelError(f"the bundled model is missing: {path} (reinstall videocam, or pass "
                         "--model M.keras or set VIDEOCAM_MODEL=M.keras)")
    if path.is_dir():
        raise ModelError(f"model path is a directory, not a .keras file: {path}")
    if not zipfile.is_zipfile(path):
        raise ModelError(f"not a Keras model file (.keras zip): {path}")
    try:
        info = read_info(path)
        km = keras().models.load_model(path, compile=False)
    except (ModelError, BackendError):
        raise
    except Exception as e:  # noqa: BLE001 - any Keras failure is a bad file for the user
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(f"cannot load model {path}: {first[:200]}") from None
    if info is None:
        info = ModelInfo(classes=[], preprocessing="rescale")
    cm = FaceModel(km, info, read_face_data(path)) if is_face_info(info) else CamModel(km, info)
    cm.path = path
    return cm
