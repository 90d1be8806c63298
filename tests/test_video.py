"""VideoReader / Mp4Writer / GifWriter / AsyncSink on tiny PyAV-made videos."""
from __future__ import annotations

import threading
import time
from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image
from videos import frame_rgb, has_encoder, index_of, make_video

from videocam.errors import VideoError
from videocam.io.reader import VideoReader
from videocam.io.writers import GIF_TOLERANCE, GifWriter, Mp4Writer, encoder_threads, part_path
from videocam.pipeline.threads import AsyncSink, ThreadedWriter

MS = 1e-3


def read_all(path, **kw):
    with VideoReader(path, **kw) as r:
        frames = list(r)
    return r, frames


def check_frames(frames, times, size):
    w, h = size
    assert len(frames) == len(times)
    for k, (f, t) in enumerate(zip(frames, times)):
        assert f.index == k
        assert f.rgb.shape == (h, w, 3) and f.rgb.dtype == np.uint8
        assert abs(f.time_s - t) < MS, (k, f.time_s, t)
    assert [index_of(f.rgb) for f in frames] == list(range(len(times)))


# (file name, codec, make_video kwargs)
FORMATS = [
    ("h264.mp4", "libx264", {}),
    ("mpeg4.avi", "mpeg4", {}),
    ("msmpeg4v2.avi", "msmpeg4v2", {}),
    ("msmpeg4.avi", "msmpeg4", {}),
    ("vp9.mkv", "libvpx-vp9", {}),
    ("mjpeg.avi", "mjpeg", {}),
    ("cinepak.mov", "cinepak", {}),
    ("h264.ts", "libx264", {}),
    ("odd.avi", "mpeg4", {"size": (321, 241)}),
    ("odd444.mkv", "libx264", {"size": (321, 241), "pix_fmt": "yuv444p"}),
    ("ntsc.mp4", "libx264", {"rate": Fraction(2997, 125)}),
    ("offset.mp4", "libx264", {"start_pts": 7}),
    ("offset.ts", "libx264", {"start_pts": 7}),
    ("vfr.mp4", "libx264", {"vfr": True}),
    ("vfr.mkv", "libx264", {"vfr": True}),
    ("gray.mkv", "ffv1", {"pix_fmt": "gray"}),
    ("10bit.mp4", "libx264", {"pix_fmt": "yuv420p10le"}),
    ("alpha.webm", "libvpx-vp9", {"pix_fmt": "yuva420p"}),
    ("rgba.mov", "png", {"pix_fmt": "rgba"}),
    ("argb.mov", "qtrle", {"pix_fmt": "argb"}),
    ("pal8.mov", "png", {"pix_fmt": "pal8"}),
    ("anim.gif", "gif", {"pix_fmt": "pal8", "fps": 10}),
]


MODEL_COPY_TOLERANCE = 6  # mean levels between FFmpeg's model-sized copy and OpenCV's resize of the frame


@pytest.mark.parametrize("name,codec,kw", FORMATS, ids=[f[0] for f in FORMATS])
def test_reads_formats(tmp_path, name, codec, kw):
    if not has_encoder(codec):
        pytest.skip(f"this FFmpeg has no {codec} encoder")
    p = tmp_path / name
    times = make_video(p, codec, n=8, **kw)
    r, frames = read_all(p)
    size = kw.get("size", (64, 48))
    assert (r.width, r.height) == size
    assert r.errors == 0
    check_frames(frames, times, size)
    _, one = read_all(p, model_size=(16, 16), full_rgb=False, threads=1)  # a CSV-only run's reader
    assert [f.time_s for f in one] == [f.time_s for f in frames]
    assert all(f.model_rgb.shape == (16, 16, 3) for f in one)
    import cv2
    for f, full in zip(one, frames):  # the same picture, scaled, whatever the source's pixel format
        want = cv2.resize(full.rgb, (16, 16), interpolation=cv2.INTER_AREA).astype(int)
        assert np.abs(f.model_rgb.astype(int) - want).mean() < MODEL_COPY_TOLERANCE, name


