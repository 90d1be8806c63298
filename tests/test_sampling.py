"""`--every N` / `--fps F`: which frames are analysed, what the reader skips, what the outputs hold."""
import av
import pytest

from videocam.errors import UsageError
from videocam.eval.report import analyse
from videocam.io.csvfile import read_csv
from videocam.io.reader import VideoReader
from videocam.pipeline.process import process_video
from videocam.pipeline.sampling import Every, PerSecond, selector


def test_every_takes_every_nth_from_the_first():
    s = Every(3)
    assert [i for i in range(10) if s(i, i / 25)] == [0, 3, 6, 9]
    assert s.expected(10, None) == 4


def test_per_second_follows_presentation_times():
    s = PerSecond(5)  # 25 fps source: every 5th frame
    assert [i for i in range(20) if s(i, i / 25)] == [0, 5, 10, 15]
    s = PerSecond(5)  # a gap of 1 s: one frame after it, then back on the 0.2-s grid
    times = [0.0, 0.04, 0.08, 1.2, 1.24, 1.28, 1.32, 1.36, 1.40, 1.44]
    picked = [t for i, t in enumerate(times) if s(i, t)]
    assert picked == [0.0, 1.2, 1.40]
    s = PerSecond(50)  # faster than the source: every frame
    assert all(s(i, i / 25) for i in range(10))


def test_selector_refuses_both_and_bad_values():
    assert selector() is None and selector(every=1) is None
    with pytest.raises(UsageError):
        selector(every=2, fps=5)
    with pytest.raises(UsageError):
        selector(fps=0)


def test_reader_without_full_frames_converts_only_what_is_analysed(debate_clip):
    mp4, _truth, n = debate_clip
    with VideoReader(mp4, model_size=(32, 32), full_rgb=False, select=Every(4)) as r:
        frames = list(r)
        lost = r.frames_lost
    assert [f.index for f in frames] == list(range(0, n, 4))
    assert all(f.rgb is None and f.model_rgb.shape == (32, 32, 3) and f.analysed for f in frames)
    assert (frames[0].width, frames[0].height) == (160, 90)
    assert lost == 0  # skipped frames are not lost frames
    with VideoReader(mp4, model_size=(32, 32), select=Every(4)) as r:  # drawing: every frame, flagged
        frames = list(r)
    assert len(frames) == n and all(f.rgb is not None for f in frames)
    assert [f.index for f in frames if f.analysed] == list(range(0, n, 4))
    assert all(f.model_rgb is None for f in frames if not f.analysed)


def test_csv_only_run_writes_the_same_csv_as_a_full_run(tiny_model, debate_clip, tmp_path):
    mp4, _truth, _n = debate_clip
    full = process_video(mp4, model=tiny_model, out_dir=tmp_path / "full", batch=4)
    csv_only = process_video(mp4, model=tiny_model, out_dir=tmp_path / "csv", batch=4, mp4=False)
    assert full.outputs["csv"].read_text() == csv_only.outputs["csv"].read_text()


def test_every_n_run_has_one_row_per_analysed_frame_and_a_full_mp4(tiny_model, debate_clip, tmp_path):
    mp4, _truth, n = debate_clip
    s = process_video(mp4, model=tiny_model, out_dir=tmp_path, batch=3, every=4, gif=True)
    rows = read_csv(s.outputs["csv"]).rows
    assert [r.frame for r in rows] == list(range(0, n, 4)) and s.frames == len(rows)
    with VideoReader(mp4) as src:
        times = {f.index: f.time_s for f in src}
    assert all(abs(r.time_s - times[r.frame]) < 1e-3 for r in rows)  # the source frame's time
    with av.open(str(s.outputs["mp4"])) as c:
        assert sum(1 for _ in c.decode(video=0)) == n  # every frame drawn
    assert "analysed" in s.describe()


def test_screen_time_from_sampled_rows_matches_the_full_run(tiny_model, debate_clip, tmp_path):
    """Rows are weighed by the time they cover, so sampling changes screen time by at most the
    quantisation of each appearance's edges, not by the sampling factor."""
    mp4, _truth, _n = debate_clip
    full = analyse(read_csv(process_video(mp4, model=tiny_model, out_dir=tmp_path / "a", mp4=False).outputs["csv"]))
    part = analyse(read_csv(process_video(mp4, model=tiny_model, out_dir=tmp_path / "b", mp4=False,
                                          every=2).outputs["csv"]))
    assert abs(part.duration_s - full.duration_s) < 0.05
    for a in full.classes:
        b = next(c for c in part.classes if c.name == a.name)
        edges = 2 * max(a.appearances, b.appearances, 1)
        assert abs(a.screen_s - b.screen_s) <= edges * 2 / 25 + 1e-6, a.name


def test_frames_without_full_picture_are_sized_upright(tmp_path):
    from tests.videos import make_video
    p = tmp_path / "phone.mp4"
    make_video(p, n=4, size=(64, 48), rotation=90)
    with VideoReader(p, model_size=(16, 16), full_rgb=False) as r:
        f = next(iter(r))
    with VideoReader(p) as r:
        g = next(iter(r))
    assert (f.width, f.height) == (g.width, g.height) == (48, 64)


def test_score_weighs_rows_by_the_time_they_cover():
    from videocam.eval.score import score_tables
    from videocam.io.csvfile import CsvRow, CsvTable

    def table(labels, step=1):
        return CsvTable(classes=["a", "nobody"], rows=[
            CsvRow(frame=i, time_s=i / 25, label=lab, score=1.0, probs={}, boxes=[])
            for i, lab in enumerate(labels) if i % step == 0])
    truth = table(["nobody"] * 8 + ["a"] * 2)
    pred = table(["nobody"] * 4 + ["a"] * 6, step=4)  # rows 0, 4, 8: the middle one covers 4 frames
    d = score_tables(pred, truth)
    # nobody predicted on row 0 (4 frames, right) and called "a" on row 4 (4 frames, wrong)
    assert d["nobody_precision"] == 1.0 and abs(d["nobody_recall"] - 0.5) < 1e-9
    assert d["counts"]["nobody_truth"] == 2  # counts stay row counts
