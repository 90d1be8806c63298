"""Face models: who from identity descriptors, where from face boxes and per-face CAMs.

A face model file (`videocam train PEOPLE --backbone face`) is a GAP model like any other: dlib's
face network up to its last conv block (`features`, 2x2x256 at 150x150), GAP, and one Dense
softmax layer whose kernel is `K @ (g_c - mean g)` (K: the network's 256->128 embedding
kernel, g_c: person c's mean enrolled descriptor). Its CAM for person c on a face chip is
exactly `features @ K @ (g_c - mean g)`, the map whose mean is the chip's descriptor dotted with
c's direction. Beside the weights the file carries the descriptors of every enrolled photo, K
and a distance threshold calibrated on those photos (`videocam.model.identity`).

Names never come from that softmax (it always names someone): a face is named c when its
descriptor is within the threshold of one of c's enrolled photos, else it is `unknown`.

On a frame: `FaceFinder` (reader thread) finds the faces and cuts 150x150 chips; one batched pass
gives each chip's descriptor and per-person CAMs; `videocam.stages.identify.Identify` names the
faces (voting over each face's track) and pastes the chips' CAMs back into a frame-sized map.
The whole-frame CAM of this network does not point at faces (its maximum sits on the zero padding
of its stride-2 blocks), so it is not used; it still serves the drawn people and ImageNet models.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from videocam.errors import ModelError
from videocam.model.cam_model import CamModel
from videocam.model.face_finder import CHIP, CHIP_SCALE, FaceFinder, FaceObs

FACE_MEMBER = "videocam_face.npz"      # descriptors, their people, the embedding kernel
BUNDLED_FACE_NET = Path(__file__).resolve().parent / "face_resnet_dlib.keras"
FEATURES_LAYER = "features"
# the share of a chip CAM's spread around its mean that the frame map keeps: the 2x2 cells of the
# last block differ from each other far more than two people's means do, so with the exact CAMs a
# map often peaks on the wrong face; kept small, the mean (identity) decides where a map peaks and
# the cells only shape it
MAP_SPREAD = 0.1  # share of a chip CAM's spread the frame map keeps (docs/stages.md#constants)
MAP_STRIDE = 8  # frame pixels per cell of a face model's frame map (docs/stages.md#constants)


def is_face_info(info) -> bool:
    return bool(info is not None and (getattr(info, "extra", None) or {}).get("face"))


def load_face_net():
    """dlib's face network (bundled with videocam), as a Keras model: 150x150 RGB -> 128-d."""
    from videocam.model._backend import keras
    if not BUNDLED_FACE_NET.is_file():
        raise ModelError(f"the bundled face network is missing: {BUNDLED_FACE_NET} (reinstall videocam)")
    return keras().models.load_model(BUNDLED_FACE_NET, compile=False)


@dataclass
class Face:
    """One face of one frame after the descriptor pass."""

    track: int
    box: tuple[int, int, int, int]
    detected: bool
    descriptor: np.ndarray | None = None   # (128,), when a chip was embedded this frame
    chip_cams: np.ndarray | None = None    # (C, 2, 2): each person's CAM on the chip
    sharpness: float = 0.0                 # of the chip (`face_finder.sharpness`), when embedded


@dataclass
class FaceBatch:
    """What the reader thread hands the pass: each frame's faces, and the chips to embed."""

    faces: list[list[FaceObs]]
    chips: np.ndarray          # (N, 150, 150, 3) uint8, in the order of the faces with embed=True
    sizes: list[tuple[int, int]]  # (width, height) of each frame

    def __len__(self) -> int:
        return len(self.faces)


