"""Face models (`train PEOPLE --backbone face`): the identity maths, the per-face maps, enrolment
through the CLI, naming real people and leaving strangers `unknown`, in stills and in frames, and
the enrolment mistakes that are one `error:` line.

Real photos come from `../shared/realdata` beside the checkout ($VIDEOCAM_SHARED overrides it, see
`shared_dir.py`): `johns/<Name>/*.jpg`, five people, eight 150x150 face crops each. Tests that need
them skip with a reason when the folder is absent. The face model is enrolled once for the module
(3 Johns x 3 photos, through `videocam train`); the other two Johns are the strangers.
"""
from __future__ import annotations

import contextlib
import io
import shutil
import socket
from pathlib import Path

import cv2
import numpy as np
import pytest
from shared_dir import SHARED

from videocam.cli.main import main

REAL = SHARED / "realdata"
JOHNS = REAL / "johns"
N_ENROLLED = 3        # people enrolled in the module's model (the first three Johns, by name)
N_PHOTOS = 3          # photos each is enrolled from (the first three, by name); the rest are held out


def _need_johns() -> None:
    if not JOHNS.is_dir():
        pytest.skip(f"real photos not found at {JOHNS} (the shared realdata folder is absent)")


def _read_rgb(path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _grey_png(path, side: int = 200) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full((side, side, 3), 128, np.uint8))


