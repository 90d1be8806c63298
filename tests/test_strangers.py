"""Strangers: `unknown` faces grouped into clusters `u1, u2, ...` (`videocam.stages.strangers`), the
cluster on `Box` and in the CSV, strangers in the screen-time report, and `videocam enrol RUN.csv u3`
that makes a stranger of a run a person.

The stage's tests use synthetic 128-d descriptors (no TensorFlow). The end-to-end test runs a real
face model on a small H.264 video of two Johns side by side (`../shared/realdata/johns`, see
`shared_dir.py`; skipped with a reason when absent): one third John is enrolled, the two on screen
are strangers. The run is made once for the module; the enrol error tests reuse it from copies.
"""
from __future__ import annotations

import contextlib
import io
import json
import shutil
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from shared_dir import SHARED

from videocam.cli.main import main
from videocam.stages import strangers as strangers_mod
from videocam.stages.strangers import LINK, MIN_FACE, MIN_SHARPNESS, TRACK_BREAK, Strangers
from videocam.types import UNKNOWN, Box, Frame, FrameResult

JOHNS = SHARED / "realdata" / "johns"
CLASSES = ("ann",)


# ------------------------------------------------------------------ synthetic faces

def _person(seed: int) -> np.ndarray:
    """A 128-d descriptor of norm 1.45 (two independent ones lie ~2 apart: far beyond LINK)."""
    v = np.random.default_rng(seed).normal(size=128)
    return (1.45 * v / np.linalg.norm(v)).astype(np.float32)


def _jitter(d: np.ndarray, rng: np.random.Generator, norm: float = 0.1) -> np.ndarray:
    """The same person in another frame: noise of the given norm."""
    n = rng.normal(size=d.shape)
    return (d + norm * n / np.linalg.norm(n)).astype(np.float32)


def _face(track: int, box, descriptor, sharpness: float = 100.0):
    from videocam.model.face_model import Face
    return Face(track=track, box=tuple(box), detected=True, descriptor=descriptor, sharpness=sharpness)


def _result(i: int, faces, labels=None) -> FrameResult:
    """Frame `i` with one box per face (`unknown` unless `labels` says otherwise), as Identify leaves it."""
    labels = labels or [UNKNOWN] * len(faces)
    boxes = [Box(lab, 0.9, *f.box) for lab, f in zip(labels, faces)]
    frame = Frame(index=i, time_s=i / 25, rgb=None, size=(640, 360))
    return FrameResult(frame=frame, classes=CLASSES, probs=np.zeros(1, np.float32),
                       cams=np.zeros((1, 2, 2), np.float32), label=UNKNOWN, boxes=boxes,
                       notes={"face_boxes": list(faces)})


LEFT, RIGHT, ELSEWHERE = (100, 100, 250, 250), (400, 100, 550, 250), (250, 150, 350, 250)


def test_constants_make_the_synthetic_people_separable():
    a, b = _person(1), _person(2)
    rng = np.random.default_rng(0)
    assert float(np.linalg.norm(a - b)) > 3 * LINK
    assert float(np.linalg.norm(a - _jitter(a, rng))) < LINK / 2
    assert float(np.linalg.norm(a - b)) > TRACK_BREAK
    assert min(LEFT[2] - LEFT[0], ELSEWHERE[2] - ELSEWHERE[0]) >= MIN_FACE
    assert 1.0 < MIN_SHARPNESS < 100.0


def test_two_strangers_in_the_same_frames_never_merge():
    a, b = _person(1), _person(2)
    rng = np.random.default_rng(1)
    st = Strangers()
    out = []
    for i in range(30):
        # A enters first (frame 0 alone), then both on screen for many frames
        faces = [_face(1, LEFT, _jitter(a, rng))]
        if i > 0:
            faces.append(_face(2, RIGHT, _jitter(b, rng)))
        out += st([_result(i, faces)])
    assert st.clusters == ["u1", "u2"]
    assert [b.cluster for b in out[0].boxes] == ["u1"]
    for r in out[1:]:
        assert [bx.cluster for bx in r.boxes] == ["u1", "u2"], r.boxes
        assert [bx.who for bx in r.boxes] == ["unknown u1", "unknown u2"]
        assert all(bx.label == UNKNOWN for bx in r.boxes)
        assert "face_boxes" not in r.notes   # the stage consumes its notes


