"""The main job end to end: video in, MP4 + CSV + GIF out, one entry per decoded frame."""
from fractions import Fraction

import av
import imageio.v3 as iio
import numpy as np
import pytest
from videos import make_video

from videocam.errors import UsageError
from videocam.io.csvfile import read_csv
from videocam.pipeline.process import process_video


def _decoded_frames(path):
    with av.open(str(path)) as c:
        return [f.time for f in c.decode(video=0)]


def test_run_writes_three_files_with_one_entry_per_frame(tiny_model, debate_clip, tmp_path):
    mp4, _truth, n = debate_clip
    s = process_video(mp4, model=tiny_model, out_dir=tmp_path, gif=True, batch=8)
    assert s.frames == n and s.exit_code == 0
    outs = {k: p.name for k, p in s.outputs.items()}
    assert outs == {"mp4": "clip.cam.mp4", "csv": "clip.cam.csv", "gif": "clip.cam.gif"}
    assert len(_decoded_frames(s.outputs["mp4"])) == n
    table = read_csv(s.outputs["csv"])
    assert [r.frame for r in table.rows] == list(range(n))
    assert table.classes == tiny_model.classes
    src_times = _decoded_frames(mp4)
    out_times = _decoded_frames(s.outputs["mp4"])
    np.testing.assert_allclose([r.time_s for r in table.rows], src_times, atol=1e-3)
    np.testing.assert_allclose(out_times, src_times, atol=2e-3)
    for r in table.rows:
        assert abs(sum(r.probs.values()) - 1.0) < 2e-3
        for b in r.boxes:
            assert 0 <= b.x0 < b.x1 <= 160 and 0 <= b.y0 < b.y1 <= 90
    gif = iio.imread(s.outputs["gif"], index=None)
    assert gif.ndim == 4 and 1 < gif.shape[0] <= n and gif.shape[2] <= 480
    assert not list(tmp_path.glob(".*part*"))  # no temporary files left behind


def test_two_batches_in_flight_give_the_same_results(tiny_model, debate_clip, tmp_path, monkeypatch):
    """A slow model gets two forward passes at once; the frames, their order and the CSV must not change."""
    import videocam.pipeline.stream as stream
    mp4, _truth, n = debate_clip
    one = process_video(mp4, model=tiny_model, out_dir=tmp_path / "one", batch=4, gif=False)
    calls = []
    monkeypatch.setattr(stream, "in_flight_for", lambda ms, cpus: calls.append(ms) or 2)
    two = process_video(mp4, model=tiny_model, out_dir=tmp_path / "two", batch=4, gif=False)
    assert calls, "the stream never chose its number of batches in flight"
    assert one.frames == two.frames == n
    a, b = read_csv(one.outputs["csv"]), read_csv(two.outputs["csv"])
    assert [r.frame for r in b.rows] == list(range(n))
    for ra, rb in zip(a.rows, b.rows):
        assert ra.label == rb.label and ra.boxes == rb.boxes
        assert max(abs(ra.probs[k] - rb.probs[k]) for k in ra.probs) < 1e-4
    assert len(_decoded_frames(two.outputs["mp4"])) == n


def test_threaded_writers_give_the_same_files(tiny_model, debate_clip, tmp_path, monkeypatch):
    """MP4 and GIF on threads of their own: the encoders get the same frames at the same times, in the
    same order, as with one writer thread; same CSV, same decoded frame times, a GIF of the same length.

    The encoded bytes are not compared: for some frame sizes (160x90 here) libx264's output depends on
    uninitialised memory (MALLOC_PERTURB_ changes it), so two encodes of identical frames may differ."""
    import zlib

    import videocam.io.writers as video
    import videocam.pipeline.outputs as pipeline
    mp4, _truth, n = debate_clip
    seen = {}

    def recording(cls, kind):
        write = cls.write

        def wrapped(self, rgb, time_s=None):
            seen.setdefault(kind, []).append((zlib.crc32(np.ascontiguousarray(rgb).tobytes()), time_s))
            return write(self, rgb, time_s)
        monkeypatch.setattr(cls, "write", wrapped)

    recording(video.Mp4Writer, "mp4")
    recording(video.GifWriter, "gif")
    runs = []
    for threaded in (False, True):
        monkeypatch.setattr(pipeline, "THREADED_WRITERS", threaded)
        seen.clear()
        s = process_video(mp4, model=tiny_model, out_dir=tmp_path / str(threaded), batch=4, gif=True)
        runs.append((s, dict(seen)))
    (one, fed_one), (two, fed_two) = runs
    assert len(fed_one["mp4"]) == len(fed_one["gif"]) == n
    assert fed_one == fed_two
    assert one.outputs["csv"].read_text() == two.outputs["csv"].read_text()
    assert _decoded_frames(one.outputs["mp4"]) == _decoded_frames(two.outputs["mp4"])
    a, b = iio.imread(one.outputs["mp4"], plugin="pyav"), iio.imread(two.outputs["mp4"], plugin="pyav")
    assert a.shape == b.shape and len(a) == n
    from PIL import Image
    assert Image.open(one.outputs["gif"]).n_frames == Image.open(two.outputs["gif"]).n_frames


