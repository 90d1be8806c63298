"""Re-runs into one folder (issue 20, items 2 and 3): an interrupted run never replaces complete
outputs, the files of one run can be told from older ones, and `report` knows whether the run
looked for one person per frame or for several."""
from __future__ import annotations

import json
import os
import signal

import pytest

from videocam.eval.report import format_table, make_report, write_summary_csv
from videocam.io.csvfile import read_csv
from videocam.io.runinfo import info_path, partial_path, read_run_info
from videocam.pipeline.process import process_video


def _interrupt_after(k: int):
    """An `on_result` that sends this process SIGINT once `k` frames are drawn (what Ctrl-C does)."""
    seen = []

    def on_result(_r, _img):
        seen.append(1)
        if len(seen) == k:
            os.kill(os.getpid(), signal.SIGINT)
    return on_result


def test_partial_names_say_so(tmp_path):
    assert partial_path(tmp_path / "debate.cam.csv") == tmp_path / "debate.cam.partial.csv"
    assert info_path(tmp_path / "debate.cam.csv") == tmp_path / "debate.cam.json"
    assert info_path(tmp_path / "debate.cam.partial.csv") == tmp_path / "debate.cam.partial.json"


def test_interrupted_rerun_keeps_complete_outputs_and_names_its_own_partial(tiny_model, debate_clip, tmp_path):
    mp4, _truth, n = debate_clip
    out = tmp_path / "out"
    first = process_video(mp4, model=tiny_model, out_dir=out, gif=True, batch=4)
    assert first.exit_code == 0 and first.run_info == out / "clip.cam.json"
    complete = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(complete) == {"clip.cam.mp4", "clip.cam.csv", "clip.cam.gif", "clip.cam.json"}

    # a second run, interrupted (Ctrl-C) part way: the complete files stay as they were
    second = process_video(mp4, model=tiny_model, out_dir=out, batch=4, on_result=_interrupt_after(10))
    assert second.interrupted == "SIGINT" and second.exit_code == 130
    for name, data in complete.items():
        assert (out / name).read_bytes() == data, f"{name} was replaced by an interrupted run"
    assert {k: p.name for k, p in second.outputs.items()} == {"mp4": "clip.cam.partial.mp4",
                                                              "csv": "clip.cam.partial.csv"}
    rows = read_csv(out / "clip.cam.partial.csv").rows
    assert 10 <= len(rows) < n and [r.frame for r in rows] == list(range(len(rows)))
    info = json.loads((out / "clip.cam.partial.json").read_text())
    assert info["run"]["complete"] is False and info["run"]["interrupted"] == "SIGINT"
    assert set(info["outputs"]) == {"mp4", "csv"} and info["run"]["frames"] == len(rows)
    assert "clip.cam.csv" in second.describe()  # says the earlier complete files are untouched
    assert not list(out.glob(".*"))  # no hidden part files left

    # a third, complete run without --gif: its own files replace the old ones, the old partial goes,
    # and the GIF left from the first run is named as such
    third = process_video(mp4, model=tiny_model, out_dir=out, batch=4)
    assert third.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["clip.cam.csv", "clip.cam.gif", "clip.cam.json",
                                                     "clip.cam.mp4"]
    info = json.loads((out / "clip.cam.json").read_text())
    assert info["run"]["complete"] is True and set(info["outputs"]) == {"mp4", "csv"}
    assert info["outputs"]["csv"] == {"file": "clip.cam.csv", "bytes": (out / "clip.cam.csv").stat().st_size}
    assert (out / "clip.cam.gif").read_bytes() == complete["clip.cam.gif"]
    notes = " ".join(third.notes)
    assert "clip.cam.gif" in notes and "earlier run" in notes


def test_run_info_records_the_settings(tiny_model, debate_clip, tmp_path):
    mp4, _truth, _n = debate_clip
    s = process_video(mp4, model=tiny_model, out_dir=tmp_path, mp4=False, multi=True, threshold=0.3)
    info = read_run_info(s.outputs["csv"])
    assert info["settings"]["multi"] is True and info["settings"]["threshold"] == 0.3
    assert info["model"]["classes"] == tiny_model.classes
    assert os.path.samefile(info["input"], mp4)
    # a CSV that is not the one the run info describes (edited, or from another run) is not vouched for
    with open(s.outputs["csv"], "a") as f:
        f.write("\n")
    assert read_run_info(s.outputs["csv"]) is None