def test_ids_follow_first_appearance_not_track_numbers():
    a, b = _person(3), _person(4)
    rng = np.random.default_rng(2)
    st = Strangers()
    # B appears first on a high track number, A later on a low one
    r0 = st([_result(0, [_face(9, RIGHT, _jitter(b, rng))])])[0]
    r1 = st([_result(1, [_face(1, LEFT, _jitter(a, rng)), _face(9, RIGHT, _jitter(b, rng))])])[0]
    assert r0.boxes[0].cluster == "u1"
    assert [bx.cluster for bx in r1.boxes] == ["u2", "u1"]


def test_one_stranger_across_a_cut_keeps_his_id():
    a, b = _person(5), _person(6)
    rng = np.random.default_rng(3)
    st = Strangers()
    before = st([_result(i, [_face(1, LEFT, _jitter(a, rng)), _face(2, RIGHT, _jitter(b, rng))])
                 for i in range(10)])
    mine = {bx.cluster for r in before for bx in r.boxes[:1]}
    assert len(mine) == 1 and None not in mine
    # the cut: A alone, on a new track, somewhere else in the picture
    after = st([_result(10 + i, [_face(7, ELSEWHERE, _jitter(a, rng))]) for i in range(10)])
    assert [r.boxes[0].cluster for r in after] == [mine.pop()] * 10
    assert st.clusters == ["u1", "u2"]   # no third cluster


def test_a_small_face_gets_no_cluster_and_starts_none():
    a = _person(7)
    rng = np.random.default_rng(4)
    st = Strangers()
    small = (300, 100, 320, 120)   # 20x20 px
    assert 20 < MIN_FACE
    out = st([_result(i, [_face(1, small, _jitter(a, rng))]) for i in range(10)])
    assert all(r.boxes[0].cluster is None for r in out)
    assert all(r.boxes[0].label == UNKNOWN for r in out)
    assert st.clusters == []


def test_a_blurred_face_gets_no_cluster_and_starts_none():
    a = _person(8)
    rng = np.random.default_rng(5)
    st = Strangers()
    out = st([_result(i, [_face(1, LEFT, _jitter(a, rng), sharpness=1.0)]) for i in range(10)])
    assert all(r.boxes[0].cluster is None for r in out)
    assert st.clusters == []
    # a face without a descriptor this frame (not embedded) neither
    out = st([_result(10, [_face(2, LEFT, None)])])
    assert out[0].boxes[0].cluster is None and st.clusters == []


def test_a_blurred_frame_keeps_the_cluster_its_track_already_has():
    a = _person(9)
    rng = np.random.default_rng(6)
    st = Strangers()
    sharp = st([_result(i, [_face(1, LEFT, _jitter(a, rng))]) for i in range(3)])
    soft = st([_result(3 + i, [_face(1, LEFT, _jitter(a, rng), sharpness=1.0)]) for i in range(3)])
    assert [r.boxes[0].cluster for r in sharp + soft] == ["u1"] * 6
    assert st.clusters == ["u1"]


def test_a_track_carried_onto_someone_else_gets_his_own_cluster():
    a, b = _person(10), _person(11)
    rng = np.random.default_rng(7)
    st = Strangers()
    first = st([_result(i, [_face(1, LEFT, _jitter(a, rng))]) for i in range(20)])
    assert {r.boxes[0].cluster for r in first} == {"u1"}
    # the tracker follows the box over a missed cut: same track, now B's face
    then = st([_result(20 + i, [_face(1, LEFT, _jitter(b, rng))]) for i in range(5)])
    assert st.clusters == ["u1", "u2"]
    # B's votes start afresh: A's 20 frames do not outvote his 5 (without the reset the track
    # would say u1 throughout); once u2, it stays u2
    got = [r.boxes[0].cluster for r in then]
    assert got[-3:] == ["u2"] * 3, got
    assert got[got.index("u2"):] == ["u2"] * (len(got) - got.index("u2")), got


