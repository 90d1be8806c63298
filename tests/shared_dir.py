"""Where the project's shared material is: `../shared` beside the checkout (as CI lays it), or
$VIDEOCAM_SHARED. Tests that need it skip with a reason when it is absent."""
from __future__ import annotations

import os
from pathlib import Path


def shared_dir() -> Path:
    env = os.environ.get("VIDEOCAM_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared"


SHARED = shared_dir()
EFFNET_LITE0 = SHARED / "backbones" / "efficientnet_lite0_imagenet.keras"
JOHNS = SHARED / "realdata" / "johns"
