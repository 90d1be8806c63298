"""`videocam.rescale`: `adaptive_cams`, each image's CAMs from a pass at the size that suits the
object, as documented; it lives in `videocam.stages.rescale`."""
from videocam.stages.rescale import adaptive_cams  # noqa: F401

__all__ = ["adaptive_cams"]