def test_a_named_box_is_never_given_a_cluster():
    a, b = _person(12), _person(13)
    rng = np.random.default_rng(8)
    st = Strangers()
    out = st([_result(i, [_face(1, LEFT, _jitter(a, rng)), _face(2, RIGHT, _jitter(b, rng))],
                      labels=["ann", UNKNOWN]) for i in range(10)])
    for r in out:
        named, stranger = r.boxes
        assert named.label == "ann" and named.cluster is None and named.who == "ann"
        assert stranger.cluster == "u1"
    assert st.clusters == ["u1"]   # the named face started no cluster
    # a frame with named faces only: untouched
    only = st([_result(10, [_face(1, LEFT, _jitter(a, rng))], labels=["ann"])])[0]
    assert only.boxes[0].cluster is None and st.clusters == ["u1"]


def test_reset_forgets_the_clusters():
    a = _person(14)
    st = Strangers()
    st([_result(0, [_face(1, LEFT, a)])])
    assert st.clusters == ["u1"]
    st.reset()
    assert st.clusters == []
    assert st([_result(0, [_face(1, LEFT, _person(15))])])[0].boxes[0].cluster == "u1"


def test_constants_are_read_when_the_stage_is_made(monkeypatch):
    monkeypatch.setattr(strangers_mod, "MIN_FACE", 10)
    st = Strangers()
    assert st.min_face == 10
    out = st([_result(0, [_face(1, (300, 100, 320, 120), _person(16))])])
    assert out[0].boxes[0].cluster == "u1"


# ------------------------------------------------------------------ the cluster on a box

def test_box_round_trip_keeps_the_cluster():
    b = Box(UNKNOWN, 0.8, 1, 2, 30, 40, cluster="u3")
    d = b.to_dict()
    assert d["cluster"] == "u3"
    assert Box.from_dict(d) == b
    assert Box.from_dict(json.loads(json.dumps(d))).cluster == "u3"
    assert b.who == "unknown u3"
    plain = Box(UNKNOWN, 0.8, 1, 2, 30, 40)
    assert "cluster" not in plain.to_dict()
    assert Box.from_dict(plain.to_dict()) == plain and plain.who == "unknown"
    assert Box("ann", 0.9, 0, 0, 5, 5).who == "ann"


def test_the_cluster_survives_the_csv(tmp_path):
    from videocam.io.csvfile import CsvWriter, read_csv
    r = _result(0, [])
    r = r.with_(boxes=[Box(UNKNOWN, 0.7, 1, 2, 60, 70, cluster="u12"), Box(UNKNOWN, 0.6, 100, 2, 160, 70),
                       Box("ann", 0.9, 200, 2, 260, 70)], label="ann")
    path = tmp_path / "x.cam.csv"
    with CsvWriter(path, CLASSES) as w:
        w.write(r)
    row = read_csv(path).rows[0]
    assert [b.cluster for b in row.boxes] == ["u12", None, None]
    assert [b.who for b in row.boxes] == ["unknown u12", "unknown", "ann"]


# ------------------------------------------------------------------ strangers in the report

def _table(n: int = 100, fps: float = 25.0):
    """n frames at fps: `ann` labels the first half, `unknown` the second; cluster u1 boxed in
    every frame, u2 in frames 10-12 only, a bare `unknown` box in frames 50-99."""
    from videocam.io.csvfile import CsvRow, CsvTable
    rows = []
    for i in range(n):
        boxes = [Box(UNKNOWN, 0.7, 300, 0, 350, 50, cluster="u1")]
        if 10 <= i < 13:
            boxes.append(Box(UNKNOWN, 0.7, 400, 0, 450, 50, cluster="u2"))
        if i >= 50:
            boxes.append(Box(UNKNOWN, 0.7, 500, 0, 550, 50))
        label = "ann" if i < 50 else UNKNOWN
        if label == "ann":
            boxes.append(Box("ann", 0.9, 0, 0, 50, 50))
        rows.append(CsvRow(frame=i, time_s=round(i / fps, 4), label=label, score=0.9,
                           probs={"ann": 0.9 if label == "ann" else 0.0}, boxes=boxes))
    return CsvTable(classes=["ann"], rows=rows)


