"""`train PEOPLE --backbone face`: enrolment, not a long training run.

Each photo's face is found (dlib HOG; a tight crop is padded and enlarged until a face shows),
cut into a chip as the video pipeline cuts it, and embedded once by the bundled face network.
The model file gets the GAP + Dense head whose CAMs point at each person (see
`videocam.model.face_model`), the descriptors, and the threshold calibrated on them by
leave-one-out (`videocam.model.identity.calibrate_threshold`). Seconds, not minutes.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from videocam.errors import DataError
from videocam.model.data import IMAGE_EXTS
from videocam.model.data import unreadable as unreadable_message
from videocam.model.face_finder import CHIP_SCALE, chip, detect, detector

HEAD_SCALE = 20.0  # logits per unit of -d^2/2: a softmax that separates people 0.3 apart
MIN_PHOTOS = 2  # a person's threshold is calibrated on the distances between his own photos


@dataclass
class EnrolResult:
    path: Path
    classes: list[str]
    photos: dict
    threshold: float
    loo_accuracy: float | None
    seconds: float
    doubts: list = None  # photos nearer another person's photos than their own person's


def people_photos(data_dir) -> dict[str, list[Path]]:
    """{person: photos} from DATA_DIR/<person>/*; every problem with the folder in one error."""
    root = Path(data_dir)
    if not root.exists():
        raise DataError(f"people folder not found: {root}")
    if not root.is_dir():
        raise DataError(f"not a folder: {root}")
    people = {}
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        people[d.name] = sorted(p for p in d.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTS)
    if not people:
        raise DataError(f"no person folders in {root} (expected one folder of photos per person)")
    few = [f"{name} ({len(ps)})" for name, ps in people.items() if len(ps) < MIN_PHOTOS]
    if few:
        raise DataError(f"each person needs at least {MIN_PHOTOS} photos (the stranger threshold is calibrated "
                        f"on them): {', '.join(few)}")
    return people


def find_face(det, rgb: np.ndarray) -> tuple[np.ndarray, tuple] | None:
    """(image, face box) for an enrolment photo: the largest face, as it is, else padded by half its
    size on every side (a tight crop shows no whole face to the detector) and enlarged to at least
    300 px. None when no face shows."""
    import cv2
    boxes = detect(det, rgb, upsample=1, min_face=8)
    if boxes:
        return rgb, boxes[0]
    h, w = rgb.shape[:2]
    pad = max(h, w) // 2
    padded = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    k = max(1.0, 300.0 / max(padded.shape[:2]))
    if k > 1:
        padded = cv2.resize(padded, None, fx=k, fy=k, interpolation=cv2.INTER_CUBIC)
    boxes = detect(det, padded, upsample=1, min_face=8)
    return (padded, boxes[0]) if boxes else None


def is_grey(rgb: np.ndarray) -> bool:
    return bool(np.abs(rgb[..., 0].astype(np.int16) - rgb[..., 1]).max() <= 2
                and np.abs(rgb[..., 1].astype(np.int16) - rgb[..., 2]).max() <= 2)


def enrol_chips(people: dict[str, list[Path]], scale: float = CHIP_SCALE, progress: bool = True):
    """(chips (N, 150, 150, 3), labels (N,), grey flags (N,)); unreadable photos and photos without a
    face are listed all at once in one error."""
    import cv2
    from tqdm import tqdm
    det = detector()
    chips, labels, grey, unreadable, faceless = [], [], [], [], []
    items = [(i, p) for i, ps in enumerate(people.values()) for p in ps]
    bar = not (progress and sys.stderr.isatty())
    for i, p in tqdm(items, desc="faces", unit="photo", disable=bar, file=sys.stderr):
        data = np.fromfile(str(p), dtype=np.uint8)
        img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
        if img is None:
            unreadable.append(str(p))
            continue
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        found = find_face(det, rgb)
        if found is None:
            faceless.append(str(p))
            continue
        image, box = found
        chips.append(chip(image, box, scale))
        labels.append(i)
        grey.append(is_grey(rgb))
    problems = []
    if unreadable:
        problems.append(unreadable_message(unreadable))
    if faceless:
        problems.append(f"no face found in {', '.join(faceless)}")
    if problems:
        raise DataError("; ".join(problems))
    return np.stack(chips), np.asarray(labels, np.int64), np.asarray(grey, bool)


def enrol(data_dir, out, seed: int = 0, progress: bool = True, scale: float = CHIP_SCALE) -> EnrolResult:
    """Write a face model for the people in DATA_DIR/<person>/* (see the module doc)."""
    from videocam.model._backend import keras
    from videocam.model.cam_model import save_model
    from videocam.model.face_model import FEATURES_LAYER, load_face_net, write_face_data
    from videocam.model.identity import calibrate_threshold, distances, leave_one_out
    from videocam.model.info import ModelInfo

    t0 = time.perf_counter()
    out = Path(out)
    if out.suffix != ".keras":
        raise DataError(f"model files must end in .keras: {out}")
    people = people_photos(data_dir)
    classes = list(people)
    chips, labels, grey = enrol_chips(people, scale, progress)

    K = keras()
    net = load_face_net()
    feats_model = K.Model(net.inputs[0], net.get_layer(FEATURES_LAYER).output)
    kernel = np.asarray(net.get_layer("embedding").get_weights()[0], np.float32)  # (256, 128)
    feats = np.asarray(feats_model.predict_on_batch(chips.astype(np.float32)), np.float32)
    desc = feats.mean(axis=(1, 2)) @ kernel

    # the head: a nearest-class-mean classifier. Logits e.g_c - |g_c|^2/2 = -|e - g_c|^2/2 + |e|^2/2,
    # through K on the GAP'd features (g_c: person c's mean descriptor), sharpened by HEAD_SCALE
    means = np.stack([desc[labels == c].mean(0) for c in range(len(classes))])
    x = K.layers.GlobalAveragePooling2D(name="gap")(feats_model.output)
    head = K.layers.Dense(len(classes), activation="softmax", name="people")
    import warnings
    with warnings.catch_warnings():  # one person: Keras warns of a softmax over one class (names never come from it)
        warnings.simplefilter("ignore")
        y = head(x)
    model = K.Model(feats_model.inputs[0], y, name="face_gap")
    head.set_weights([(kernel @ means.T * HEAD_SCALE).astype(np.float32),
                      (-(means * means).sum(1) / 2.0 * HEAD_SCALE).astype(np.float32)])

    threshold = calibrate_threshold(desc, labels)
    d_same, d_other = leave_one_out(desc, labels)
    loo = None
    doubts: list[str] = []
    paths = [p for ps in people.values() for p in ps]  # in the order of `labels` (every photo had a face)
    if len(classes) > 1:
        # each photo against all the others: its distance to each person's nearest other photo
        d = distances(desc, desc)
        np.fill_diagonal(d, np.inf)
        pd = np.stack([np.where(labels == c, d, np.inf).min(axis=1) for c in range(len(classes))], axis=1)
        named = np.where(pd.min(axis=1) < threshold, pd.argmin(axis=1), -1)  # each photo named on its own
        loo = float((named == labels).mean())
        for i in np.flatnonzero(pd.argmin(axis=1) != labels):  # nearer another person than his own
            other = int(pd[i].argmin())
            doubts.append(f"{paths[i]} looks more like {classes[other]} ({pd[i, other]:.2f}) than like "
                          f"{classes[labels[i]]} ({pd[i, labels[i]]:.2f}): is it in the right folder?")
    photos = {c: int((labels == i).sum()) for i, c in enumerate(classes)}
    info = ModelInfo(classes=classes, input_size=(150, 150), preprocessing="none", cam_layer=FEATURES_LAYER,
                     head="gap", backbone="face", fixed_input=True,
                     extra={"face": {"threshold": round(threshold, 4), "chip_scale": scale, "photos": photos,
                                     "grey_photos": int(grey.sum()),
                                     "same_person_loo_p90":
                                         round(float(np.quantile(d_same[np.isfinite(d_same)], 0.9)), 4)
                                     if np.isfinite(d_same).any() else None,
                                     "nearest_other_person": round(float(d_other[np.isfinite(d_other)].min()), 4)
                                     if np.isfinite(d_other).any() else None,
                                     "leave_one_out_accuracy": loo}})
    tmp = out.with_name(f".{out.stem}.face.keras")  # complete, descriptors included, before it is named
    save_model(model, info, tmp)
    write_face_data(tmp, desc, labels, kernel)
    tmp.replace(out)
    return EnrolResult(out, classes, photos, threshold, loo, time.perf_counter() - t0, doubts)