def test_metadata(tmp_path):
    p = tmp_path / "a.mp4"
    make_video(p, n=10, rate=Fraction(2997, 125))
    with VideoReader(p) as r:
        assert r.fps == pytest.approx(23.976, abs=1e-3)
        assert r.frame_count_hint == 10
        assert r.duration_s == pytest.approx(10 / 23.976, abs=0.01)
        assert r.codec_name == "h264"
    # Metadata stays readable after close.
    assert r.fps == pytest.approx(23.976, abs=1e-3)


def test_vfr_times_are_presentation_times(tmp_path):
    p = tmp_path / "vfr.mp4"
    times = make_video(p, n=8, vfr=True)
    gaps = np.diff(times)
    assert gaps.max() > gaps.min() * 2  # really irregular
    _, frames = read_all(p)
    # Not index / fps.
    assert [round(f.time_s, 3) for f in frames] == [round(t, 3) for t in times]


@pytest.mark.parametrize("name", ["sel.mp4", "sel.ts", "sel.mkv"])
def test_start_end(tmp_path, name):
    p = tmp_path / name
    times = make_video(p, n=30)
    for a, b in [(0.5, 0.8), (0.3, None), (None, 0.2), (times[7], times[9])]:
        _, frames = read_all(p, start_s=a, end_s=b)
        want = [k for k, t in enumerate(times)
                if (a is None or t >= a - 1e-6) and (b is None or t < b - 1e-6)]
        assert [index_of(f.rgb) for f in frames] == want, (a, b)
        assert [f.index for f in frames] == list(range(len(want)))


def test_start_after_offset_start(tmp_path):
    p = tmp_path / "late.mp4"
    times = make_video(p, n=10, start_pts=25)  # starts at 1.0 s
    _, frames = read_all(p, start_s=0.5)
    assert len(frames) == 10 and abs(frames[0].time_s - times[0]) < MS


@pytest.mark.parametrize("name,kw", [
    ("cut.ts", {}), ("cut.mkv", {}), ("cut.mp4", {"faststart": True}),
    ("cut.avi", {"codec": "mjpeg"}),
])
def test_truncated_file_yields_prefix(tmp_path, name, kw):
    p = tmp_path / name
    make_video(p, n=30, size=(96, 64), **kw)
    data = p.read_bytes()
    q = tmp_path / ("short_" + name)
    q.write_bytes(data[: int(len(data) * 0.3)])
    _, frames = read_all(q)  # no exception
    assert 0 < len(frames) < 30
    ids = [index_of(f.rgb) for f in frames]
    # All but possibly the last (partly decoded) frame are the right ones.
    assert ids[:-1] == list(range(len(ids) - 1))


def test_garbage_in_the_middle_is_skipped(tmp_path):
    p = tmp_path / "g.ts"
    make_video(p, n=30, size=(96, 64))
    data = bytearray(p.read_bytes())
    a, b = int(len(data) * 0.4), int(len(data) * 0.5)
    data[a:b] = np.random.default_rng(1).integers(0, 256, b - a, dtype=np.uint8).tobytes()
    q = tmp_path / "bad.ts"
    q.write_bytes(bytes(data))
    _, frames = read_all(q)
    assert len(frames) >= 20
    assert index_of(frames[-1].rgb) == 29


