"""Where the faces are: dlib's HOG face detector, tracks between detections, 150x150 chips.

Detecting every frame is what makes the peer library slow: dlib's HOG takes a few hundred
milliseconds a 1280x720 frame. A `FaceFinder` detects on the first frame, at each shot
cut, when a track is lost, and every `detect_every` frames; between, each face is followed by
template matching in a window around its last box (a few hundred microseconds a face). Faces are
sent for a descriptor when they are new and every `embed_every` frames after, so a track gathers
several descriptors to vote with. dlib releases the GIL while it detects, so this runs on the
reader thread beside the descriptor passes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from videocam.errors import ModelError
from videocam.stages.localize import iou

CHIP = 150  # the face network's input side (docs/stages.md#constants)
CHIP_SCALE = 1.3  # chip side / detector box side; the box is eyebrows to chin (docs/stages.md#constants)
DETECT_EVERY = 15  # frames between detections within a shot (docs/stages.md#constants)
EMBED_EVERY = 5  # frames between two descriptors of one track (docs/stages.md#constants)
UPSAMPLE = 1  # dlib's pyramid upsampling for photos: finds faces down to ~40 px (docs/stages.md#constants)
# video frames are enlarged instead and scanned without upsampling: the same faces, faster
DETECT_SCALE = 1.75  # enlargement of a video frame before detection (docs/stages.md#constants)
MAX_DETECT_WIDTH = 2240  # ... never past this width: 1080p is enlarged 1.17x (docs/stages.md#constants)
MIN_FACE = 24  # px: smaller boxes are not faces worth naming (docs/stages.md#constants)
TRACK_MIN_SCORE = 0.7  # normalised correlation below which a track is lost, detection runs (docs/stages.md#constants)
# a missed cut lets a track carry a name onto a stranger: the cut threshold and the track's score guard it
CUT_DIFF = 12.0  # mean abs difference of 32x18 grey thumbnails (0-255) marking a cut (docs/stages.md#constants)


def detector():
    """dlib's frontal HOG face detector (no model file; installed with videocam as dlib-bin)."""
    try:
        import dlib
    except ImportError:
        raise ModelError("face models need dlib's face detector: pip install dlib-bin") from None
    return dlib.get_frontal_face_detector()


def detect(det, rgb: np.ndarray, upsample: int = UPSAMPLE, min_face: int = MIN_FACE,
           scale: float = 1.0) -> list[tuple[int, int, int, int]]:
    """Face boxes (x0, y0, x1, y1), x1/y1 exclusive, clipped to the image, largest first; `scale`
    enlarges the image first (boxes come back in the image's pixels)."""
    import cv2
    h, w = rgb.shape[:2]
    img = np.ascontiguousarray(rgb)
    if scale != 1.0:
        img = cv2.resize(img, (int(round(w * scale)), int(round(h * scale))), interpolation=cv2.INTER_LINEAR)
    rects = det(img, upsample)
    out = []
    for r in rects:
        x0, y0 = max(0, int(r.left() / scale)), max(0, int(r.top() / scale))
        x1, y1 = min(w, int(round((r.right() + 1) / scale))), min(h, int(round((r.bottom() + 1) / scale)))
        if x1 - x0 >= min_face and y1 - y0 >= min_face:
            out.append((x0, y0, x1, y1))
    return sorted(out, key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))


