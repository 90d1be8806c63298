"""Many videos in one run (local engine), and cutting a video into chunks and joining them."""
from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from videos import frame_rgb, make_video

from videocam.errors import UsageError
from videocam.io.writers import Mp4Writer
from videocam.pipeline.chunks import join_outputs, plan_video, warmup_frames
from videocam.pipeline.many import INDEX_COLUMNS, expand_inputs, output_names, process_videos
from videocam.pipeline.process import process_video


def shots_video(path, n=120, size=(96, 64), keyint=10, shot=30, fps=25.0, start_s=0.0):
    """`n` frames in shots of `shot` frames (a cut between them: another colour and layout), a
    moving square within each shot, a keyframe every `keyint` frames; returns the frame times."""
    times = []
    with Mp4Writer(path, fps, *size, x264_params=f"keyint={keyint}:min-keyint={keyint}:scenecut=0") as w:
        for i in range(n):
            img = frame_rgb(i, *size)
            s = i // shot
            img = (img.astype(np.int16) * (1 + s % 3) // 3 + 40 * (s % 2)).clip(0, 255).astype(np.uint8)
            if s % 2:
                img = np.ascontiguousarray(img[::-1])
            t = start_s + i / fps
            w.write(img, t)
            times.append(t)
    return times


def read_rows(path):
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


def decoded_times(path):
    with av.open(str(path)) as c:
        return [f.time for f in c.decode(video=0)]


def same_rows(a, b, tol=1e-4):
    """Same header, frames, times, labels and boxes; probabilities within `tol`."""
    assert a[0] == b[0] and len(a) == len(b)
    for ra, rb in zip(a[1:], b[1:]):
        assert ra[:3] == rb[:3] and ra[-1] == rb[-1], (ra, rb)
        assert np.allclose(np.float64(ra[3:-1]), np.float64(rb[3:-1]), atol=tol)


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    d = tmp_path_factory.mktemp("shots")
    p = d / "shots.mp4"
    return p, shots_video(p)


# --------------------------------------------------------------------------- chunks

def test_warmup_reaches_back_over_the_smoothing_state():
    from videocam.stages.smooth import CUT_HISTORY, alpha_for
    assert warmup_frames(0) == warmup_frames(1) == 0  # no stage keeps state
    w = warmup_frames(5)
    assert w == 56
    assert (1 - alpha_for(5)) ** (w - CUT_HISTORY - 1) < 1e-7  # the average's start weighs < float32 eps
    assert warmup_frames(25) > w


def test_plan_cuts_at_keyframes_and_covers_every_frame_once(shots, tmp_path):
    path, times = shots
    plan = plan_video(path, "shots", tmp_path, chunk_frames=30, smooth=3)
    assert plan.frames == len(times) and len(plan.chunks) >= 3
    keys = {round(t, 6) for t in times[::10]}
    kept = []
    for c in plan.chunks:
        lo = c.keep_from if c.keep_from is not None else -1
        hi = c.end_s if c.end_s is not None else 1e9
        kept += [t for t in times if lo - 1e-6 <= t < hi - 1e-6]
        if c.index:
            assert round(c.keep_from, 6) in keys  # a chunk opens on a keyframe
            assert c.read_from is None or c.read_from < c.keep_from  # and warms up before it
    assert kept == times
    assert plan.chunks[-1].read_from is not None  # the last chunk's warm-up does not reach back to 0


def test_chunked_run_joins_to_the_single_run(tiny_model, shots, tmp_path):
    path, times = shots
    single = process_video(path, model=tiny_model, out_dir=tmp_path / "one", gif=True, smooth=3,
                           handle_signals=False)
    plan = plan_video(path, "shots", tmp_path / "many", chunk_frames=30, smooth=3)
    assert len(plan.chunks) >= 3
    parts = {"mp4": [], "csv": [], "gif": []}
    for c in plan.chunks:
        s = process_video(c.video, model=tiny_model, out_dir=c.out_dir, name=c.part_name, start=c.read_from,
                          end=c.end_s, warmup_until=c.keep_from, gif_fps=c.gif_fps, gif=True, smooth=3,
                          handle_signals=False)
        assert s.frames == c.frames
        for k, p in s.outputs.items():
            parts[k].append(p)
    final = {k: tmp_path / f"shots.cam.{k}" for k in parts}
    counts = join_outputs(parts, final)
    assert counts["csv"] == counts["mp4"] == len(times)
    same_rows(read_rows(final["csv"]), read_rows(single.outputs["csv"]))
    assert decoded_times(final["mp4"]) == pytest.approx(times, abs=1e-4)  # every frame once, in order
    from PIL import Image
    with Image.open(final["gif"]) as a, Image.open(single.outputs["gif"]) as b:
        assert abs(a.n_frames - b.n_frames) <= len(plan.chunks) - 1
    assert not list((tmp_path / "many").rglob("*.part.*"))


def test_join_keeps_times_that_do_not_start_at_zero(tiny_model, tmp_path):
    path = tmp_path / "late.mp4"
    times = shots_video(path, n=60, start_s=7.0)
    plan = plan_video(path, "late", tmp_path, chunk_frames=20, smooth=0)
    parts = {"mp4": [], "csv": []}
    for c in plan.chunks:
        s = process_video(c.video, model=tiny_model, out_dir=c.out_dir, name=c.part_name, start=c.read_from,
                          end=c.end_s, warmup_until=c.keep_from, smooth=0, handle_signals=False)
        for k, p in s.outputs.items():
            parts[k].append(p)
    assert len(parts["mp4"]) == 3
    join_outputs(parts, {"mp4": tmp_path / "late.cam.mp4", "csv": tmp_path / "late.cam.csv"})
    assert decoded_times(tmp_path / "late.cam.mp4") == pytest.approx(times, abs=1e-4)
    rows = read_rows(tmp_path / "late.cam.csv")
    assert [int(r[0]) for r in rows[1:]] == list(range(60))
    assert float(rows[1][1]) == pytest.approx(7.0)


# --------------------------------------------------------------------------- inputs and names

def test_inputs_folders_globs_and_twice_given(tmp_path):
    for name in ("b.mp4", "a.MKV", "notes.txt", ".hidden.mp4", "a.cam.mp4"):
        (tmp_path / name).write_bytes(b"x")
    errors = []
    got = expand_inputs([tmp_path, str(tmp_path / "*.mp4"), tmp_path / "b.mp4", tmp_path / "empty*",
                         tmp_path / "missing.mp4"], errors.append)
    assert [p.name for p in got] == ["a.MKV", "b.mp4", "a.cam.mp4", "missing.mp4"]
    assert len(errors) == 1 and "empty*" in errors[0] and "no file matches" in errors[0]


def test_clashing_stems_are_named_by_their_folders(tmp_path):
    from pathlib import Path
    vids = [Path("s1/ep.mp4"), Path("s2/ep.mp4"), Path("x/y.mp4"), Path("x/y.mkv"), Path("s1-ep.mp4"), Path("z.mp4")]
    names, notes = output_names(vids)
    assert names == ["s1-ep", "s2-ep", "y-mp4", "y-mkv", "s1-ep-2", "z"]
    assert len(notes) == 3 and "s1/ep.mp4 -> s1-ep.cam.*" in notes[0]
    assert output_names(vids)[0] == names  # the same again on a rerun


# --------------------------------------------------------------------------- the local run

@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    d = tmp_path_factory.mktemp("archive")
    (d / "s1").mkdir()
    (d / "s2").mkdir()
    make_video(d / "s1" / "ep.mp4", n=12)
    make_video(d / "s2" / "ep.mp4", n=8)
    (d / "s2" / "broken.mp4").write_bytes(b"not a video at all")
    make_video(d / "s2" / "z.mp4", n=6)
    return d


def test_local_run_goes_on_past_a_bad_file(tiny_model_path, archive, tmp_path):
    errors = []
    s = process_videos([archive / "s1", archive / "s2"], model=tiny_model_path, out_dir=tmp_path,
                       on_error=errors.append, warn=lambda m: None)
    assert [(r.name, r.outcome, r.frames) for r in s.rows] == [
        ("s1-ep", "ok", 12), ("broken", "failed", None), ("s2-ep", "ok", 8), ("z", "ok", 6)]
    assert len(errors) == 1 and "broken.mp4" in errors[0] and "not a video" in errors[0]
    assert s.exit_code == 1
    from videocam.io.runinfo import read_run_info
    for name, video in (("s1-ep", "s1/ep.mp4"), ("s2-ep", "s2/ep.mp4"), ("z", "s2/z.mp4")):
        assert (tmp_path / f"{name}.cam.mp4").is_file() and (tmp_path / f"{name}.cam.csv").is_file()
        info = read_run_info(tmp_path / f"{name}.cam.csv")  # each its own run info, not one shared `ep`
        assert info is not None and info["input"] == str((archive / video).resolve())
    assert not (tmp_path / "ep.cam.json").exists()
    with open(tmp_path / "index.csv", newline="") as fh:
        index = list(csv.DictReader(fh))
    assert tuple(index[0]) == INDEX_COLUMNS
    assert [(r["name"], r["outcome"], r["frames"]) for r in index] == [
        ("s1-ep", "ok", "12"), ("broken", "failed", ""), ("s2-ep", "ok", "8"), ("z", "ok", "6")]
    table = s.describe()
    assert "failed" in table and "(as s1-ep)" in table and "4 video(s): 3 ok, 1 failed" in table


def test_skip_done_resumes(tiny_model_path, archive, tmp_path):
    kw = dict(model=tiny_model_path, out_dir=tmp_path, on_error=lambda m: None, warn=lambda m: None)
    process_videos([archive / "s2" / "z.mp4", archive / "s1" / "ep.mp4"], **kw)
    (tmp_path / "ep.cam.mp4").unlink()  # as if stopped before this one finished
    before = (tmp_path / "z.cam.csv").stat().st_mtime_ns
    s = process_videos([archive / "s2" / "z.mp4", archive / "s1" / "ep.mp4"], skip_done=True, **kw)
    assert [(r.name, r.outcome, r.frames) for r in s.rows] == [("z", "skipped", 6), ("ep", "ok", 12)]
    assert (tmp_path / "z.cam.csv").stat().st_mtime_ns == before
    assert s.exit_code == 0


def test_cli_many_exit_status_and_table(tiny_model_path, archive, tmp_path, capsys):
    from videocam.cli.main import main
    code = main(["run", str(archive / "s2"), str(archive / "nope.mp4"), "--model", str(tiny_model_path),
                 "--out", str(tmp_path), "--no-mp4"])
    out, err = capsys.readouterr()
    assert code == 1
    assert [ln for ln in err.splitlines() if ln.startswith("error:")] == [
        f"error: {archive / 's2' / 'broken.mp4'}: not a video file",
        f"error: cannot open {archive / 'nope.mp4'}: no such file"]
    assert "Traceback" not in err
    assert out.splitlines()[0].split() == ["video", "frames", "seconds", "fps", "outcome"]
    assert (tmp_path / "ep.cam.csv").is_file() and (tmp_path / "index.csv").is_file()


def test_cli_usage_errors(tmp_path, capsys):
    from videocam.cli.main import main
    assert main(["run", str(tmp_path), str(tmp_path), "--workers", "2"]) == 2
    assert "need --engine ray" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "a.mp4"), str(tmp_path / "b.mp4"), "--engine", "ray", "--chunk", "0"]) == 2


