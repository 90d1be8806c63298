"""What travels inside a model file besides the weights: a `videocam.json` member
of the `.keras` zip (class names, input size, preprocessing, CAM layer)."""
from __future__ import annotations

import json
import zipfile
from dataclasses import asdict, dataclass, field

META_MEMBER = "videocam.json"
@dataclass
class ModelInfo:
    """What travels inside the model file besides the weights."""

    classes: list[str]
    input_size: tuple[int, int] = (224, 224)  # (height, width) it was trained at
    preprocessing: str = "rescale"
    cam_layer: str = ""
    head: str = "gap"
    backbone: str = "small"
    multi_label: bool = False
    fixed_input: bool = False  # FC heads need exactly input_size
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> "ModelInfo":
        d = json.loads(text)
        d["input_size"] = tuple(d.get("input_size", (224, 224)))
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


def read_info(path) -> ModelInfo | None:
    with zipfile.ZipFile(path) as z:
        if META_MEMBER not in z.namelist():
            return None
        return ModelInfo.from_json(z.read(META_MEMBER).decode("utf-8"))

