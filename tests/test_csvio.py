"""The per-frame CSV: writer -> reader round trip, format, and clear errors."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from videocam.io.csvfile import CsvFormatError, CsvWriter, header, read_csv
from videocam.types import NOBODY, Box, Frame, FrameResult

RGB = np.zeros((2, 2, 3), np.uint8)


def result(i, t, classes, probs, label, score, boxes=()):
    return FrameResult(
        frame=Frame(i, t, RGB),
        classes=tuple(classes),
        probs=np.asarray(probs, dtype=np.float32),
        cams=np.zeros((len(classes), 1, 1), np.float32),
        label=label,
        score=score,
        boxes=list(boxes),
    )


def test_format_is_the_contract(tmp_path):
    classes = ["moon", "sun, big"]
    p = tmp_path / "run.csv"
    with CsvWriter(p, classes) as w:
        w.write(result(0, 0.0, classes, [0.25, 0.75], "sun, big", 0.75,
                       [Box("sun, big", 0.93, 12, 30, 80, 120)]))
        w.write(result(1, 1 / 30, classes, [0.9, 0.1], NOBODY, 0.9))
    lines = p.read_text(encoding="utf-8").splitlines()
    assert lines[0] == 'frame,time_s,label,score,p_moon,"p_sun, big",boxes'
    assert lines[2] == "1,0.0333,nobody,0.9000,0.9000,0.1000,[]"
    cells = next(csv.reader([lines[1]]))
    assert cells[:6] == ["0", "0.0000", "sun, big", "0.7500", "0.2500", "0.7500"]
    assert json.loads(cells[6]) == [
        {"label": "sun, big", "score": 0.93, "x0": 12, "y0": 30, "x1": 80, "y1": 120}]
    assert " " not in cells[6].replace("sun, big", "")  # compact JSON


def test_rows_are_flushed_and_renamed_on_close(tmp_path):
    p = tmp_path / "live.csv"
    w = CsvWriter(p, ["a"])
    w.write(result(0, 0.0, ["a"], [1.0], "a", 1.0))
    # Readable while running (tail -f the temporary file), final name absent.
    assert not p.exists()
    assert w.tmp_path.read_text().count("\n") == 2
    w.close()
    assert p.exists() and not w.tmp_path.exists()
    assert len(read_csv(p).rows) == 1


def test_abort_leaves_nothing(tmp_path):
    with pytest.raises(KeyError):
        with CsvWriter(tmp_path / "x.csv", ["a"]) as w:
            w.write(result(0, 0.0, ["a"], [1.0], "a", 1.0))
            raise KeyError("boom")
    assert list(tmp_path.iterdir()) == []


def test_probs_follow_writer_class_order(tmp_path):
    p = tmp_path / "o.csv"
    with CsvWriter(p, ["b", "a"]) as w:
        w.write(result(0, 0.0, ["a", "b"], [0.2, 0.8], "b", 0.8))
        with pytest.raises(ValueError, match="no probability"):
            w.write(result(1, 0.1, ["a", "c"], [0.2, 0.8], "c", 0.8))
    assert read_csv(p).rows[0].probs == {"b": 0.8, "a": 0.2}


def test_reads_ground_truth_flavour(tmp_path):
    p = tmp_path / "truth.csv"
    p.write_text('frame,time_s,label,boxes\n'
                 '0,0.0000,moon,"[{""label"":""moon"",""score"":1.0,""x0"":1,""y0"":2,""x1"":3,""y1"":4}]"\n'
                 '1,0.0400,nobody,[]\n', encoding="utf-8")
    t = read_csv(p)
    assert t.classes == []
    assert [r.label for r in t.rows] == ["moon", NOBODY]
    assert t.rows[0].score is None and t.rows[0].probs is None
    assert t.rows[0].boxes == [Box("moon", 1.0, 1, 2, 3, 4)]
    assert t.rows[1].boxes == []


@pytest.mark.parametrize("text,match", [
    ("", "empty"),
    ("frame,time_s,label\n0,0,a\n", "missing column.*boxes"),
    ("frame,time_s,label,boxes\n0,0.0,a,[]\n1,zero,a,[]\n", "row 2: bad number in column time_s"),
    ("frame,time_s,label,boxes\n0.5,0.0,a,[]\n", "row 1: bad number in column frame"),
    ("frame,time_s,label,score,p_a,boxes\n0,0.0,a,0.5,x,[]\n", "row 1: bad number in column p_a"),
    ("frame,time_s,label,boxes\n0,0.0,a,[]\n1,0.1,a,[{oops\n", "row 2: bad JSON"),
    ("frame,time_s,label,boxes\n0,0.0,a,{}\n", "row 1: boxes must be a JSON list"),
    ('frame,time_s,label,boxes\n0,0.0,a,"[{""x0"":1}]"\n', "row 1: missing key"),
    ("frame,time_s,label,boxes\n0,0.0,a\n", "row 1: 3 cells"),
])
def test_errors_name_the_problem(tmp_path, text, match):
    p = tmp_path / "bad.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(CsvFormatError, match=match) as e:
        read_csv(p)
    assert "\n" not in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(CsvFormatError, match="no such file"):
        read_csv(tmp_path / "nope.csv")


def test_header_helper():
    assert header(["x"]) == ["frame", "time_s", "label", "score", "p_x", "boxes"]


# Names that stress CSV quoting and JSON escaping.
names = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")),
                min_size=1, max_size=8).map(str.strip).filter(bool)
unit = st.floats(0, 1, allow_nan=False)
coords = st.integers(-50, 5000)


@st.composite
def runs(draw):
    classes = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    n = draw(st.integers(0, 5))
    rows = []
    t = draw(st.floats(0, 1e4, allow_nan=False))
    for i in range(n):
        t += draw(st.floats(0.001, 2.0))
        probs = draw(st.lists(unit, min_size=len(classes), max_size=len(classes)))
        label = draw(st.sampled_from([*classes, NOBODY]))
        boxes = draw(st.lists(st.builds(Box, st.sampled_from(classes), unit, coords, coords,
                                        coords, coords), max_size=3))
        rows.append((i, t, probs, label, draw(unit), boxes))
    return classes, rows


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(run=runs())
def test_round_trip(tmp_path, run):
    classes, rows = run
    p = tmp_path / "rt.csv"
    with CsvWriter(p, classes) as w:
        for i, t, probs, label, score, boxes in rows:
            w.write(result(i, t, classes, probs, label, score, boxes))
    table = read_csv(p)
    assert table.classes == classes
    assert len(table.rows) == len(rows)
    for got, (i, t, probs, label, score, boxes) in zip(table.rows, rows):
        assert got.frame == i
        assert got.time_s == pytest.approx(t, abs=5e-5)
        assert got.label == label
        assert got.score == pytest.approx(score, abs=5e-5)
        assert list(got.probs) == classes
        assert list(got.probs.values()) == pytest.approx(
            np.asarray(probs, np.float32).tolist(), abs=5e-5)
        assert [(b.label, b.x0, b.y0, b.x1, b.y1) for b in got.boxes] == \
            [(b.label, b.x0, b.y0, b.x1, b.y1) for b in boxes]
        assert [b.score for b in got.boxes] == pytest.approx([b.score for b in boxes], abs=5e-5)
