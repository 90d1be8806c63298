"""videocam cam (the four-row CAM figure) and the logo-shortcut study, with the tiny untrained model."""
import cv2
import numpy as np
import pytest

from videocam.cli.main import main


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    from videocam.synth.scenes import make_image
    d = tmp_path_factory.mktemp("imgs")
    paths = []
    for i, (label, size) in enumerate([("moon", (224, 224)), ("ahn", (288, 224)), ("nobody", (224, 256))]):
        img, _ = make_image(np.random.default_rng(i), label, size)
        p = d / f"{i}_{label}.png"
        cv2.imwrite(str(p), img[..., ::-1])
        paths.append(p)
    return paths


def _one_line_error(capsys, code, msg, exit_code=None):
    err = capsys.readouterr().err
    assert code != 0 and (exit_code is None or code == exit_code)
    assert err.startswith("error:") and msg in err and len(err.strip().splitlines()) == 1, err


def test_cam_grid_two_images_with_class(images, tiny_model_path, tmp_path, capsys):
    out = tmp_path / "grid.png"
    code = main(["cam", str(images[0]), str(images[1]), "--model", str(tiny_model_path), "--out", str(out),
                 "--class", "moon", "--threshold", "0.3"])
    text = capsys.readouterr().out
    assert code == 0 and out.is_file()
    lines = [ln for ln in text.splitlines() if "CAM of moon" in ln]
    assert len(lines) == 2 and str(images[0]) in lines[0] and str(images[1]) in lines[1]
    fig = cv2.imread(str(out))
    assert fig.shape[0] > fig.shape[1]  # 4 rows x 2 columns: taller than wide


def test_cam_grid_folder_is_capped(images, tiny_model, tmp_path):
    from videocam.studies.figure import cam_grid
    res = cam_grid([images[0].parent], model=tiny_model, out=tmp_path / "g.png", max_columns=2)
    assert res.total == 3 and res.shown == 2 and (tmp_path / "g.png").is_file()
    assert [v.path.name for v in res.views] == sorted(p.name for p in images)[:2]
    for v in res.views:  # top class by default; map at image size in [0, 1]
        assert v.class_index == int(np.argmax(v.probs))
        assert v.heat is None or (v.heat.shape == v.image.shape[:2] and 0 <= v.heat.min() and v.heat.max() <= 1 + 1e-6)


def test_cam_view_box_is_largest_region_of_the_map(tiny_model):
    from videocam.studies.figure import cam_view
    img = np.zeros((64, 96, 3), np.uint8)
    probs = np.array([0.1, 0.2, 0.7, 0, 0, 0], np.float32)
    cams = np.zeros((6, 4, 6), np.float32)
    cams[2, 1:3, 4:6] = 1.0  # right half, middle rows
    v = cam_view(tiny_model, img, None, 0.2, probs=probs, cams=cams)
    assert v.class_name == "moon" and v.boxes and v.boxes[0].x0 >= 48
    assert v.peak()[0] >= 48


def test_cam_view_shows_the_map_but_boxes_no_one_who_is_not_there(tiny_model):
    """`cam --class hong` on an image where hong's probability is 0.00, and any `nobody` map: the map
    is shown, but no box claims a person (issue 20, item 10)."""
    from videocam.studies.figure import cam_view
    img = np.zeros((64, 96, 3), np.uint8)
    cams = np.zeros((6, 4, 6), np.float32)
    cams[:, 1:3, 4:6] = 1.0
    moon = np.array([0.0, 0.001, 0.99, 0.005, 0.002, 0.002], np.float32)  # ahn hong moon nobody sim you
    hong = cam_view(tiny_model, img, 1, 0.2, probs=moon, cams=cams)
    assert hong.heat is not None and hong.boxes == [] and "hong" in hong.no_box
    empty = np.array([0.01, 0.01, 0.01, 0.95, 0.01, 0.01], np.float32)
    for k in (None, 3):  # nobody wins, or its map is asked for: no box, least of all one called nobody
        v = cam_view(tiny_model, img, k, 0.2, probs=empty, cams=cams)
        assert v.class_name == "nobody" and v.heat is not None and v.boxes == [] and v.no_box
    cams[1] = 0.0
    cams[1, 1:3, 0:2] = 1.0  # hong on the left, moon on the right
    for k in (2, 1):  # moon is there, and a second person the model also sees gets a box too
        two = np.array([0.0, 0.4, 0.55, 0.03, 0.01, 0.01], np.float32)
        v = cam_view(tiny_model, img, k, 0.2, probs=two, cams=cams)
        assert v.boxes and v.boxes[0].label == v.class_name and not v.no_box