def test_report_lists_a_long_seen_stranger_and_sums_the_rest_as_other_unknown():
    from videocam.eval.report import (
        CLUSTER_FLOOR_S,
        CLUSTER_FLOOR_SHARE,
        NOBODY,
        OTHER_UNKNOWN,
        analyse,
        box_lane,
        format_table,
        frame_durations,
        kept_clusters,
    )
    table = _table()
    rep = analyse(table)
    assert rep.duration_s == pytest.approx(4.0)
    assert rep.people == ["ann", "unknown u1", OTHER_UNKNOWN]
    stats = {s.name: s for s in rep.classes}
    assert stats["unknown u1"].screen_s == pytest.approx(4.0)
    assert stats["unknown u1"].appearances == 1
    assert stats["unknown u1"].label_s == pytest.approx(0.0)
    # u2: 3 frames = 0.12 s, under the floor: counted as `other unknown`, not listed
    assert 3 / 25 < max(CLUSTER_FLOOR_S, CLUSTER_FLOOR_SHARE * 4.0)
    assert "unknown u2" not in rep.people and "u2" not in " ".join(rep.people)
    assert stats[OTHER_UNKNOWN].screen_s == pytest.approx(3 / 25)
    assert kept_clusters(table.rows, frame_durations([r.time_s for r in table.rows])) == {"unknown u1"}
    # by label: `unknown` frames are nobody known; the parts add up to the duration
    assert stats["ann"].label_s == pytest.approx(2.0)
    assert rep.nobody.label_s == pytest.approx(2.0)
    assert rep.label_total_s == pytest.approx(rep.duration_s)
    assert sum(s.label_s or 0 for s in rep.classes) + rep.nobody.label_s == pytest.approx(4.0)
    # a bare `unknown` box (no cluster) is nobody's screen time
    assert box_lane(Box(UNKNOWN, 0.5, 0, 0, 5, 5)) is None
    assert box_lane(Box(UNKNOWN, 0.5, 0, 0, 5, 5, cluster="u1"), frozenset({"unknown u1"})) == "unknown u1"
    assert box_lane(Box(UNKNOWN, 0.5, 0, 0, 5, 5, cluster="u2"), frozenset({"unknown u1"})) == OTHER_UNKNOWN
    assert box_lane(Box(NOBODY, 0.5, 0, 0, 5, 5)) is None
    assert UNKNOWN not in rep.people
    text = format_table(rep)
    assert "unknown u1" in text and OTHER_UNKNOWN in text and "unknown u2" not in text


def test_report_bare_unknown_boxes_are_nobody_on_screen():
    from videocam.eval.report import analyse
    from videocam.io.csvfile import CsvRow, CsvTable
    rows = [CsvRow(frame=i, time_s=i / 25, label=UNKNOWN, score=0.9, probs={"ann": 0.0},
                   boxes=[Box(UNKNOWN, 0.7, 300, 0, 350, 50)]) for i in range(50)]
    rep = analyse(CsvTable(classes=["ann"], rows=rows))
    assert rep.people == ["ann"]
    assert rep.nobody.screen_s == pytest.approx(2.0)
    assert rep.nobody.label_s == pytest.approx(2.0)
    assert {s.name: s for s in rep.classes}["ann"].screen_s == 0.0


# ------------------------------------------------------------------ which faces `enrol` cuts