def test_truncated_mp4_without_index_is_a_clear_error(tmp_path):
    p = tmp_path / "cut.mp4"
    make_video(p, n=30)
    q = tmp_path / "short.mp4"
    q.write_bytes(p.read_bytes()[: len(p.read_bytes()) * 3 // 10])
    with pytest.raises(VideoError, match="incomplete"):
        VideoReader(q)


def test_open_errors(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 20)
    with pytest.raises(VideoError, match="not a video file"):
        VideoReader(text)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(VideoError, match="empty"):
        VideoReader(empty)
    with pytest.raises(VideoError, match="no such file"):
        VideoReader(tmp_path / "missing.mp4")
    (tmp_path / "dir.mp4").mkdir()
    with pytest.raises(VideoError, match="directory"):
        VideoReader(tmp_path / "dir.mp4")
    audio = tmp_path / "sound.m4a"
    with av.open(str(audio), "w") as out:
        st = out.add_stream("aac", rate=8000)
        fr = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp",
                                        layout="mono")
        fr.sample_rate, fr.pts = 8000, 0
        for pkt in [*st.encode(fr), *st.encode(None)]:
            out.mux(pkt)
    with pytest.raises(VideoError, match="no video stream"):
        VideoReader(audio)
    # Messages are one line.
    try:
        VideoReader(text)
    except VideoError as e:
        assert "\n" not in str(e)


def test_rotation_is_applied(tmp_path):
    p = tmp_path / "phone.mp4"
    make_video(p, n=3, size=(64, 48), rotation=90)
    r, frames = read_all(p)
    assert (r.width, r.height, r.rotation) == (48, 64, 90)
    want = np.rot90(frame_rgb(2, 64, 48), 1)
    assert frames[2].rgb.shape == want.shape
    assert np.abs(frames[2].rgb.astype(int) - want).mean() < 4
    r, frames = read_all(p, autorotate=False)
    assert frames[0].rgb.shape == (48, 64, 3)


@pytest.mark.parametrize("rotation,autorotate", [(0, True), (90, True), (270, True), (90, False)])
def test_model_sized_copy_is_the_frame_scaled_and_turned_the_same_way(tmp_path, rotation, autorotate):
    import cv2
    p = tmp_path / "v.mp4"
    make_video(p, n=3, size=(96, 64), rotation=rotation)
    r, frames = read_all(p, autorotate=autorotate, model_size=(32, 40))
    for f in frames:
        assert f.model_rgb.shape == (32, 40, 3) and f.model_rgb.dtype == np.uint8
        want = cv2.resize(f.rgb, (40, 32), interpolation=cv2.INTER_AREA).astype(int)
        assert np.abs(f.model_rgb.astype(int) - want).mean() < MODEL_COPY_TOLERANCE  # same picture, another scaler
        assert f.model_input((32, 40)) is f.model_rgb
        assert f.model_input((64, 64)) is f.rgb  # another size: the full frame, resized by the caller
    _, plain = read_all(p)
    assert all(f.model_rgb is None for f in plain)


def test_one_decoding_thread_gives_the_same_frames(tmp_path):
    p = tmp_path / "v.mp4"
    make_video(p, n=12, size=(96, 64))
    _, auto = read_all(p, model_size=(32, 40), full_rgb=False)
    _, one = read_all(p, model_size=(32, 40), full_rgb=False, threads=1)
    assert len(one) == len(auto) == 12
    assert all(np.array_equal(a.model_rgb, b.model_rgb) and a.time_s == b.time_s for a, b in zip(auto, one))


def test_csv_only_runs_decode_small_frames_on_one_thread():
    from videocam.pipeline.stream import ONE_THREAD_DECODE_PIXELS, decode_threads_when_nothing_is_drawn
    assert decode_threads_when_nothing_is_drawn(640 * 360) == 1
    assert decode_threads_when_nothing_is_drawn(ONE_THREAD_DECODE_PIXELS + 1) is None  # 720p: FFmpeg's threads


# --------------------------------------------------------------------------- #
# Writers
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("threads", [1, 4])  # 4: what a many-core machine gets (encoder_threads)
def test_mp4_round_trip_times_and_count(tmp_path, threads):
    out = tmp_path / "out.mp4"
    times = [0.0, 0.04, 0.12, 0.2417, 0.30, 0.3333, 0.5, 0.52]
    w = Mp4Writer(out, 25, 65, 49, threads=threads)  # odd input size
    assert (w.out_width, w.out_height) == (64, 48)
    for k, t in enumerate(times):
        w.write(frame_rgb(k, 65, 49), t)
    assert not out.exists()  # only the temporary name until close
    w.close()
    assert out.exists() and not w.tmp_path.exists()
    r, frames = read_all(out)
    assert (r.width, r.height) == (64, 48)
    check_frames(frames, times, (64, 48))


def test_mp4_copy_keeps_rate_and_times(tmp_path):
    src = tmp_path / "src.mp4"
    times = make_video(src, n=12, rate=Fraction(2997, 125))
    dst = tmp_path / "dst.mp4"
    with VideoReader(src) as r, Mp4Writer(dst, r.fps, r.width, r.height) as w:
        for f in r:
            w.write(f.rgb, f.time_s)
    r, frames = read_all(dst)
    assert r.fps == pytest.approx(2997 / 125, rel=1e-3)
    check_frames(frames, times, (64, 48))


def test_mp4_keeps_colours_and_says_how_it_was_encoded(tmp_path):
    """Flat colours survive the BT.709 round trip; the file's x264 SEI names the speed settings."""
    out = tmp_path / "flat.mp4"
    colours = [(200, 40, 40), (30, 160, 60), (40, 60, 210), (128, 128, 128), (250, 250, 250)]
    with Mp4Writer(out, 25, 64, 48) as w:
        for k, c in enumerate(colours):
            w.write(np.full((48, 64, 3), c, np.uint8), k / 25)
        w.write(np.full((96, 128, 3), colours[0], np.uint8), 5 / 25)  # another size: scaled to 64x48
    _, frames = read_all(out)
    assert len(frames) == 6
    for f, c in zip(frames, colours + colours[:1]):
        centre = f.rgb[16:32, 24:40].reshape(-1, 3).mean(axis=0)
        assert np.abs(centre - np.asarray(c)).max() < 6, (c, centre)
    with av.open(str(out)) as c:
        st = c.streams.video[0]
        assert st.codec_context.colorspace == 1  # BT.709, as tagged
    data = out.read_bytes()
    assert b"x264" in data and b"me=dia" in data and b"subme=1" in data


def test_mp4_repeated_or_missing_times_still_one_frame_each(tmp_path):
    out = tmp_path / "dup.mp4"
    with Mp4Writer(out, 10, 32, 32) as w:
        for k, t in enumerate([0.0, 0.0, 0.1, None, 0.05]):
            w.write(frame_rgb(k, 32, 32), t)
    _, frames = read_all(out)
    assert len(frames) == 5
    ts = [f.time_s for f in frames]
    assert all(b > a for a, b in zip(ts, ts[1:]))


def test_mp4_start_at_zero(tmp_path):
    out = tmp_path / "clip.mp4"
    with Mp4Writer(out, 25, 32, 32, start_at_zero=True) as w:
        for k in range(3):
            w.write(frame_rgb(k, 32, 32), 10.0 + k / 25)
    _, frames = read_all(out)
    assert [round(f.time_s, 3) for f in frames] == [0.0, 0.04, 0.08]


def test_writers_abort_leave_nothing(tmp_path):
    out = tmp_path / "x.mp4"
    w = Mp4Writer(out, 25, 32, 32)
    for k in range(40):
        w.write(frame_rgb(k, 32, 32), k / 25)
    w.abort()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError):
        with Mp4Writer(out, 25, 32, 32) as w:
            w.write(frame_rgb(0, 32, 32), 0.0)
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    g = GifWriter(tmp_path / "x.gif", 25)
    g.write(frame_rgb(0, 32, 32), 0.0)
    g.abort()
    assert list(tmp_path.iterdir()) == []