@pytest.mark.parametrize("name,codec,kw", [
    ("odd.avi", "mpeg4", {"size": (321, 241)}),
    ("odd444.mkv", "libx264", {"size": (321, 241), "pix_fmt": "yuv444p"}),
    ("mpeg4.avi", "mpeg4", {}),
    ("vp9.webm", "libvpx-vp9", {}),
    ("mjpeg.avi", "mjpeg", {}),
    ("vfr.mp4", "libx264", {"vfr": True}),
    ("late.ts", "libx264", {"start_pts": 7, "rate": Fraction(2997, 125)}),
])
def test_codecs_containers_and_timing(tiny_model, tmp_path, name, codec, kw):
    src = tmp_path / name
    times = make_video(src, codec=codec, n=9, **kw)
    s = process_video(src, model=tiny_model, out_dir=tmp_path / "out", batch=4)
    table = read_csv(s.outputs["csv"])
    assert len(table.rows) == len(times) == s.frames
    np.testing.assert_allclose([r.time_s for r in table.rows], times, atol=1e-3)
    assert len(_decoded_frames(s.outputs["mp4"])) == len(times)
    with av.open(str(s.outputs["mp4"])) as c:
        st = c.streams.video[0]
        w, h = kw.get("size", (64, 48))
        assert (st.codec_context.width, st.codec_context.height) == (w - w % 2, h - h % 2)
        assert st.codec_context.name == "h264" and st.codec_context.pix_fmt == "yuv420p"


def test_start_end_select_frames(tiny_model, debate_clip, tmp_path):
    mp4, _, _ = debate_clip
    s = process_video(mp4, model=tiny_model, out_dir=tmp_path, start=0.4, end=1.0, mp4=False)
    times = [r.time_s for r in read_csv(s.outputs["csv"]).rows]
    assert times and min(times) >= 0.4 - 1e-6 and max(times) < 1.0


def test_usage_errors_before_any_output(tiny_model, debate_clip, tmp_path):
    mp4, _, _ = debate_clip
    out = tmp_path / "o"
    for kw in ({"threshold": 1.5}, {"batch": 0}, {"mp4": False, "csv": False}):
        with pytest.raises(UsageError):
            process_video(mp4, model=tiny_model, out_dir=out, **kw)
    assert not out.exists()
    # an output that would overwrite the input (the output name is a link to it)
    out.mkdir()
    (out / "clip.cam.csv").symlink_to(mp4)
    with pytest.raises(UsageError, match="overwrite the input"):
        process_video(mp4, model=tiny_model, out_dir=out, mp4=False)


def test_cli_run_prints_summary(tiny_model_path, debate_clip, tmp_path, capsys):
    from videocam.cli.main import main
    mp4, _, n = debate_clip
    code = main(["run", str(mp4), "--model", str(tiny_model_path), "--out", str(tmp_path), "--no-mp4"])
    out = capsys.readouterr().out
    assert code == 0 and f"{n} frames" in out and "clip.cam.csv" in out
    code = main(["run", str(mp4), "--model", str(tiny_model_path), "--out", str(tmp_path / "ad"), "--no-mp4",
                 "--scale", "adaptive"])
    assert code == 0 and len(read_csv(tmp_path / "ad" / "clip.cam.csv").rows) == n


def test_bf16_precision_runs_and_stays_close(tiny_model_path, debate_clip, tmp_path):
    from videocam.model.loading import load_model
    mp4, _, n = debate_clip
    a = read_csv(process_video(mp4, model=load_model(tiny_model_path), out_dir=tmp_path / "f32", mp4=False,
                               smooth=0).outputs["csv"])
    b = read_csv(process_video(mp4, model=load_model(tiny_model_path), out_dir=tmp_path / "bf16", mp4=False,
                               smooth=0, precision="bf16").outputs["csv"])
    assert len(a.rows) == len(b.rows) == n
    diff = max(abs(ra.probs[c] - rb.probs[c]) for ra, rb in zip(a.rows, b.rows) for c in a.classes)
    assert diff < 0.05


def test_cli_run_with_the_demo_model_says_what_it_knows_once(tiny_model_path, debate_clip, tmp_path, capsys,
                                                              monkeypatch):
    """The bundled model knows the five drawn people only: one line says so and points to `train`."""
    from videocam.cli.main import main
    from videocam.model import cam_model
    mp4, _, _ = debate_clip
    monkeypatch.delenv("VIDEOCAM_MODEL", raising=False)
    monkeypatch.setattr(cam_model, "BUNDLED_MODEL", tiny_model_path)  # a fast stand-in for the demo model
    assert main(["run", str(mp4), "--out", str(tmp_path / "a"), "--no-mp4"]) == 0
    cap = capsys.readouterr()
    said = [ln for ln in (cap.out + cap.err).splitlines() if "demo" in ln and "videocam train" in ln]
    assert len(said) == 1 and "five" in said[0], cap.out + cap.err
    own = tmp_path / "own.keras"
    own.write_bytes(tiny_model_path.read_bytes())
    for how in (["--model", str(own)], []):
        if not how:
            monkeypatch.setenv("VIDEOCAM_MODEL", str(own))
        assert main(["run", str(mp4), "--out", str(tmp_path / "b"), "--no-mp4", *how]) == 0
        cap = capsys.readouterr()
        assert "videocam train" not in cap.out + cap.err