def test_cluster_boxes_and_spread_pick():
    from videocam.io.cluster_faces import cluster_boxes, spread_pick
    from videocam.io.csvfile import CsvRow
    rows = []
    for i in range(100):   # u1 in every frame, growing; u2 in frame 7 only
        boxes = [Box(UNKNOWN, 0.7, 0, 0, 40 + i, 40 + i, cluster="u1"), Box(UNKNOWN, 0.7, 0, 0, 50, 50)]
        if i == 7:
            boxes.append(Box(UNKNOWN, 0.7, 300, 0, 350, 50, cluster="u2"))
        rows.append(CsvRow(frame=i, time_s=i / 25, label=UNKNOWN, boxes=boxes))
    found = cluster_boxes(rows, "u1")
    assert len(found) == 100 and [t for t, _ in found] == sorted(t for t, _ in found)
    assert all(b.cluster == "u1" for _, b in found)
    assert [t for t, _ in cluster_boxes(rows, "u2")] == [7 / 25]
    assert cluster_boxes(rows, "u3") == []
    picked = spread_pick(found, 10)
    assert len(picked) == 10
    # one per tenth of the span, the largest (latest, here) of each
    assert [round(t * 25) for t, _ in picked] == [9, 19, 29, 39, 49, 59, 69, 79, 89, 99]
    assert spread_pick(cluster_boxes(rows, "u2"), 10) == cluster_boxes(rows, "u2")
    assert spread_pick([], 10) == []
    assert len(spread_pick(found, 3)) == 3


# ------------------------------------------------------------------ a real run, and `enrol`

def _need_johns() -> None:
    if not JOHNS.is_dir():
        pytest.skip(f"real photos not found at {JOHNS} (the shared realdata folder is absent)")


def _cli(argv) -> tuple[int, str, str]:
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as ex:   # argparse usage errors
            code = ex.code
    return int(code or 0), o.getvalue(), e.getvalue()


def _one_error(err: str) -> str:
    """Exactly one `error:` line, and it is the last thing on stderr."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert len(errors) == 1, err
    assert lines[-1] == errors[0], err
    assert "Traceback" not in err
    return errors[0]


def _read_rgb(path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


AT = ((100, 105), (390, 105))   # (x, y) top left of each stranger's photo
N_FRAMES = 20


def _write_video(path: Path, pictures) -> None:
    """640x360 H.264 at 25 fps, one frame per picture: each a list of (150x150 RGB photo, (x, y))
    pasted on grey."""
    import av
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=Fraction(25))
        st.width, st.height, st.pix_fmt = 640, 360, "yuv420p"
        st.options = {"preset": "ultrafast", "crf": "18"}
        for pasted in pictures:
            canvas = np.full((360, 640, 3), 128, np.uint8)
            for img, (x, y) in pasted:
                canvas[y:y + 150, x:x + 150] = img
            for pkt in st.encode(av.VideoFrame.from_ndarray(canvas, format="rgb24")):
                out.mux(pkt)
        for pkt in st.encode(None):
            out.mux(pkt)


def _photo(path) -> np.ndarray:
    return cv2.resize(_read_rgb(path), (150, 150))


def _two_johns_video(path: Path, left: Path, right: Path) -> None:
    """The two people's photos side by side, N_FRAMES frames (the same photo of each throughout)."""
    a, b = _photo(left), _photo(right)
    _write_video(path, [[(a, AT[0]), (b, AT[1])]] * N_FRAMES)


def _side(b: Box) -> int | None:
    """Which stranger's photo a box covers: 0 left, 1 right, None neither."""
    cx, cy = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
    for k, (x, y) in enumerate(AT):
        if x <= cx < x + 150 and y <= cy < y + 150:
            return k
    return None