def test_part_path_keeps_extension(tmp_path):
    assert part_path(tmp_path / "a.b.mp4") == tmp_path / ".a.b.part.mp4"


def test_gif_is_small_animated_looping(tmp_path):
    out = tmp_path / "a.gif"
    with GifWriter(out, src_fps=25, max_width=480, max_fps=10) as g:
        for k in range(25):  # one second at 25 fps
            g.write(frame_rgb(k, 640, 360), k / 25)
    im = Image.open(out)
    assert im.size == (480, 270)
    assert im.n_frames == 10  # one second at 10 fps
    assert im.info.get("loop") == 0
    total = 0
    for k in range(im.n_frames):
        im.seek(k)
        total += im.info["duration"]
    assert total == pytest.approx(1000, abs=20)  # plays at the video's speed


def test_gif_keeps_small_frames_and_low_rates(tmp_path):
    out = tmp_path / "b.gif"
    with GifWriter(out, src_fps=5) as g:
        for k in range(4):
            g.write(frame_rgb(k, 40, 30), k / 5)
    im = Image.open(out)
    assert im.size == (40, 30) and im.n_frames == 4


# --------------------------------------------------------------------------- #
# AsyncSink
# --------------------------------------------------------------------------- #


def test_async_sink_order_and_close():
    got, closed = [], []
    sink = AsyncSink(got.append, maxsize=2, on_close=lambda: closed.append(True))
    for k in range(20):
        sink.put(k)
    sink.close()
    assert got == list(range(20)) and closed == [True]