class FaceModel(CamModel):
    """A `CamModel` whose pass runs on face chips, not on the whole frame (see the module doc)."""

    def __init__(self, keras_model, info, data: dict):
        super().__init__(keras_model, info)
        face = info.extra["face"]
        self.gallery = np.asarray(data["gallery"], np.float32)        # (N, 128)
        self.gallery_labels = np.asarray(data["labels"], np.int64)    # (N,)
        self.embedding_kernel = np.asarray(data["kernel"], np.float32)  # (256, 128)
        self.threshold = float(face["threshold"])
        self.chip_scale = float(face.get("chip_scale", CHIP_SCALE))
        self.finder = FaceFinder(scale=self.chip_scale)

    @property
    def is_face_model(self) -> bool:
        return True

    def settings(self) -> dict:
        """What a run with this model used to find faces (for the run info; the stages add theirs)."""
        f = self.finder
        return {"threshold": self.threshold, "chip_scale": self.chip_scale, "detect_every": f.detect_every,
                "embed_every": f.embed_every, "detect_scale": f.detect_scale, "enrolled_photos": int(len(self.gallery))}

    def reset_stream(self) -> None:
        """A new video or camera: tracks start again."""
        self.finder.reset()

    def input_size_for(self, width: int, height: int, aspect: str = "square"):
        """None: the reader makes no scaled copy; faces are found on the full frame."""
        return None

    def warm_up(self, batch: int, size=None) -> None:
        """Trace the chip pass and start the detector now, not on the first frame (live)."""
        from videocam.model.face_finder import detector
        self.embed_chips(np.zeros((batch, CHIP, CHIP, 3), np.uint8))
        if self.finder.det is None:
            self.finder.det = detector()

    def prepare(self, frames, size=None) -> FaceBatch:
        """Full-size RGB frames -> their faces (detected or tracked, in order) and the chips to embed."""
        faces, chips, sizes = [], [], []
        for f in frames:
            f = np.asarray(f)
            if f.ndim == 2:
                f = np.repeat(f[..., None], 3, axis=2)
            obs, c = self.finder(f[..., :3])
            faces.append(obs)
            chips += c
            sizes.append((f.shape[1], f.shape[0]))
        arr = np.stack(chips) if chips else np.zeros((0, CHIP, CHIP, 3), np.uint8)
        return FaceBatch(faces, arr, sizes)

    def embed_chips(self, chips: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Chips (N, 150, 150, 3) -> descriptors (N, 128) and each person's map on them (N, C, h, w).

        Person c's map on chip i is the CAM with class weights `K @ g` (g: c's enrolled descriptor
        nearest to the chip's), plus a constant per chip: `features @ K @ g - |e|^2/2 - |g|^2/2 +
        t^2/2`. Its spatial mean is exactly `(t^2 - d^2) / 2` (d: the distance that names the face, t:
        the threshold), so a map is positive where the face is named c and peaks on the face
        nearest to c; its shape inside the chip is the network's own evidence.
        """
        c = len(self.classes)
        if len(chips) == 0:
            return np.zeros((0, 128), np.float32), np.zeros((0, c, 2, 2), np.float32)
        _, feats = self._compiled_pass()(chips)
        feats = np.asarray(feats, np.float32)                       # (N, h, w, 256)
        pixels = feats @ self.embedding_kernel                      # (N, h, w, 128): per-cell embeddings
        desc = pixels.mean(axis=(1, 2))                             # exactly the network's descriptor
        from videocam.model.identity import distances
        d = distances(desc, self.gallery)                           # (N, G)
        nearest = np.stack([np.where(self.gallery_labels == p, d, np.inf).argmin(axis=1) for p in range(c)], 1)
        g = self.gallery[nearest]                                   # (N, C, 128)
        cams = np.einsum("nhwd,ncd->nchw", pixels, g)
        const = (self.threshold ** 2 - (desc * desc).sum(1)[:, None] - (g * g).sum(2)) / 2.0  # (N, C)
        cams += const[:, :, None, None]
        mean = cams.mean(axis=(2, 3), keepdims=True)                # (t^2 - d^2) / 2, exactly
        cams = mean + MAP_SPREAD * (cams - mean)
        return desc.astype(np.float32), cams.astype(np.float32)

    def probs_and_cams(self, batch: FaceBatch):
        """The pass on a `FaceBatch`: (placeholder probs, None, faces per frame). The identity
        stage fills in the probabilities, maps, names and boxes, in frame order."""
        desc, cams = self.embed_chips(batch.chips)
        k = 0
        out: list[list[Face]] = []
        for obs in batch.faces:
            row = []
            for o in obs:
                f = Face(o.track, o.box, o.detected, sharpness=o.sharpness)
                if o.embed:
                    f.descriptor, f.chip_cams = desc[k], cams[k]
                    k += 1
                row.append(f)
            out.append(row)
        n = len(batch.faces)
        return np.zeros((n, len(self.classes)), np.float32), None, out

    forward = probs_and_cams

    def person_distances(self, desc: np.ndarray) -> np.ndarray:
        from videocam.model.identity import person_distances
        return person_distances(desc, self.gallery, self.gallery_labels, len(self.classes))

    def predict(self, frames, aspect: str = "square"):
        """Probabilities (B, C) and frame maps (B, C, h, w) for still images: each image's faces
        found afresh and named on their own (no tracks)."""
        from videocam.model.identity import assign_names, confidence
        frames = [np.asarray(frames)] if np.ndim(frames) == 3 else list(frames)
        probs, maps = [], []
        for img in frames:
            self.finder.reset()
            batch = self.prepare([img])
            _, _, faces = self.probs_and_cams(batch)
            faces = faces[0]
            w, h = batch.sizes[0]
            p = np.zeros(len(self.classes), np.float32)
            if faces:
                pd = self.person_distances(np.stack([f.descriptor for f in faces]))
                names = assign_names(pd, self.threshold)
                conf = confidence(pd, self.threshold)
                for i, j in enumerate(names):
                    if j >= 0:
                        p[j] = max(p[j], conf[i, j])
            probs.append(p)
            maps.append(paste_face_cams([(f.box, f.chip_cams) for f in faces], len(self.classes), w, h,
                                        self.chip_scale))
        self.finder.reset()
        return np.stack(probs), np.stack(maps) if maps else np.zeros((0, len(self.classes), 1, 1), np.float32)


def paste_face_cams(faces, n_classes: int, width: int, height: int, scale: float = CHIP_SCALE,
                    stride: int = MAP_STRIDE) -> np.ndarray:
    """A frame's maps (C, ceil(H/stride), ceil(W/stride)) from its faces' chip CAMs.

    Each chip's (C, h, w) map is resized onto the square the chip was cut from, and the part over
    the face box is pasted (the largest value wins where faces overlap); outside every face the
    map is 0. So person c's map peaks on the face most like c: the paper's pointing game, on a
    frame of many faces.
    """
    import cv2
    gh, gw = -(-height // stride), -(-width // stride)
    out = np.zeros((n_classes, gh, gw), np.float32)
    seen = np.zeros((gh, gw), bool)
    for box, cams in faces:
        if cams is None:
            continue
        x0, y0, x1, y1 = (float(v) / stride for v in box)
        side = max(x1 - x0, y1 - y0) * scale
        cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        n = max(1, int(round(side)))
        sx0, sy0 = cx - n / 2.0, cy - n / 2.0                    # the chip square, in cells
        bx0, by0 = max(0, int(np.floor(x0))), max(0, int(np.floor(y0)))
        bx1, by1 = min(gw, max(bx0 + 1, int(np.ceil(x1)))), min(gh, max(by0 + 1, int(np.ceil(y1))))
        if bx1 <= bx0 or by1 <= by0:
            continue
        ix = np.clip(np.arange(bx0, bx1) - int(np.floor(sx0)), 0, n - 1)
        iy = np.clip(np.arange(by0, by1) - int(np.floor(sy0)), 0, n - 1)
        first = ~seen[by0:by1, bx0:bx1]
        # every class's map in one resize (channels last), then the part over the face box
        up = cv2.resize(np.ascontiguousarray(np.moveaxis(cams, 0, -1)), (n, n), interpolation=cv2.INTER_LINEAR)
        part = np.moveaxis(up.reshape(n, n, -1)[np.ix_(iy, ix)], -1, 0)
        region = out[:, by0:by1, bx0:bx1]
        out[:, by0:by1, bx0:bx1] = np.where(first, part, np.maximum(region, part))
        seen[by0:by1, bx0:bx1] = True
    return out


# ------------------------------------------------------------------ the file

def write_face_data(path, gallery: np.ndarray, labels: np.ndarray, kernel: np.ndarray) -> None:
    """Add the descriptors, their people and the embedding kernel to a saved model file."""
    buf = io.BytesIO()
    np.savez_compressed(buf, gallery=gallery.astype(np.float32), labels=labels.astype(np.int64),
                        kernel=kernel.astype(np.float32))
    with zipfile.ZipFile(path, "a") as z:
        z.writestr(FACE_MEMBER, buf.getvalue())


def read_face_data(path) -> dict:
    with zipfile.ZipFile(path) as z:
        if FACE_MEMBER not in z.namelist():
            raise ModelError(f"{path}: a face model without its enrolled descriptors ({FACE_MEMBER}); "
                             "train it again with videocam train PEOPLE --backbone face")
        with np.load(io.BytesIO(z.read(FACE_MEMBER))) as d:
            return {k: d[k] for k in d.files}