def _run(video: Path, model: Path, out: Path) -> Path:
    code, o, e = _cli(["run", video, "--model", model, "--no-mp4", "--out", out])
    assert code == 0, e
    csv = out / f"{video.stem}.cam.csv"
    assert csv.is_file(), (o, e, sorted(p.name for p in out.iterdir()))
    return csv


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """A model of one John (3 photos), a video of two other Johns, its run: a dict of paths and the
    two strangers' clusters (left, right)."""
    _need_johns()
    from videocam.io.csvfile import read_csv
    people = {d.name: sorted(d.glob("*.jpg")) for d in sorted(JOHNS.iterdir()) if d.is_dir()}
    if len(people) < 3 or any(len(ps) < 4 for ps in people.values()):
        pytest.skip(f"{JOHNS} holds too few people or photos for these tests")
    names = list(people)
    known, left, right = names[0], names[-2], names[-1]
    root = tmp_path_factory.mktemp("strangers")
    folder = root / "people"
    (folder / known).mkdir(parents=True)
    for p in people[known][:3]:
        shutil.copy(p, folder / known / p.name)
    model = root / "m.keras"
    code, _, e = _cli(["train", folder, "--backbone", "face", "--out", model])
    assert code == 0, e
    video = root / "two.mp4"
    # one photo each: two photos of one John can lie further apart than LINK, and then the stage
    # rightly makes two clusters of him (that is tuning, not what these tests are about)
    _two_johns_video(video, people[left][0], people[right][0])
    csv = _run(video, model, root / "out")
    table = read_csv(csv)
    clusters: list[set] = [set(), set()]
    for r in table.rows:
        for b in r.boxes:
            k = _side(b)
            if k is not None and b.label == UNKNOWN and b.cluster:
                clusters[k].add(b.cluster)
    return {"root": root, "people": folder, "known": known, "model": model, "video": video,
            "csv": csv, "table": table, "clusters": clusters, "names": (left, right),
            "photos": (people[left][0], people[right][0])}


def test_a_run_gives_two_strangers_two_clusters(real_run):
    table = real_run["table"]
    assert len(table.rows) == N_FRAMES
    boxed = [[b for b in r.boxes if _side(b) == k] for r in table.rows for k in (0, 1)]
    assert sum(1 for bs in boxed if bs) >= 0.9 * 2 * N_FRAMES   # both faces found in most frames
    for bs in boxed:
        assert all(b.label == UNKNOWN for b in bs), bs           # nobody named the known John
    left, right = real_run["clusters"]
    assert len(left) == 1 and len(right) == 1, real_run["clusters"]
    assert left != right
    assert left | right <= {"u1", "u2"}


def _copy_run(real_run, dest: Path) -> dict:
    """The run's CSV, run info and video copied to `dest` (the run info pointed at the copy)."""
    dest.mkdir(parents=True, exist_ok=True)
    video = shutil.copy(real_run["video"], dest / real_run["video"].name)
    csv = Path(shutil.copy(real_run["csv"], dest / real_run["csv"].name))
    info_src = real_run["csv"].with_suffix(".json")
    info = json.loads(info_src.read_text())
    info["input"] = str(Path(video).resolve())
    (dest / info_src.name).write_text(json.dumps(info))
    people = dest / "people"
    shutil.copytree(real_run["people"], people)
    return {"csv": csv, "video": Path(video), "people": people}


def _tree(d: Path) -> list[str]:
    return sorted(str(p.relative_to(d)) for p in d.rglob("*"))


def test_enrol_a_stranger_then_the_new_model_names_him(real_run, tmp_path):
    from videocam.io.csvfile import read_csv
    from videocam.model.loading import load_model
    cluster = next(iter(real_run["clusters"][0]))
    c = _copy_run(real_run, tmp_path)
    code, o, e = _cli(["enrol", c["csv"], cluster, "--name", "newguy", "--people", c["people"]])
    assert code == 0, e
    faces = sorted((c["people"] / "newguy").glob("*.jpg"))
    assert 1 <= len(faces) <= 10, o
    assert sorted(p.name for p in (c["people"] / "newguy").iterdir()) == [p.name for p in faces]
    assert not list(c["people"].glob(".*"))        # no half-written folder left behind
    assert f"of {cluster}" in o and "newguy" in o
    for p in faces:
        assert cv2.imread(str(p)) is not None
    # the people folder, now with two people, trains; the new model knows him
    model2 = tmp_path / "m2.keras"
    code, _, e = _cli(["train", c["people"], "--backbone", "face", "--out", model2])
    assert code == 0, e
    m = load_model(model2)
    assert set(m.classes) == {real_run["known"], "newguy"}
    # and names him in the video
    table = read_csv(_run(c["video"], model2, tmp_path / "out2"))
    his = [b for r in table.rows for b in r.boxes if _side(b) == 0]
    other = [b for r in table.rows for b in r.boxes if _side(b) == 1]
    assert len(his) >= 0.9 * N_FRAMES
    named = sum(1 for b in his if b.label == "newguy")
    assert named >= 0.9 * len(his), [b.who for b in his]
    assert all(b.label != "newguy" for b in other), [b.who for b in other]