def test_async_sink_is_bounded():
    gate = threading.Event()
    sink = AsyncSink(lambda item: gate.wait(), maxsize=2)
    sink.put(0)  # taken by the worker, which then waits
    time.sleep(0.05)
    sink.put(1)
    sink.put(2)  # queue now full
    t = threading.Thread(target=sink.put, args=(3,))
    t.start()
    t.join(0.2)
    assert t.is_alive()  # blocked: memory stays bounded
    gate.set()
    t.join(2)
    assert not t.is_alive()
    sink.close()


def test_async_sink_reraises_worker_error():
    def consume(item):
        if item == 3:
            raise ValueError("bad item 3")

    aborted = []
    sink = AsyncSink(consume, maxsize=1, on_abort=lambda: aborted.append(True))
    with pytest.raises(ValueError, match="bad item 3"):
        for k in range(100):
            sink.put(k)
        sink.close()
    with pytest.raises(ValueError, match="bad item 3"):
        sink.close()
    assert aborted == [True]


def test_async_sink_abort_drops_pending():
    got = []
    sink = AsyncSink(lambda x: (time.sleep(0.01), got.append(x)), maxsize=50)
    for k in range(50):
        sink.put(k)
    sink.abort()
    assert len(got) < 50
    with pytest.raises(RuntimeError):
        sink.put(1)


def test_async_sink_runs_a_writer(tmp_path):
    out = tmp_path / "bg.mp4"
    w = Mp4Writer(out, 25, 32, 32)
    with AsyncSink(lambda it: w.write(*it), maxsize=4, on_close=w.close, on_abort=w.abort) as s:
        for k in range(6):
            s.put((frame_rgb(k, 32, 32), k / 25))
    _, frames = read_all(out)
    assert [index_of(f.rgb) for f in frames] == list(range(6))


def test_threaded_writer_keeps_order_and_finishes_the_file(tmp_path):
    out = tmp_path / "t.mp4"
    w = ThreadedWriter(Mp4Writer(out, 25, 32, 32), maxsize=2)
    for k in range(12):
        w.write(frame_rgb(k, 32, 32), k / 25)
    assert not out.exists()  # still being written on its thread
    w.close()
    _, frames = read_all(out)
    assert [index_of(f.rgb) for f in frames] == list(range(12))


class _FailingWriter:
    def __init__(self, fail_at):
        self.fail_at, self.written, self.aborted, self.closed = fail_at, [], False, False

    def write(self, rgb, time_s=None):
        if len(self.written) == self.fail_at:
            raise OSError(28, "No space left on device")
        self.written.append(time_s)

    def close(self):
        self.closed = True

    def abort(self):
        self.aborted = True


def test_threaded_writer_hands_its_error_back_and_aborts_the_file():
    inner = _FailingWriter(fail_at=3)
    w = ThreadedWriter(inner, maxsize=1)
    with pytest.raises(OSError, match="No space left"):
        for k in range(50):
            w.write(np.zeros((2, 2, 3), np.uint8), k)
        w.close()
    w.abort()  # what its owner does on an error (the pipeline's Writers.abort)
    assert inner.written == [0, 1, 2] and inner.aborted and not inner.closed


def test_threaded_writer_abort_removes_the_part_file(tmp_path):
    out = tmp_path / "a.mp4"
    w = ThreadedWriter(Mp4Writer(out, 25, 32, 32))
    for k in range(4):
        w.write(frame_rgb(k, 32, 32), k / 25)
    w.abort()
    assert list(tmp_path.iterdir()) == []


def test_encoder_threads_one_on_small_machines_a_few_on_many_cores():
    assert [encoder_threads(c) for c in (1, 2, 4, 7)] == [1, 1, 1, 1]
    assert encoder_threads(16) == 4 and encoder_threads(8) == 2 and encoder_threads(128) == 4


def test_gif_frame_cap(tmp_path):
    out = tmp_path / "c.gif"
    with GifWriter(out, src_fps=10, max_frames=3) as g:
        for k in range(6):
            g.write(frame_rgb(k, 32, 32), k / 10)
    assert g.truncated
    assert Image.open(out).n_frames == 3


