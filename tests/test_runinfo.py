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
