"""`videocam.localize`: boxes from maps (`cam_boxes`, `threshold_mask`, `mask_boxes`), as documented;
they live in `videocam.stages.localize`."""
from videocam.stages.localize import cam_boxes, mask_boxes, threshold_mask  # noqa: F401

__all__ = ["cam_boxes", "mask_boxes", "threshold_mask"]