# ------------------------------------------------------------ small GIFs (issue 20, item 12)

def _scene(k: int, w: int = 160, h: int = 90, noise: float = 2.0) -> np.ndarray:
    """A studio-like frame: a smooth gradient, sensor noise that differs per frame, a moving block."""
    rng = np.random.default_rng(k)
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    img = 40 + 150 * x * np.array([1.0, 0.6, 0.2]) + 60 * y * np.array([0.2, 0.5, 1.0])
    img = img + rng.normal(0, noise, (h, w, 3))
    x0 = 10 + 2 * k % (w - 30)
    img[30:50, x0:x0 + 20] = (230, 40, 40)
    return np.clip(img, 0, 255).astype(np.uint8)


def _gif_frames(path) -> list[np.ndarray]:
    """Every frame as a viewer shows it (Pillow composes transparency and disposal)."""
    im = Image.open(path)
    out = []
    for k in range(im.n_frames):
        im.seek(k)
        out.append(np.asarray(im.convert("RGB")))
    return out


def test_gif_unchanged_pixels_cost_almost_nothing(tmp_path):
    """A mostly still scene with sensor noise: later frames send only what changed, on one palette."""
    one = tmp_path / "one.gif"
    with GifWriter(one, src_fps=10) as g:
        g.write(_scene(0), 0.0)
    many = tmp_path / "many.gif"
    with GifWriter(many, src_fps=10) as g:
        for k in range(30):
            g.write(_scene(k, noise=1.0), k / 10)
    assert Image.open(many).n_frames == 30
    # before: every frame a full image with its own palette (about 30x one frame)
    assert many.stat().st_size < 6 * one.stat().st_size, (many.stat().st_size, one.stat().st_size)


def test_gif_keeps_the_look(tmp_path):
    """What a viewer sees stays within the tolerance of each source frame (no drift, no stale block)."""
    out = tmp_path / "look.gif"
    src = [_scene(k) for k in range(20)]
    with GifWriter(out, src_fps=10) as g:
        for k, f in enumerate(src):
            g.write(f, k / 10)
    shown = _gif_frames(out)
    assert len(shown) == len(src)
    for k, (s, f) in enumerate(zip(shown, src)):
        alone = tmp_path / f"alone{k}.gif"  # the look of this frame as a GIF of its own
        with GifWriter(alone, src_fps=10) as g:
            g.write(f, 0.0)
        ref = np.abs(_gif_frames(alone)[0].astype(int) - f).max(axis=2)
        err = np.abs(s.astype(int) - f).max(axis=2)
        assert err.mean() <= ref.mean() + GIF_TOLERANCE / 2, k
        assert np.percentile(err, 99) <= np.percentile(ref, 99) + GIF_TOLERANCE, k
        block = (f[..., 0] == 230) & (f[..., 1] == 40)
        assert np.all(s[block, 0] > 180) and np.all(s[block, 1] < 90), k  # the block is where it is now


def test_gif_keeps_to_its_byte_budget_by_dropping_frames(tmp_path):
    """A long, busy video: the frame rate drops so the file stays near its budget; a cheap one keeps 10 fps."""
    busy = tmp_path / "busy.gif"
    n, fps = 600, 25  # 24 s
    with GifWriter(busy, src_fps=fps, max_fps=10, span_s=n / fps, budget_bytes=150_000) as g:
        for k in range(n):
            g.write(_scene(k, noise=12.0), k / fps)
    assert busy.stat().st_size <= 150_000 * 1.1
    im = Image.open(busy)
    assert 10 < im.n_frames < 240
    total = 0
    for k in range(im.n_frames):
        im.seek(k)
        total += im.info["duration"]
    assert total == pytest.approx(n / fps * 1000, abs=150)  # still plays at the video's speed
    calm = tmp_path / "calm.gif"
    with GifWriter(calm, src_fps=fps, max_fps=10, span_s=n / fps, budget_bytes=150_000) as g:
        for k in range(n):
            g.write(_scene(0, noise=0.0), k / fps)
    assert Image.open(calm).n_frames >= 230  # 10 fps (240 frames), bar the first estimate of a frame's cost