def test_cam_cli_prints_why_there_is_no_box(images, tiny_model_path, tmp_path, capsys):
    code = main(["cam", str(images[2]), "--model", str(tiny_model_path), "--out", str(tmp_path / "g.png"),
                 "--class", "nobody"])
    out = capsys.readouterr().out
    assert code == 0 and "no box (nobody" in out and "box (0" not in out and "-(" not in out


@pytest.mark.parametrize("case,msg,exit_code", [
    ("missing", "image not found", 1), ("class", "unknown class 'obama'", 2), ("empty", "no images in folder", 1),
    ("unreadable", "unreadable image", 1), ("out", "--out must be an image file", 2),
])
def test_cam_errors_are_one_line(images, tiny_model_path, tmp_path, capsys, case, msg, exit_code):
    args = ["cam", str(images[0]), "--model", str(tiny_model_path), "--out", str(tmp_path / "g.png")]
    if case == "missing":
        args[1] = str(tmp_path / "nope.png")
    elif case == "class":
        args += ["--class", "obama"]
    elif case == "empty":
        (tmp_path / "empty").mkdir()
        args[1] = str(tmp_path / "empty")
    elif case == "unreadable":
        (tmp_path / "bad.png").write_text("not an image")
        args[1] = str(tmp_path / "bad.png")
    elif case == "out":
        args[-1] = str(tmp_path / "grid.txt")
    _one_line_error(capsys, main(args), msg, exit_code)


def test_shortcut_study_tiny(tiny_model, tmp_path):
    from videocam.studies.shortcut import format_report, shortcut_study
    r = shortcut_study(tiny_model, tmp_path, seed=1, n=4, show=2)
    assert r["n"] == 4 and r["n_nobody"] == 2 and r["n_person"] == 2
    assert r["paired"], "the logo-free twins should reproduce the probes exactly"
    for k in ("moon_rate_logo", "moon_rate_nologo", "flipped_to_moon", "changed_by_logo", "correct_logo",
              "peak_pred_in_logo", "peak_moon_in_logo", "peak_moon_in_logo_nologo", "chance_in_logo",
              "mean_p_moon_logo", "mean_p_moon_nologo"):
        assert 0.0 <= r[k] <= 1.0, k
    for k in ("grid", "results", "json", "probes"):
        assert (tmp_path / r["files"][k].rsplit("/", 1)[-1]).is_file()
    assert len(list((tmp_path / "shortcut_nologo").glob("*.png"))) == 4
    assert "(a) predicted moon" in format_report(r)


def test_shortcut_twin_is_the_probe_without_the_logo(tmp_path):
    import csv

    from videocam.model.data import read_rgb
    from videocam.studies.shortcut import _twin_exact
    from videocam.synth.scenes import make_shortcut_set
    rows = list(csv.DictReader(open(make_shortcut_set(tmp_path, seed=2, n=2))))
    for i, r in enumerate(rows):
        img = read_rgb(tmp_path / r["path"])
        box = tuple(int(r[f"logo_{c}"]) for c in ("x0", "y0", "x1", "y1"))
        twin = _twin_exact(2, r["label"], i, img, box)
        assert twin is not None and twin.shape == img.shape
        x0, y0, x1, y1 = box
        outside = np.ones(img.shape[:2], bool)
        outside[y0:y1, x0:x1] = False
        diff = np.abs(img.astype(int) - twin)
        assert diff[outside].mean() < 3.0 < diff[~outside].mean()  # same picture, logo gone


def test_shortcut_cli_and_errors(tiny_model_path, tmp_path, capsys):
    code = main(["shortcut", "--model", str(tiny_model_path), "--out", str(tmp_path / "s"), "--n", "2",
                 "--show", "2"])
    text = capsys.readouterr().out
    assert code == 0 and "(b) CAM peak inside the logo box" in text and (tmp_path / "s" / "shortcut_grid.png").is_file()
    _one_line_error(capsys, main(["shortcut", "--model", str(tiny_model_path), "--out", str(tmp_path / "t"),
                                  "--n", "1"]), "--n must be at least 2", 2)
    _one_line_error(capsys, main(["shortcut", "--model", str(tmp_path / "none.keras"), "--out",
                                  str(tmp_path / "u")]), "model file not found", 1)