def _garbage(path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(np.random.default_rng(len(path.name)).integers(0, 256, 600, dtype=np.uint8).tobytes())


def _centre(b):
    return (b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0


def _holds(box, point) -> bool:
    return box[0] <= point[0] < box[2] and box[1] <= point[1] < box[3]


# ------------------------------------------------------------------ fixtures (real photos)

@pytest.fixture(scope="module")
def johns() -> dict:
    """{name: sorted photo paths} for the five Johns."""
    _need_johns()
    people = {d.name: sorted(d.glob("*.jpg")) for d in sorted(JOHNS.iterdir()) if d.is_dir()}
    if len(people) < N_ENROLLED + 1 or any(len(ps) < N_PHOTOS + 1 for ps in people.values()):
        pytest.skip(f"{JOHNS} holds too few people or photos for these tests")
    return people


@pytest.fixture(scope="module")
def enrolled(johns):
    return list(johns)[:N_ENROLLED]


@pytest.fixture(scope="module")
def strangers(johns):
    return list(johns)[N_ENROLLED:]


@pytest.fixture(scope="module")
def trained(johns, enrolled, tmp_path_factory):
    """`videocam train PEOPLE --backbone face --out m.keras` once, on 3 Johns x 3 photos each:
    (exit code, stdout, stderr, model path)."""
    root = tmp_path_factory.mktemp("faces")
    for name in enrolled:
        (root / "people" / name).mkdir(parents=True)
        for p in johns[name][:N_PHOTOS]:
            shutil.copy(p, root / "people" / name / p.name)
    out = root / "m.keras"
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        code = main(["train", str(root / "people"), "--backbone", "face", "--out", str(out)])
    return code, o.getvalue(), e.getvalue(), out


@pytest.fixture(scope="module")
def face_model(trained):
    from videocam.model.loading import load_model
    code, out, err, path = trained
    assert code == 0, err
    return load_model(path)


def _chips(paths, grey: bool = False) -> np.ndarray:
    """Enrolment's chips for photos: `enrol.find_face` then `face_finder.chip`, as enrolment cuts them."""
    from videocam.model.enrol import find_face
    from videocam.model.face_finder import chip, detector
    det = detector()
    out = []
    for p in paths:
        rgb = _read_rgb(p)
        if grey:
            rgb = cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
        found = find_face(det, rgb)
        assert found is not None, f"no face found in {p}"
        image, box = found
        out.append(chip(image, box))
    return np.stack(out)


# ------------------------------------------------------------------ 1. the bundled network

def test_bundled_face_net_ships_in_the_package_and_loads_offline(monkeypatch):
    import videocam
    from videocam.model.face_model import BUNDLED_FACE_NET, FEATURES_LAYER, load_face_net
    assert BUNDLED_FACE_NET.is_file() and BUNDLED_FACE_NET.stat().st_size > 1_000_000
    assert Path(videocam.__file__).resolve().parent in BUNDLED_FACE_NET.parents  # package data

    def offline(*a, **k):
        raise OSError("network is off in this test")
    monkeypatch.setattr(socket.socket, "connect", offline)
    monkeypatch.setattr(socket.socket, "connect_ex", offline)
    monkeypatch.setattr(socket, "create_connection", offline)
    net = load_face_net()
    assert tuple(net.outputs[0].shape) == (None, 128)
    assert tuple(net.inputs[0].shape) == (None, 150, 150, 3)
    # enrolment builds its model from these two layers
    assert tuple(net.get_layer(FEATURES_LAYER).output.shape[-1:]) == (256,)
    assert np.asarray(net.get_layer("embedding").get_weights()[0]).shape == (256, 128)


# ------------------------------------------------------------------ 2. identity maths

def test_distances_and_person_distances_match_numpy():
    from videocam.model.identity import distances, person_distances
    rng = np.random.default_rng(1)
    a, b = rng.normal(scale=0.09, size=(5, 128)), rng.normal(scale=0.09, size=(7, 128))  # |v| ~ 1, as dlib's
    d = distances(a, b)
    assert d.shape == (5, 7) and d.dtype == np.float32
    np.testing.assert_allclose(d, np.linalg.norm(a[:, None] - b[None], axis=2), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.diag(distances(a, a)), 0.0, atol=1e-3)
    labels = np.array([0, 0, 1, 1, 1, 0, 1])
    pd = person_distances(a, b, labels, 3)  # person 2 has no photos
    assert pd.shape == (5, 3)
    np.testing.assert_allclose(pd[:, 0], d[:, labels == 0].min(1), rtol=1e-6)
    np.testing.assert_allclose(pd[:, 1], d[:, labels == 1].min(1), rtol=1e-6)
    assert np.isinf(pd[:, 2]).all()


def test_assign_names_one_face_per_person_none_above_threshold():
    from videocam.model.identity import assign_names
    # two faces both near person 0: the closer gets the name, the look-alike stays unnamed even though
    # person 1 is free (too far); the third face is a stranger
    pd = np.array([[0.20, 0.70], [0.30, 0.90], [0.80, 0.90]], np.float32)
    assert assign_names(pd, 0.5).tolist() == [0, -1, -1]
    # the greedy order is by distance: face 1 takes person 0 (0.1), face 0 then gets person 1
    pd = np.array([[0.20, 0.30], [0.10, 0.90]], np.float32)
    assert assign_names(pd, 0.5).tolist() == [1, 0]
    assert assign_names(np.zeros((0, 3), np.float32), 0.5).tolist() == []
    assert assign_names(np.full((2, 2), np.inf, np.float32), 0.5).tolist() == [-1, -1]
    rng = np.random.default_rng(2)
    for _ in range(200):
        n, p = rng.integers(1, 7), rng.integers(1, 5)
        pd = rng.uniform(0.0, 1.0, size=(n, p)).astype(np.float32)
        t = float(rng.uniform(0.2, 0.8))
        names = assign_names(pd, t)
        named = names[names >= 0]
        assert len(set(named.tolist())) == len(named)                      # one face per person
        assert all(pd[i, j] < t for i, j in enumerate(names) if j >= 0)    # none at or above threshold
        free = sorted(set(range(p)) - set(named.tolist()))
        for i in np.flatnonzero(names < 0):                               # nothing left to name
            assert all(pd[i, j] >= t for j in free)


def test_confidence_is_half_at_the_threshold_and_falls_with_distance():
    from videocam.model.identity import CONFIDENCE_WIDTH, confidence
    t = 0.5
    assert confidence(np.float32(t), t) == pytest.approx(0.5, abs=1e-6)
    d = np.linspace(0.0, 1.5, 301, dtype=np.float32)
    c = confidence(d, t)
    assert c.dtype == np.float32 and c.shape == d.shape
    assert (np.diff(c) <= 0).all() and c[0] > c[-1]
    assert ((c >= 0.5) == (d <= t)).all()                # a name exactly when within the threshold
    assert c[0] > 0.999 and c[-1] < 1e-3
    assert confidence(np.float32(t + CONFIDENCE_WIDTH), t) == pytest.approx(1 / (1 + np.e), abs=1e-4)


def test_calibrate_threshold_stays_within_its_bounds():
    from videocam.model.identity import DLIB_THRESHOLD, MIN_THRESHOLD, calibrate_threshold

    def e(k, s=1.0):
        v = np.zeros(128, np.float32)
        v[k] = s
        return v
    labels = np.array([0, 0, 1, 1])
    # each person's two photos 0.45 apart, the people 10 apart: 0.45 + the 0.05 margin
    g = np.stack([e(0, 0), e(1, 0.45), e(2, 10), e(2, 10) + e(3, 0.45)])
    assert calibrate_threshold(g, labels) == pytest.approx(0.50, abs=1e-3)
    # tight photos: the floor
    g = np.stack([e(0, 0), e(1, 0.05), e(2, 10), e(2, 10) + e(3, 0.05)])
    assert calibrate_threshold(g, labels) == pytest.approx(MIN_THRESHOLD)
    # loose photos: the ceiling
    g = np.stack([e(0, 0), e(1, 2.0), e(2, 10), e(2, 10) + e(3, 2.0)])
    assert calibrate_threshold(g, labels) == pytest.approx(DLIB_THRESHOLD)
    # another person nearer than the photos' spread: the margin below him, but never below the floor
    g = np.stack([e(0, 0), e(1, 0.55), e(2, 0.52), e(2, 0.52) + e(3, 0.55)])
    assert calibrate_threshold(g, labels) == pytest.approx(0.47, abs=1e-3)
    g = np.stack([e(0, 0), e(1, 0.55), e(2, 0.40), e(2, 0.40) + e(3, 0.55)])
    assert calibrate_threshold(g, labels) == pytest.approx(MIN_THRESHOLD)
    # one photo each: dlib's threshold, or less when people are close
    assert calibrate_threshold(np.stack([e(0, 0), e(1, 10)]), np.array([0, 1])) == pytest.approx(DLIB_THRESHOLD)
    rng = np.random.default_rng(3)
    for _ in range(100):
        n = int(rng.integers(2, 12))
        g = rng.normal(scale=float(rng.uniform(0.01, 0.5)), size=(n, 128)).astype(np.float32)
        lab = rng.integers(0, int(rng.integers(1, 4)), size=n)
        t = calibrate_threshold(g, lab)
        assert MIN_THRESHOLD <= t <= DLIB_THRESHOLD


# ------------------------------------------------------------------ 3. maps pasted from chips

def test_paste_face_cams_peaks_inside_the_face_and_is_zero_elsewhere():
    from videocam.model.face_model import MAP_STRIDE, paste_face_cams
    w, h = 200, 120
    a, b = (16, 16, 80, 80), (120, 24, 184, 88)
    cam_a = np.stack([np.array([[3.0, 2.0], [2.0, 1.0]]), np.full((2, 2), -1.0)]).astype(np.float32)
    cam_b = np.stack([np.full((2, 2), -2.0), np.array([[1.0, 1.0], [4.0, 1.0]])]).astype(np.float32)
    maps = paste_face_cams([(a, cam_a), (b, cam_b), ((60, 60, 90, 90), None)], 2, w, h)
    assert maps.shape == (2, -(-h // MAP_STRIDE), -(-w // MAP_STRIDE))
    for c, box in ((0, a), (1, b)):
        iy, ix = np.unravel_index(int(np.argmax(maps[c])), maps[c].shape)
        px, py = (ix + 0.5) * MAP_STRIDE, (iy + 0.5) * MAP_STRIDE
        assert _holds(box, (px, py)), (c, px, py)
    inside = np.zeros(maps.shape[1:], bool)
    for x0, y0, x1, y1 in (a, b):
        inside[y0 // MAP_STRIDE:-(-y1 // MAP_STRIDE), x0 // MAP_STRIDE:-(-x1 // MAP_STRIDE)] = True
    assert (maps[:, ~inside] == 0).all()        # outside every face (and a face without cams): 0
    assert (maps[:, inside] != 0).all()          # every cell over a face carries its chip's map
    assert (maps[0][inside] > 0).sum() and (maps[1, 2:10, 2:10] < 0).all()
    assert not paste_face_cams([], 2, w, h).any()


# ------------------------------------------------------------------ 4. real descriptors

def test_same_person_photos_are_closer_than_different_people(face_model, johns, enrolled):
    from videocam.model.identity import distances
    names = list(johns)
    paths = [p for n in names for p in johns[n]]
    labels = np.array([i for i, n in enumerate(names) for _ in johns[n]])
    desc, cams = face_model.embed_chips(_chips(paths))
    assert desc.shape == (len(paths), 128) and cams.shape == (len(paths), N_ENROLLED, 2, 2)
    d = distances(desc, desc)
    a0, a1, b0 = 0, 1, len(johns[names[0]])            # two photos of one John, one of the next
    assert d[a0, a1] < d[a0, b0]
    same = (labels[:, None] == labels[None]) & ~np.eye(len(paths), dtype=bool)
    other = labels[:, None] != labels[None]
    assert d[same].max() < d[other].min()               # every same-person pair beats every other pair
    # the video pipeline's pass gives exactly the descriptors enrolment stored for the same photos
    idx = [paths.index(p) for n in enrolled for p in johns[n][:N_PHOTOS]]
    np.testing.assert_allclose(desc[idx], face_model.gallery, atol=1e-4)
    assert face_model.gallery_labels.tolist() == [i for i in range(N_ENROLLED) for _ in range(N_PHOTOS)]


# ------------------------------------------------------------------ 5. train --backbone face

def test_train_face_cli_names_an_enrolled_john_and_not_a_stranger(trained, face_model, johns, enrolled, strangers):
    from videocam.model.face_model import FaceModel
    from videocam.model.identity import DLIB_THRESHOLD, MIN_THRESHOLD
    code, out, err, path = trained
    assert code == 0, err
    assert path.is_file() and not list(path.parent.glob(".*"))   # no temporary file left
    assert f"enrolled {N_ENROLLED} people" in out and all(f"{n} ({N_PHOTOS})" in out for n in enrolled)
    assert isinstance(face_model, FaceModel) and face_model.is_face_model
    assert face_model.classes == enrolled
    assert MIN_THRESHOLD <= face_model.threshold <= DLIB_THRESHOLD
    assert face_model.info.extra["face"]["photos"] == {n: N_PHOTOS for n in enrolled}
    for j, name in enumerate(enrolled):
        for p in johns[name][N_PHOTOS:]:               # held out
            probs, maps = face_model.predict(_read_rgb(p))
            assert probs.shape == (1, N_ENROLLED) and maps.shape[:2] == (1, N_ENROLLED)
            assert int(np.argmax(probs[0])) == j and probs[0, j] >= 0.5, (p.name, probs)
            assert (np.delete(probs[0], j) < 0.5).all()
    for name in strangers:
        for p in johns[name]:
            probs, maps = face_model.predict(_read_rgb(p))
            assert np.abs(maps).max() > 0, f"no face found in {p}"  # a face was seen ...
            assert (probs[0] < 0.5).all(), (name, p.name, probs)   # ... and given no name


# ------------------------------------------------------------------ 6. grey photos

def test_grey_photo_descriptor_is_near_its_colour_original(face_model, johns, enrolled):
    from videocam.model.identity import assign_names
    photo = johns[enrolled[0]][0]
    colour, grey = _chips([photo]), _chips([photo], grey=True)
    assert np.ptp(colour.astype(int), axis=-1).max() > 10 and np.ptp(grey.astype(int), axis=-1).max() == 0
    desc, _ = face_model.embed_chips(np.concatenate([colour, grey]))
    assert float(np.linalg.norm(desc[0] - desc[1])) < 0.3
    assert assign_names(face_model.person_distances(desc[1:]), face_model.threshold).tolist() == [0]


# ------------------------------------------------------------------ 7. enrolment mistakes

def _enrol_cli(capsys, data, out):
    try:
        code = main(["train", str(data), "--backbone", "face", "--out", str(out)])
    except SystemExit as e:  # argparse usage errors
        code = e.code
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err
    return code, cap.out, cap.err


def _one_error(err: str) -> str:
    """Exactly one `error:` line, and it is the last thing on stderr."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert len(errors) == 1, err
    assert lines[-1] == errors[0], err
    return errors[0]


def test_a_person_with_one_photo_is_one_error_line(tmp_path, capsys):
    _grey_png(tmp_path / "people" / "Ann" / "a.png")
    _grey_png(tmp_path / "people" / "Bob" / "b1.png")
    _grey_png(tmp_path / "people" / "Bob" / "b2.png")
    code, _, err = _enrol_cli(capsys, tmp_path / "people", tmp_path / "m.keras")
    assert code != 0
    assert err.startswith("error: each person needs at least 2 photos") and err.count("\n") == 1, err
    assert "Ann (1)" in err and "Bob" not in err
    assert not (tmp_path / "m.keras").exists()


def _refused(capsys, people, out) -> str:
    """`train --backbone face` refuses: non-zero exit, no model file, and its one error line."""
    code, _, err = _enrol_cli(capsys, people, out)
    line = _one_error(err)
    assert code != 0
    assert not out.exists()
    return line


def test_a_photo_without_a_face_is_named_in_one_error_line(tmp_path, capsys, johns):
    name = list(johns)[0]
    for p in johns[name][:2]:
        (tmp_path / "people" / name).mkdir(parents=True, exist_ok=True)
        shutil.copy(p, tmp_path / "people" / name / p.name)
    blank = tmp_path / "people" / name / "blank.png"
    _grey_png(blank)
    line = _refused(capsys, tmp_path / "people", tmp_path / "m.keras")
    assert line == f"error: no face found in {blank}"


def test_an_unreadable_photo_is_named_in_one_error_line(tmp_path, capsys):
    bad, blank = tmp_path / "people" / "Ann" / "bad.jpg", tmp_path / "people" / "Ann" / "blank.png"
    _garbage(bad)
    _grey_png(blank)
    line = _refused(capsys, tmp_path / "people", tmp_path / "m.keras")
    # every problem of the folder in the one line
    assert line == f"error: unreadable image: {bad}; no face found in {blank}"


def test_two_unreadable_photos_are_both_listed_in_one_error(tmp_path, capsys):
    bad1, bad2 = tmp_path / "people" / "Ann" / "bad1.jpg", tmp_path / "people" / "Ann" / "bad2.jpg"
    _garbage(bad1)
    _garbage(bad2)
    line = _refused(capsys, tmp_path / "people", tmp_path / "m.keras")
    assert line == f"error: unreadable images: {bad1}, {bad2}"


def test_a_failed_enrolment_stderr_is_only_the_error_line(tmp_path, capsys):
    _garbage(tmp_path / "people" / "Ann" / "bad1.jpg")
    _garbage(tmp_path / "people" / "Ann" / "bad2.jpg")
    code, _, err = _enrol_cli(capsys, tmp_path / "people", tmp_path / "m.keras")
    assert code != 0
    assert err.startswith("error: unreadable images:") and err.count("\n") == 1, repr(err)


# ------------------------------------------------------------------ 8. a stranger in a frame

def test_a_stranger_in_a_frame_gets_an_unknown_box(face_model, johns, enrolled, strangers):
    from videocam.eval.face_score import score_frame
    from videocam.pipeline.stream import analyse_batch
    from videocam.stages.chain import build_stages
    from videocam.types import Frame
    name = enrolled[0]
    known, stranger = _read_rgb(johns[name][N_PHOTOS]), _read_rgb(johns[strangers[-1]][0])
    canvas = np.full((360, 640, 3), 128, np.uint8)
    at_known, at_stranger = (100, 105), (390, 105)      # (x, y) of each photo's top left
    for img, (x, y) in ((known, at_known), (stranger, at_stranger)):
        canvas[y:y + img.shape[0], x:x + img.shape[1]] = img
    known_box = (at_known[0], at_known[1], at_known[0] + known.shape[1], at_known[1] + known.shape[0])
    stranger_box = (at_stranger[0], at_stranger[1], at_stranger[0] + stranger.shape[1],
                    at_stranger[1] + stranger.shape[0])
    face_model.reset_stream()
    frames = [Frame(index=i, time_s=i / 25, rgb=canvas.copy()) for i in range(3)]
    results = analyse_batch(face_model, frames, None, build_stages(face_model))
    assert len(results) == 3
    j = enrolled.index(name)
    for r in results:
        assert len(r.boxes) == 2, r.boxes
        named = [b for b in r.boxes if b.label == name]
        unknown = [b for b in r.boxes if b.label == "unknown"]
        assert len(named) == 1 and len(unknown) == 1, r.boxes
        nb, ub = named[0], unknown[0]
        assert _holds((nb.x0, nb.y0, nb.x1, nb.y1), _centre(known_box))
        assert _holds((ub.x0, ub.y0, ub.x1, ub.y1), _centre(stranger_box))
        assert r.label == name
        assert r.score == pytest.approx(float(r.probs[r.classes.index(r.label)])) and r.score >= 0.5
        assert nb.score == pytest.approx(r.score)
        assert (np.delete(r.probs, j) == 0).all()
        assert r.cams.shape == (N_ENROLLED, 45, 80)
        c = score_frame([(name, known_box), (None, stranger_box)], r.boxes, cams=r.cams,
                        classes=r.classes, size=(640, 360))
        assert (c.enrolled_named, c.strangers_named, c.named_boxes, c.named_wrong) == (1, 0, 1, 0)
        assert (c.point, c.point_hit) == (1, 1)           # his map peaks on his face, not the stranger's


# ------------------------------------------------------------------ 9. face scores

def test_score_frame_counts_named_strangers_wrong_boxes_and_stranger_frames():
    from videocam.eval.face_score import FaceCounts, score_frame
    from videocam.types import Box
    ann, bob, stranger = (0, 0, 50, 50), (200, 0, 250, 50), (100, 0, 150, 50)
    truth = [("ann", ann), ("bob", bob), (None, stranger)]
    boxes = [
        {"label": "ann", "x0": 5, "y0": 5, "x1": 60, "y1": 60},        # right
        Box("bob", 0.9, 95, 0, 160, 60),                                 # a stranger named bob: wrong too
        {"label": "unknown", "x0": 200, "y0": 0, "x1": 250, "y1": 50},   # bob left unknown
        Box("ann", 0.7, 300, 300, 320, 320),                             # over nobody: wrong
    ]
    c = score_frame(truth, boxes)
    assert (c.enrolled, c.enrolled_named) == (2, 1)
    assert (c.strangers, c.strangers_named) == (1, 1)
    assert (c.named_boxes, c.named_wrong) == (3, 2)
    assert (c.point, c.stranger_frames) == (0, 0)
    # a box of the right name far wider than the face does not count as finding it
    wide = score_frame([("ann", ann)], [{"label": "ann", "x0": 0, "y0": 0, "x1": 500, "y1": 50}])
    assert (wide.enrolled, wide.enrolled_named, wide.named_wrong) == (1, 0, 0)
    # frames of strangers only
    calm = score_frame([(None, stranger)], [Box("unknown", 0.9, *stranger)], strangers_only=True)
    assert (calm.stranger_frames, calm.stranger_frames_named, calm.strangers_named) == (1, 0, 0)
    named = score_frame([(None, stranger)], [Box("ann", 0.6, *stranger)], strangers_only=True)
    assert (named.stranger_frames, named.stranger_frames_named, named.strangers_named) == (1, 1, 1)
    assert named.named_wrong == 1
    # the pointing game: ann's map peaks on her face, bob's on the stranger
    cams = np.zeros((2, 6, 32), np.float32)
    cams[0, 0, 1] = 1.0    # cell centre (20, 20) in a 320x60 frame: inside ann
    cams[1, 0, 12] = 1.0   # (125, 5): the stranger, 100 px from bob
    p = score_frame(truth, [], cams=cams, classes=["ann", "bob"], size=(320, 60))
    assert (p.point, p.point_hit) == (2, 1)
    total = c + calm + named + p
    assert isinstance(total, FaceCounts)
    assert (total.enrolled, total.enrolled_named, total.stranger_frames, total.stranger_frames_named) == (4, 1, 2, 1)
    rates = total.rates()
    assert rates["enrolled_named"] == pytest.approx(1 / 4)
    assert rates["stranger_frames_named"] == pytest.approx(1 / 2)
    assert rates["pointing"] == pytest.approx(1 / 2)
    assert np.isnan(FaceCounts().rates()["named_wrong"])


def test_the_peer_script_skips_with_a_message_without_face_recognition():
    """scripts/peer_faces.py needs the optional peer library; without it, one line says so, exit 0."""
    import subprocess
    import sys
    from pathlib import Path
    script = Path(__file__).resolve().parents[1] / "scripts" / "peer_faces.py"
    code = ("import runpy, sys; sys.modules['face_recognition'] = None; sys.argv = [sys.argv[1]]; "
            "runpy.run_path(sys.argv[0], run_name='__main__')")
    r = subprocess.run([sys.executable, "-c", code, str(script)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().startswith("skipped: face_recognition is not installed")
    assert "pip install" in r.stdout
