"""`videocam.cam`: the CAM maths (`class_activation_maps`, `grad_cam_maps`, `normalize`, `upsample`),
as documented; they live in `videocam.model.cam`."""
from videocam.model.cam import class_activation_maps, grad_cam_maps, normalize, upsample  # noqa: F401

__all__ = ["class_activation_maps", "grad_cam_maps", "normalize", "upsample"]