def test_enrol_add_puts_faces_beside_existing_photos(real_run, tmp_path):
    cluster = next(iter(real_run["clusters"][1]))
    c = _copy_run(real_run, tmp_path)
    known = c["people"] / real_run["known"]
    before = sorted(p.name for p in known.iterdir())
    code, o, e = _cli(["enrol", c["csv"], cluster, "--name", real_run["known"], "--people", c["people"],
                       "--add", "--max", "2"])
    assert code == 0, e
    after = sorted(p.name for p in known.iterdir())
    assert set(before) < set(after) and 1 <= len(after) - len(before) <= 2
    assert not list(c["people"].glob(".*"))


def test_enrol_an_unknown_cluster_is_one_error_line_listing_the_clusters(real_run, tmp_path):
    c = _copy_run(real_run, tmp_path)
    before = _tree(tmp_path)
    code, o, e = _cli(["enrol", c["csv"], "u99", "--name", "newguy", "--people", c["people"]])
    line = _one_error(e)
    assert code != 0
    assert "u99" in line
    have = sorted(real_run["clusters"][0] | real_run["clusters"][1])
    assert f"its clusters: {', '.join(have)}" in line, line
    assert _tree(tmp_path) == before


def test_enrol_when_the_video_is_gone_is_one_error_line(real_run, tmp_path):
    c = _copy_run(real_run, tmp_path)
    c["video"].unlink()
    before = _tree(tmp_path)
    cluster = next(iter(real_run["clusters"][0]))
    code, _, e = _cli(["enrol", c["csv"], cluster, "--name", "newguy", "--people", c["people"]])
    line = _one_error(e)
    assert code != 0
    assert "video is gone" in line and str(c["video"].name) in line
    assert _tree(tmp_path) == before


def test_enrol_an_existing_name_without_add_is_one_error_line(real_run, tmp_path):
    c = _copy_run(real_run, tmp_path)
    before = _tree(tmp_path)
    cluster = next(iter(real_run["clusters"][0]))
    code, _, e = _cli(["enrol", c["csv"], cluster, "--name", real_run["known"], "--people", c["people"]])
    line = _one_error(e)
    assert code != 0
    assert "already exists" in line and "--add" in line
    assert _tree(tmp_path) == before


def test_enrol_a_missing_csv_is_one_error_line(tmp_path):
    people = tmp_path / "people"
    missing = tmp_path / "nope.cam.csv"
    code, _, e = _cli(["enrol", missing, "u1", "--name", "newguy", "--people", people])
    line = _one_error(e)
    assert code != 0
    assert str(missing) in line
    assert not people.exists()
    assert list(tmp_path.iterdir()) == []


def test_enrol_a_bad_name_is_one_error_line(tmp_path):
    code, _, e = _cli(["enrol", tmp_path / "x.cam.csv", "u1", "--name", "a/b", "--people", tmp_path / "p"])
    line = _one_error(e)
    assert code != 0 and "--name" in line
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ a run cut into chunks

def test_the_ray_engine_does_not_cut_a_face_model_s_videos_into_chunks(real_run, tmp_path):
    """Chunks would each number their strangers from u1 (a Strangers stage per chunk) and the joined
    CSV would give one id to different people: a face model's video runs whole on one worker."""
    from videocam.model.loading import load_model
    from videocam.pipeline.ray_engine import _is_face_model
    assert _is_face_model(real_run["model"])
    assert _is_face_model(load_model(real_run["model"]))
    assert not _is_face_model(None)  # the bundled demo model: its videos are cut as before
