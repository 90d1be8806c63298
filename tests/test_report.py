"""Tests of `videocam report`: screen time from hand-made per-frame CSVs."""
from __future__ import annotations

import csv
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from videocam.cli.main import main
from videocam.eval import report
from videocam.io.csvfile import CsvFormatError, CsvRow, CsvTable
from videocam.types import Box

CLASSES = ("ahn", "moon", "nobody")


def _box(label):
    return {"label": label, "score": 0.9, "x0": 1, "y0": 2, "x1": 30, "y1": 40}


def write_run(path, frames, classes=CLASSES, fps=10.0, times=None):
    """frames: list of (label, [box labels], {class: prob} or None)."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["frame", "time_s", "label", "score", *(f"p_{c}" for c in classes), "boxes"])
        for i, (label, boxes, probs) in enumerate(frames):
            t = times[i] if times is not None else i / fps
            probs = probs or {c: (0.8 if c == label else 0.1) for c in classes}
            w.writerow([i, f"{t:.4f}", label, f"{probs.get(label, 0.5):.4f}",
                        *(f"{probs[c]:.4f}" for c in classes), json.dumps([_box(b) for b in boxes])])
    return path


def write_truth(path, frames, fps=10.0):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["frame", "time_s", "label", "boxes"])
        for i, (label, boxes) in enumerate(frames):
            w.writerow([i, f"{i / fps:.4f}", label, json.dumps([_box(b) for b in boxes])])
    return path


# 10 frames at 10 fps: every frame lasts 0.1 s, the video 1.0 s.
DEBATE = [
    ("ahn", [], None),               # 0  label only, no box: still on screen
    ("ahn", ["ahn"], None),          # 1
    ("ahn", ["ahn"], None),          # 2
    ("nobody", [], None),            # 3
    ("moon", ["moon"], None),        # 4
    ("moon", ["moon", "ahn"], None),  # 5  two people
    ("moon", ["moon", "ahn"], None),  # 6  two people
    ("nobody", [], None),            # 7
    ("nobody", [], None),            # 8
    ("ahn", ["ahn"], None),          # 9
]


@pytest.fixture
def debate_csv(tmp_path):
    return write_run(tmp_path / "debate.cam.csv", DEBATE)


def _analyse(path, **kw):
    """The segmentation by hand: every segment an appearance (no floor) unless `floor=True`."""
    from videocam.io.csvfile import read_csv
    return report.analyse(read_csv(path), **{"floor": False, **kw})


def _by_name(rep):
    return {s.name: s for s in rep.rows()}


# ------------------------------------------------------------------ maths

def test_frame_durations():
    assert report.frame_durations([]).tolist() == []
    assert report.frame_durations([5.0]).tolist() == [0.0]
    d = report.frame_durations([0.0, 0.1, 0.3, 0.4])
    assert d == pytest.approx([0.1, 0.2, 0.1, 0.1])  # last = median(0.1, 0.2, 0.1)


def test_runs_bridge_gaps():
    m = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1]
    assert report.runs(m, 0) == [(0, 2), (3, 4), (6, 7), (10, 11)]
    assert report.runs(m, 1) == [(0, 4), (6, 7), (10, 11)]
    assert report.runs(m, 2) == [(0, 7), (10, 11)]
    assert report.runs(m, 3) == [(0, 11)]
    assert report.runs([0, 0], 2) == []


def test_screen_times_by_hand(debate_csv):
    rep = _analyse(debate_csv, max_gap=0)
    s = _by_name(rep)
    assert rep.n_frames == 10 and rep.duration_s == pytest.approx(1.0)
    assert rep.people == ["ahn", "moon"]  # model classes minus nobody, in order
    # ahn: label in 0,1,2,9 and a box in 5,6 -> 6 frames on screen, 4 by label
    assert s["ahn"].screen_s == pytest.approx(0.6) and s["ahn"].label_s == pytest.approx(0.4)
    assert s["ahn"].screen_pct == pytest.approx(60.0)
    assert s["ahn"].appearances == 3 and s["ahn"].longest_s == pytest.approx(0.3)
    assert s["moon"].screen_s == pytest.approx(0.3) and s["moon"].label_s == pytest.approx(0.3)
    assert s["moon"].appearances == 1 and s["moon"].longest_s == pytest.approx(0.3)
    assert s["nobody"].screen_s == pytest.approx(0.3) and s["nobody"].label_s == pytest.approx(0.3)
    assert s["nobody"].appearances == 2
    assert s[report.MULTI].screen_s == pytest.approx(0.2) and s[report.MULTI].appearances == 1
    assert [(a, b) for a, b, _ in rep.pairs] == [("ahn", "moon")]
    assert rep.pairs[0][2] == pytest.approx(0.2)


def test_gap_tolerance_merges_appearances(debate_csv):
    s = _by_name(_analyse(debate_csv, max_gap=2))
    # ahn's 2-frame gaps (3-4, 7-8) are bridged: one appearance spanning the whole second
    assert s["ahn"].appearances == 1 and s["ahn"].longest_s == pytest.approx(1.0)
    assert s["ahn"].screen_s == pytest.approx(0.6)  # screen time does not change
    assert s["nobody"].appearances == 2  # 3 and 7-8 are 3 frames apart
    s1 = _by_name(_analyse(debate_csv, max_gap=1))
    assert s1["ahn"].appearances == 3


def test_mean_probability_over_on_screen_frames(tmp_path):
    frames = [
        ("ahn", ["ahn"], {"ahn": 0.9, "moon": 0.05, "nobody": 0.05}),
        ("ahn", ["ahn", "moon"], {"ahn": 0.5, "moon": 0.4, "nobody": 0.1}),
        ("nobody", [], {"ahn": 0.1, "moon": 0.1, "nobody": 0.8}),
        ("moon", ["moon"], {"ahn": 0.2, "moon": 0.7, "nobody": 0.1}),
    ]
    s = _by_name(_analyse(write_run(tmp_path / "p.csv", frames)))
    assert s["ahn"].mean_prob == pytest.approx((0.9 + 0.5) / 2)
    assert s["moon"].mean_prob == pytest.approx((0.4 + 0.7) / 2)
    assert s["nobody"].mean_prob == pytest.approx(0.8)
    assert s[report.MULTI].mean_prob is None


def test_irregular_frame_times(tmp_path):
    frames = [("ahn", ["ahn"], None), ("moon", [], None), ("moon", [], None), ("ahn", [], None)]
    rep = _analyse(write_run(tmp_path / "t.csv", frames, times=[2.0, 2.1, 2.3, 2.4]))
    s = _by_name(rep)
    assert rep.start_s == pytest.approx(2.0) and rep.duration_s == pytest.approx(0.5)
    assert s["ahn"].screen_s == pytest.approx(0.2)   # 0.1 + last frame (median 0.1)
    assert s["moon"].screen_s == pytest.approx(0.3)  # 0.2 + 0.1
    assert s["moon"].longest_s == pytest.approx(0.3)


def test_names_outside_the_model_classes_get_rows(tmp_path):
    frames = [("ahn", ["ahn", "zed"], None), ("nobody", [], None)]
    rep = _analyse(write_run(tmp_path / "x.csv", frames))
    assert rep.people == ["ahn", "moon", "zed"]
    assert _by_name(rep)["zed"].screen_s == pytest.approx(0.1)


def _row(i, t, label, boxes):
    return CsvRow(frame=i, time_s=t, label=label, score=None, probs=None,
                  boxes=[Box(b, 1.0, 0, 0, 2, 2) for b in boxes])


names = st.sampled_from(["ahn", "moon", "sim", "nobody"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(names, st.lists(st.sampled_from(["ahn", "moon", "sim"]), max_size=3),
                          st.floats(0.0, 0.5)), min_size=1, max_size=40),
       st.integers(0, 3))
def test_times_add_up(frames, gap):
    t, rows = 0.0, []
    for i, (label, boxes, dt) in enumerate(frames):
        rows.append(_row(i, t, label, boxes))
        t += dt
    table = CsvTable(classes=["ahn", "moon", "sim", "nobody"], rows=rows)
    rep = report.analyse(table, max_gap=gap, floor=False)
    floored = {s.name: s for s in report.analyse(table, max_gap=gap).rows()}
    tol = 1e-9 + max(rep.timeline.dur.max(), 0.0)  # "within one frame"; here exact up to rounding
    assert rep.label_total_s == pytest.approx(rep.duration_s, abs=1e-9)
    assert abs(rep.label_total_s - rep.duration_s) <= tol
    someone = rep.duration_s - rep.nobody.screen_s
    assert someone >= -1e-9
    for s in rep.classes:
        assert s.label_s <= s.screen_s + 1e-9 <= someone + 2e-9
        assert s.longest_s <= rep.duration_s + 1e-9
        assert (s.appearances == 0) == (s.screen_s == 0 and not rep.timeline.present[s.name].any())
        f = floored[s.name]  # the floor moves segments out of the appearances, never screen time
        assert f.appearances + f.brief == s.appearances and f.screen_s == s.screen_s
        assert f.longest_s <= s.longest_s + 1e-12
    for a, b, v in rep.pairs:
        assert v <= min(_by_name(rep)[a].screen_s, _by_name(rep)[b].screen_s) + 1e-9
        assert v <= rep.multi.screen_s + 1e-9


# ----------------------------------------------------------------- truth

def test_truth_agreement_and_truth_time(tmp_path, debate_csv):
    truth = [(lab, boxes) for lab, boxes, _ in DEBATE]
    truth[0] = ("moon", ["moon"])      # disagree
    truth[3] = ("ahn", ["ahn"])        # disagree
    truth[5] = ("moon", ["moon"])      # same label, truth has only one person here
    tpath = write_truth(tmp_path / "debate.truth.csv", truth)
    from videocam.io.csvfile import read_csv
    rep = report.analyse(read_csv(debate_csv), truth=read_csv(tpath))
    assert rep.agreement == pytest.approx(0.8) and rep.agreement_frames == 10
    s = _by_name(rep)
    # truth ahn: frames 1,2,3,6,9 -> 0.5 s; moon: 0,4,5,6 -> 0.4 s; nobody: 7,8
    assert s["ahn"].truth_s == pytest.approx(0.5)
    assert s["moon"].truth_s == pytest.approx(0.4)
    assert s["nobody"].truth_s == pytest.approx(0.2)
    assert s[report.MULTI].truth_s == pytest.approx(0.1)


def test_agreement_matches_by_time_not_index(tmp_path):
    # a run that started at 0.5 s and numbers its frames from 0
    run = write_run(tmp_path / "r.csv", [("ahn", [], None), ("moon", [], None)], times=[0.5, 0.6])
    truth = write_truth(tmp_path / "t.csv", [("x", [])] * 5 + [("ahn", []), ("ahn", [])])
    from videocam.io.csvfile import read_csv
    rep = report.analyse(read_csv(run), truth=read_csv(truth))
    assert rep.agreement_frames == 2 and rep.agreement == pytest.approx(0.5)


# ---------------------------------------------------------------- outputs

def test_writes_summary_and_png(tmp_path, debate_csv):
    out = tmp_path / "out"
    truth = write_truth(tmp_path / "debate.truth.csv", [(lab, b) for lab, b, _ in DEBATE])
    files = report.make_report(debate_csv, out_dir=out, truth_path=truth, max_gap=0)
    assert files.summary_csv == out / "debate.cam.summary.csv"
    assert files.timeline_png == out / "debate.cam.timeline.png"
    assert files.timeline_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(files.summary_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0].keys()) == report.SUMMARY_COLUMNS
    by = {r["class"]: r for r in rows}
    assert [r["class"] for r in rows] == ["ahn", "moon", "nobody", "2+ people", "ahn+moon"]
    assert float(by["ahn"]["screen_s"]) == pytest.approx(0.6)
    assert float(by["ahn"]["label_s"]) == pytest.approx(0.4)
    assert int(by["ahn"]["appearances"]) == 2  # 0.3 s at p 0.8 and 0.2 s boxed at 0.9; 0.1 s is under the floor
    assert float(by["ahn+moon"]["screen_s"]) == pytest.approx(0.2)
    assert by["2+ people"]["label_s"] == ""
    total = sum(float(by[c]["label_s"]) for c in ("ahn", "moon", "nobody"))
    assert total == pytest.approx(1.0)


def test_default_out_is_the_csv_folder(debate_csv):
    files = report.make_report(debate_csv)
    assert files.summary_csv.parent == debate_csv.parent
    assert files.timeline_png.exists()


def test_stem():
    assert report.stem_of("a/b/debate.cam.csv") == "debate.cam"
    assert report.stem_of("run.CSV") == "run"


# -------------------------------------------------------------------- CLI

def test_cli_report(tmp_path, debate_csv, capsys):
    truth = write_truth(tmp_path / "debate.truth.csv", [(lab, b) for lab, b, _ in DEBATE])
    assert main(["report", str(debate_csv), "--out", str(tmp_path / "o"), "--truth", str(truth)]) == 0
    out = capsys.readouterr().out
    assert "ahn" in out and "moon" in out and "2+ people" in out
    assert "agreement with truth: 100.0%" in out
    assert "ahn + moon 0.20 s" in out
    assert (tmp_path / "o" / "debate.cam.timeline.png").exists()
    assert (tmp_path / "o" / "debate.cam.summary.csv").exists()


def _bad(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


BAD = {
    "empty": ("", "empty"),
    "header only": ("frame,time_s,label,score,p_a,boxes\n", "no frames"),
    "not a videocam csv": ("name,age\nbob,3\n", "missing column"),
    "garbage number": ("frame,time_s,label,boxes\n0,zero,a,[]\n", "time_s"),
    "bad json": ("frame,time_s,label,boxes\n0,0.0,a,[{\n", "JSON"),
    "time backwards": ("frame,time_s,label,boxes\n0,1.0,a,[]\n1,0.5,a,[]\n", "backwards"),
    "nan time": ("frame,time_s,label,boxes\n0,nan,a,[]\n", "finite"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_csv_is_one_line_error(tmp_path, capsys, case):
    text, needle = BAD[case]
    p = _bad(tmp_path, "bad.csv", text)
    with pytest.raises(CsvFormatError, match=needle):
        report.make_report(p)
    assert main(["report", str(p)]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and needle in err


def test_missing_files_are_one_line_errors(tmp_path, debate_csv, capsys):
    assert main(["report", str(tmp_path / "nope.csv")]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "nope.csv" in err
    assert main(["report", str(debate_csv), "--truth", str(tmp_path / "t.csv")]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "t.csv" in err
    assert not (tmp_path / "debate.cam.summary.csv").exists()  # nothing written on error


def test_bad_gap_is_usage_error(debate_csv, capsys):
    with pytest.raises(SystemExit) as e:
        main(["report", str(debate_csv), "--gap", "-1"])
    assert e.value.code == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_timeline_colours_are_the_video_colours(tmp_path):
    """One palette fixed by class (issue 20, item 4): a person's bars in the timeline have the colour of
    their boxes in the MP4 and GIF (`io.render.class_color`, by the model's class index); nobody is grey."""
    import numpy as np
    from PIL import Image

    from videocam.io.render import class_color
    classes = ("ahn", "hong", "moon", "nobody", "sim", "you")
    frames = [("sim", ["sim"], None)] * 20 + [("nobody", [], None)] * 10 + [("ahn", ["ahn"], None)] * 20
    csv_path = write_run(tmp_path / "c.cam.csv", frames, classes=classes)
    files = report.make_report(csv_path)
    img = np.asarray(Image.open(files.timeline_png).convert("RGB")).reshape(-1, 3)
    for k, name in ((4, "sim"), (0, "ahn"), (None, "nobody")):
        want = np.array(class_color(k, name))
        hits = np.all(np.abs(img.astype(int) - want) <= 1, axis=1).sum()
        assert hits > 500, (name, want, hits)


# ------------------------------------------------------------- appearance floor

def _floor_table():
    """ahn at 10 fps: a 0.1 s flicker at p 0.9; 0.6 s labelled at p 0.02 (a held label) without a box;
    0.6 s boxed beside moon at whole-frame p 0.02 but box score 0.9 (a second look named the box);
    1.2 s boxed beside moon at p 0.02, box 0.02 (a two-shot's second person); nobody in between."""
    rows = []

    def add(n, label, p, box_score=None):
        for _ in range(n):
            boxes = [] if box_score is None else [Box("moon", 0.9, 5, 0, 9, 4), Box("ahn", box_score, 0, 0, 4, 4)]
            probs = {"ahn": p, "moon": 0.9 if label == "moon" else 0.0, "nobody": 0.98 if label == "nobody" else 0.0}
            rows.append(CsvRow(frame=len(rows), time_s=round(0.1 * len(rows), 4), label=label, score=None,
                               probs=probs, boxes=boxes))
    for n, label, p, b in ((1, "ahn", 0.9, None), (5, "nobody", 0.0, None), (6, "ahn", 0.02, None),
                           (5, "nobody", 0.0, None), (6, "moon", 0.02, 0.9), (5, "nobody", 0.0, None),
                           (12, "moon", 0.02, 0.02), (5, "nobody", 0.0, None)):
        add(n, label, p, b)
    return CsvTable(classes=["ahn", "moon", "nobody"], rows=rows)


def test_appearance_floor_keeps_screen_time_and_drops_flickers():
    rep = report.analyse(_floor_table())
    ahn = _by_name(rep)["ahn"]
    assert ahn.screen_s == pytest.approx(2.5)  # every on-screen frame counts
    assert (ahn.appearances, ahn.brief) == (2, 2)
    assert ahn.longest_s == pytest.approx(1.2)
    listed = [(round(x.t1 - x.t0, 2), x.listed) for x in rep.segments["ahn"]]
    assert listed == [(0.1, False), (0.6, False), (0.6, True), (1.2, True)]
    assert rep.segments["ahn"][2].mean_p == pytest.approx(0.9)  # the box's score, not the frame's 0.02
    unfloored = _by_name(report.analyse(_floor_table(), floor=False))["ahn"]
    assert (unfloored.appearances, unfloored.brief, unfloored.screen_s) == (4, 0, ahn.screen_s)


def test_listed_thresholds():
    assert not report.listed(report.APPEARANCE_MIN_S - 0.01, 0.99)
    assert report.listed(report.APPEARANCE_MIN_S, None)  # no probability known: length alone
    assert not report.listed(report.APPEARANCE_SURE_S - 0.01, report.APPEARANCE_MIN_P - 0.001)
    assert report.listed(report.APPEARANCE_SURE_S - 0.01, report.APPEARANCE_MIN_P)
    assert report.listed(report.APPEARANCE_SURE_S, 0.0)  # long enough: listed whatever its probability


def test_cli_table_counts_what_the_summary_counts(tmp_path):
    rep = report.analyse(_floor_table(), stem="floor")
    text = report.format_table(rep)
    row = next(ln for ln in text.splitlines() if ln.startswith("ahn "))
    assert row.split()[4] == "2"  # appear.
    assert "appearances: 2 stretches under 0.2 s" in text and "count as screen time" in text
    write_summary = report.write_summary_csv(rep, tmp_path / "s.csv")
    with open(write_summary, newline="") as f:
        assert {r["class"]: r["appearances"] for r in csv.DictReader(f)}["ahn"] == "2"