def chip(rgb: np.ndarray, box, scale: float = CHIP_SCALE, size: int = CHIP) -> np.ndarray:
    """The face network's input for a face: a square `scale` times the box's larger side, centred on
    the box, resized to size x size; black outside the picture (as the backbone was measured)."""
    import cv2
    x0, y0, x1, y1 = (float(v) for v in box)
    side = max(x1 - x0, y1 - y0) * scale
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    k = size / side
    m = np.array([[k, 0, size / 2.0 - k * cx], [0, k, size / 2.0 - k * cy]], np.float32)
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(rgb, m, (size, size), flags=interp, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def sharpness(chip_rgb: np.ndarray) -> float:
    """How sharp a chip is: the variance of the Laplacian of its grey central half (the face, not
    the black border a chip at the picture's edge gets). A small face upscaled to a chip is soft."""
    import cv2
    n = chip_rgb.shape[0]
    g = cv2.cvtColor(chip_rgb[n // 4:3 * n // 4, n // 4:3 * n // 4], cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(g, cv2.CV_32F).var())


@dataclass
class FaceObs:
    """One face in one frame: its track, its box in frame pixels, and whether a chip was cut for it."""

    track: int
    box: tuple[int, int, int, int]
    embed: bool
    detected: bool  # found by the detector in this frame (else followed by its track)
    sharpness: float = 0.0  # variance of the Laplacian of its grey chip, when a chip was cut


@dataclass
class _Track:
    id: int
    box: tuple[float, float, float, float]
    template: np.ndarray  # half-size grey patch from the last detection
    since_embed: int = 0


@dataclass
class FaceFinder:
    """Stateful: call it on each frame in order; returns the frame's faces and their chips."""

    # the module's constants, read when a finder is made (so a script may set them first)
    detect_every: int = field(default_factory=lambda: DETECT_EVERY)
    embed_every: int = field(default_factory=lambda: EMBED_EVERY)
    detect_scale: float = field(default_factory=lambda: DETECT_SCALE)
    scale: float = field(default_factory=lambda: CHIP_SCALE)
    det: object = None
    _tracks: list = field(default_factory=list)
    _next_id: int = 1
    _since_detect: int = 0
    _thumb: np.ndarray | None = None
    _lost: bool = False
    frames: int = 0
    detections: int = 0

    def reset(self) -> None:
        """A new video: no tracks, and the next frame is detected."""
        self._tracks, self._since_detect, self._thumb, self._lost, self.frames = [], 0, None, False, 0

    def __call__(self, rgb: np.ndarray) -> tuple[list[FaceObs], list[np.ndarray]]:
        import cv2
        if self.det is None:
            self.det = detector()
        grey_half = cv2.cvtColor(cv2.resize(rgb, (rgb.shape[1] // 2, rgb.shape[0] // 2),
                                            interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
        thumb = cv2.resize(grey_half, (32, 18), interpolation=cv2.INTER_AREA).astype(np.float32)
        cut = self._thumb is not None and float(np.abs(thumb - self._thumb).mean()) > CUT_DIFF
        self._thumb = thumb
        due = self.frames == 0 or cut or self._lost or self._since_detect >= self.detect_every
        self.frames += 1
        if due:
            obs = self._detect(rgb, grey_half, fresh=cut)
        else:
            obs = self._follow(grey_half)
            if self._lost:  # a face the template lost: find the faces again now, not a frame later
                obs = self._detect(rgb, grey_half, fresh=False)
        chips = []
        for o in obs:
            if o.embed:
                c = chip(rgb, o.box, self.scale)
                o.sharpness = sharpness(c)
                chips.append(c)
        return obs, chips

    def _detect(self, rgb, grey_half, fresh: bool) -> list[FaceObs]:
        self.detections += 1
        self._since_detect = 1
        self._lost = False
        k = max(1.0, min(self.detect_scale, MAX_DETECT_WIDTH / rgb.shape[1]))
        boxes = detect(self.det, rgb, upsample=0, scale=k)
        old = [] if fresh else list(self._tracks)
        tracks, obs = [], []
        for b in boxes:
            overlap, match = max(((iou(t.box, b), t) for t in old), key=lambda x: x[0], default=(0.0, None))
            if overlap > 0.3:
                old.remove(match)
                tid, since = match.id, match.since_embed + 1
            else:
                tid, since = self._next_id, self.embed_every  # new: a descriptor now
                self._next_id += 1
            embed = since >= self.embed_every
            t = _Track(tid, tuple(float(v) for v in b), _patch(grey_half, b), 0 if embed else since)
            tracks.append(t)
            obs.append(FaceObs(tid, b, embed, True))
        self._tracks = tracks
        return obs

    def _follow(self, grey_half) -> list[FaceObs]:
        import cv2
        self._since_detect += 1
        obs, kept = [], []
        H, W = grey_half.shape
        for t in self._tracks:
            x0, y0, x1, y1 = (v / 2.0 for v in t.box)
            th, tw = t.template.shape
            mx, my = max(4, int(0.35 * tw)), max(4, int(0.35 * th))
            sx0, sy0 = max(0, int(x0) - mx), max(0, int(y0) - my)
            sx1, sy1 = min(W, int(x0) + tw + mx), min(H, int(y0) + th + my)
            win = grey_half[sy0:sy1, sx0:sx1]
            if win.shape[0] < th or win.shape[1] < tw or th < 4 or tw < 4:
                self._lost = True
                continue
            res = cv2.matchTemplate(win, t.template, cv2.TM_CCOEFF_NORMED)
            _, score, _, (px, py) = cv2.minMaxLoc(res)
            if not np.isfinite(score) or score < TRACK_MIN_SCORE:
                self._lost = True  # detect on the next frame
                continue
            dx, dy = (sx0 + px - x0) * 2.0, (sy0 + py - y0) * 2.0
            b = t.box
            t.box = (b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy)
            t.since_embed += 1
            embed = t.since_embed >= self.embed_every
            if embed:
                t.since_embed = 0
            box = tuple(int(round(v)) for v in t.box)
            obs.append(FaceObs(t.id, box, embed, False))
            kept.append(t)
        self._tracks = kept
        return obs


def _patch(grey_half: np.ndarray, box) -> np.ndarray:
    x0, y0, x1, y1 = (int(round(v / 2.0)) for v in box)
    H, W = grey_half.shape
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
    return np.ascontiguousarray(grey_half[y0:y1, x0:x1])
