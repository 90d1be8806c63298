"""Networks, the CamModel that gets every class's CAM from one forward pass, its file format,
the CAM maths, training and the image folders it trains on."""
from videocam.errors import ModelError
from videocam.model.cam_model import CamModel, default_model_path, load_model, save_model
from videocam.model.info import ModelInfo
from videocam.model.nets import HEADS, build_model, preprocess, small_gap, vgg16_gap

__all__ = ["CamModel", "ModelError", "ModelInfo", "HEADS", "build_model", "default_model_path", "load_model",
           "preprocess", "save_model", "small_gap", "vgg16_gap"]