def test_ray_missing_is_one_line(monkeypatch, tmp_path, capsys):
    from videocam.cli.main import main
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(UsageError, match=r'pip install -e "\.\[ray\]"'):
        process_videos([tmp_path / "a.mp4"], engine="ray")
    assert main(["run", str(tmp_path / "a.mp4"), "--engine", "ray", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: --engine ray needs Ray")


def test_cli_many_passes_every_stage_option_on(tiny_model_path, archive, tmp_path):
    """`run DIR` takes the same stage flags as `run FILE` (--steady, --no-refine, --no-lead ... were dropped)."""
    import json

    from videocam.cli.main import main
    code = main(["run", str(archive / "s1"), "--model", str(tiny_model_path), "--out", str(tmp_path), "--no-mp4",
                 "--multi", "--no-fill", "--no-lead", "--steady", "3"])
    assert code == 0
    settings = json.loads((tmp_path / "ep.cam.json").read_text())["settings"]
    assert settings["multi"] is True and settings["refine"] is True
    assert settings["fill"] is False and settings["lead"] is False


def test_cli_many_with_the_demo_model_says_what_it_knows_once(tiny_model_path, archive, tmp_path, capsys,
                                                               monkeypatch):
    """An archive run on the bundled model gets the same one-line reminder as a single video."""
    from videocam.cli.main import main
    from videocam.model import cam_model
    monkeypatch.delenv("VIDEOCAM_MODEL", raising=False)
    monkeypatch.setattr(cam_model, "BUNDLED_MODEL", tiny_model_path)  # a fast stand-in for the demo model
    assert main(["run", str(archive / "s1"), "--out", str(tmp_path / "a"), "--no-mp4"]) == 0
    cap = capsys.readouterr()
    said = [ln for ln in (cap.out + cap.err).splitlines() if "demo" in ln and "videocam train" in ln]
    assert len(said) == 1 and "five" in said[0], cap.out + cap.err
    own = tmp_path / "own.keras"
    own.write_bytes(tiny_model_path.read_bytes())
    assert main(["run", str(archive / "s1"), "--out", str(tmp_path / "b"), "--no-mp4", "--model", str(own)]) == 0
    assert "videocam train" not in "".join(capsys.readouterr())


def test_index_paths_are_all_absolute(tiny_model_path, archive, tmp_path, monkeypatch):
    """Relative inputs and --out: every path index.csv holds is absolute, so it reads the same anywhere."""
    monkeypatch.chdir(archive)
    kw = dict(model=tiny_model_path, on_error=lambda m: None, warn=lambda m: None)
    process_videos(["s1/ep.mp4", "s2/z.mp4"], out_dir=os.path.relpath(tmp_path / "o", archive), **kw)
    with open(tmp_path / "o" / "index.csv", newline="") as fh:
        index = list(csv.DictReader(fh))
    for row in index:
        for col in ("video", "mp4", "csv"):
            assert Path(row[col]).is_absolute() and Path(row[col]).is_file(), (col, row[col])
    # --skip-done still finds its earlier rows (frames) by the absolute path
    s = process_videos(["s1/ep.mp4", "s2/z.mp4"], out_dir=os.path.relpath(tmp_path / "o", archive),
                       skip_done=True, **kw)
    assert [(r.outcome, r.frames) for r in s.rows] == [("skipped", 12), ("skipped", 6)]