def test_run_info_writes_every_setting_with_its_default(tiny_model, debate_clip, tmp_path):
    """No null for a setting with a default: a reader of the run info needs no knowledge of defaults."""
    from videocam.stages.chain import DEFAULT_SMOOTH
    from videocam.stages.steady import STEADY_K
    mp4, _truth, _n = debate_clip
    s = process_video(mp4, model=tiny_model, out_dir=tmp_path, mp4=False)
    st = read_run_info(s.outputs["csv"])["settings"]
    want = {"multi", "refine", "lead", "fill", "threshold", "boxes", "norm", "nobody", "smooth", "steady", "torso",
            "panel", "scale", "aspect", "start", "end", "sampling", "every", "batch", "precision", "model"}
    assert want <= set(st) and all(v is not None for v in st.values()), st
    assert st["nobody"] == "model's nobody class"  # the tiny model has a nobody class
    assert (st["smooth"], st["steady"], st["torso"], st["panel"]) == (DEFAULT_SMOOTH, STEADY_K, True, True)
    assert (st["start"], st["end"], st["every"], st["sampling"]) == (0.0, "end of the video", 1, "every frame")
    assert st["multi"] is False and st["refine"] is False and st["threshold"] == 0.2
    assert st["model"] == str(tiny_model.path or "(in memory)")


def test_run_info_resolves_given_and_sampled_settings(tiny_model, debate_clip, tmp_path):
    mp4, _truth, _n = debate_clip
    s = process_video(mp4, model=tiny_model, out_dir=tmp_path, mp4=False, nobody=0.6, every=2, smooth=6,
                      steady=10, torso=False, panel=False, start=0.2, end=1.5)
    st = read_run_info(s.outputs["csv"])["settings"]
    assert st["nobody"] == 0.6 and st["every"] == 2 and st["sampling"] == "every 2nd frame"
    assert (st["smooth"], st["steady"]) == (3, 5)  # K in analysed frames: the same time span
    assert (st["torso"], st["panel"], st["start"], st["end"]) == (False, False, 0.2, 1.5)


def test_run_settings_floor_without_a_nobody_class():
    from videocam.io.runinfo import run_settings
    from videocam.stages.decide import DEFAULT_NOBODY_BELOW
    base = {"model_path": None, "multi": True, "refine": True, "lead": False, "fill": True, "threshold": 0.2,
            "boxes": "union", "norm": "max", "nobody": None, "smooth": None, "steady": None, "torso": True,
            "panel": True, "scale": "fixed", "aspect": "square", "start": None, "end": None, "every": None,
            "fps": 2.5, "batch": 16, "precision": "float32"}
    st = run_settings(classes=["a", "b"], **base)
    assert st["nobody"] == DEFAULT_NOBODY_BELOW and st["fps"] == 2.5 and "every" not in st
    assert st["sampling"] == "2.5 frames a second" and st["lead"] is False and st["fill"] is True


@pytest.mark.parametrize("multi", [False, True])
def test_report_says_unknown_when_the_run_looked_for_one_person(tiny_model, debate_clip, tmp_path, multi):
    """Without --multi a two-shot can only show one person: 'together' is unknown, not 'none'."""
    mp4, truth, _n = debate_clip
    s = process_video(mp4, model=tiny_model, out_dir=tmp_path, mp4=False, multi=multi)
    files = make_report(s.outputs["csv"], truth_path=truth)
    text = format_table(files.report)
    together = [ln for ln in text.splitlines() if ln.startswith("together:")]
    assert len(together) == 1
    if multi:
        assert not files.report.one_person and "unknown" not in together[0]
    else:
        assert files.report.one_person
        assert "unknown" in together[0] and "--multi" in together[0]
        assert "no two people" not in text
        row = next(ln for ln in text.splitlines() if ln.startswith("2+ people"))
        assert "unknown" in row
        summary = (tmp_path / "clip.cam.summary.csv").read_text().splitlines()
        multi_row = next(ln for ln in summary if ln.startswith("2+ people"))
        assert multi_row.split(",")[1] == ""  # screen_s: not known, not 0


def test_report_without_run_info_reads_as_before(tmp_path, tiny_model, debate_clip):
    mp4, _truth, _n = debate_clip
    s = process_video(mp4, model=tiny_model, out_dir=tmp_path, mp4=False)
    info_path(s.outputs["csv"]).unlink()
    rep = make_report(s.outputs["csv"]).report
    assert not rep.one_person
    write_summary_csv(rep, tmp_path / "x.csv")
    assert "unknown" not in format_table(rep)
