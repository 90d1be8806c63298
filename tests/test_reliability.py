"""Issue 6, reliability: every failure is one `error:` line and a non-zero exit, never a
traceback, and never a half-written output under a final name.

Most cases run the CLI in-process (`videocam.cli.main`) and read stderr with capsys; the
signal tests run a real subprocess. The memory benchmark is marked `benchmark` (deselected
by default; also `python -m videocam.studies.membench`).
"""
from __future__ import annotations

import math
import os
import re
import signal
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from videos import make_video

from videocam.cli.main import main
from videocam.io.csvfile import read_csv

N = 30  # frames in the damaged-file clips


# ----------------------------------------------------------------- helpers

def cli(capsys, *args):
    """Run `videocam run ARGS` in-process: (exit code, stdout, stderr)."""
    try:
        code = main(["run", *map(str, args)])
    except SystemExit as e:  # argparse usage errors
        code = e.code
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err
    return code, cap.out, cap.err


def one_error(err: str) -> str:
    """The stderr of a failed run: exactly one line, `error: ...`."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert len(errors) == 1, err
    assert lines[-1] == errors[0], err
    return errors[0]


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def decodable(path) -> int:
    """How many frames PyAV gets out of a file, skipping packets that fail."""
    n = 0
    with av.open(str(path)) as c:
        for pkt in c.demux(video=0):
            try:
                n += len(pkt.decode())
            except av.error.FFmpegError:
                pass
    return n


def mp4_frames(path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def check_outputs(out: Path, stem: str, n: int, gif: bool = False, partial: bool = False):
    """MP4 frame count == CSV rows == n, final names (`.partial` ones for an interrupted run) and the
    run info only."""
    stem = f"{stem}.cam.partial" if partial else f"{stem}.cam"
    rows = read_csv(out / f"{stem}.csv").rows
    assert [r.frame for r in rows] == list(range(n))
    assert mp4_frames(out / f"{stem}.mp4") == n
    want = {f"{stem}.csv", f"{stem}.mp4", f"{stem}.json"} | ({f"{stem}.gif"} if gif else set())
    assert set(files_in(out)) == want  # no .part files left


def audio_only(path: Path, codec: str) -> Path:
    rate = 8000 if codec == "aac" else 16000
    with av.open(str(path), "w") as out:
        st_ = out.add_stream(codec, rate=rate)
        fmt, dtype = ("fltp", np.float32) if codec == "aac" else ("s16", np.int16)
        fr = av.AudioFrame.from_ndarray(np.zeros((1, 1152), dtype), format=fmt, layout="mono")
        fr.sample_rate, fr.pts = rate, 0
        for pkt in [*st_.encode(fr), *st_.encode(None)]:
            out.mux(pkt)
    return path


# ------------------------------------------------------------ bad inputs

def _make_bad_input(kind: str, d: Path) -> Path:
    from PIL import Image
    if kind == "missing":
        return d / "missing.mp4"
    if kind == "directory":
        (d / "folder.mp4").mkdir()
        return d / "folder.mp4"
    if kind == "empty":
        (d / "empty.mp4").write_bytes(b"")
        return d / "empty.mp4"
    if kind == "text":
        (d / "notes.mp4").write_text("not a video\n" * 50)
        return d / "notes.mp4"
    if kind == "png":
        Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(d / "pic.mp4", format="PNG")
        return d / "pic.mp4"
    if kind == "jpeg":
        Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(d / "pic.mp4", format="JPEG")
        return d / "pic.mp4"
    if kind == "aac":
        return audio_only(d / "sound.mp4", "aac")
    if kind == "mp2":
        return audio_only(d / "sound.mka", "mp2")
    if kind == "random":
        (d / "noise.mkv").write_bytes(np.random.default_rng(0).integers(0, 256, 4000, np.uint8).tobytes())
        return d / "noise.mkv"
    if kind == "mp4_no_index":  # cut short, the index (moov) at the end is gone
        p = d / "full.mp4"
        make_video(p, n=N)
        data = p.read_bytes()
        (d / "cut.mp4").write_bytes(data[: len(data) * 3 // 10])
        return d / "cut.mp4"
    if kind == "avi_header_only":
        (d / "head.avi").write_bytes(b"RIFF\x00\x10\x00\x00AVI LIST" + b"\x00" * 200)
        return d / "head.avi"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind,match", [
    ("missing", "no such file"),
    ("directory", "directory"),
    ("empty", "empty"),
    ("text", "not a video"),
    ("png", "still image"),
    ("jpeg", "still image"),
    ("aac", "no video stream"),
    ("mp2", "no video stream"),
    ("random", "not a video"),
    ("mp4_no_index", "incomplete"),
    ("avi_header_only", "not a video"),
])
def test_bad_input_is_one_error_line_and_no_output(capsys, tmp_path, tiny_model_path, kind, match):
    src = _make_bad_input(kind, tmp_path)
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, src, "--model", tiny_model_path, "--out", out, "--gif")
    assert code == 1
    assert match in one_error(err)
    assert err.strip() == one_error(err) and stdout == ""
    assert not out.exists()


# ----------------------------------------------------- damaged but usable

def _damage(tmp_path: Path, name: str, how: str, **kw) -> Path:
    src = tmp_path / name
    make_video(src, n=N, size=(64, 48), **kw)
    data = bytearray(src.read_bytes())
    bad = tmp_path / f"{how}_{name}"
    if how == "cut":
        bad.write_bytes(bytes(data[: int(len(data) * 0.3)]))
    else:  # noise over 40%..50% of the bytes
        a, b = int(len(data) * 0.4), int(len(data) * 0.5)
        data[a:b] = np.random.default_rng(1).integers(0, 256, b - a, np.uint8).tobytes()
        bad.write_bytes(bytes(data))
    return bad


@pytest.mark.parametrize("name,how,kw", [
    ("v.mkv", "cut", {}),
    ("v.mp4", "cut", {"faststart": True}),
    ("m.avi", "cut", {"codec": "mjpeg"}),
    ("v.ts", "noise", {}),
    ("m.avi", "noise", {"codec": "mjpeg"}),
    ("v.mkv", "noise", {}),
])
def test_damaged_video_processes_what_decodes_and_warns_once(capsys, tmp_path, tiny_model_path,
                                                              name, how, kw):
    bad = _damage(tmp_path, name, how, **kw)
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, bad, "--model", tiny_model_path, "--out", out, "--batch", 4)
    assert code == 0
    n = decodable(bad)
    assert 0 < n < N
    warnings = [ln for ln in err.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1, err
    lost = int(re.match(r"warning: (\d+) frame\(s\) could not be decoded", warnings[0]).group(1))
    assert lost == N - n
    assert f"{n} frames in" in stdout
    check_outputs(out, bad.stem, n)


def test_cut_transport_stream_still_ends_cleanly(capsys, tmp_path, tiny_model_path):
    # MPEG-TS has no frame count or real duration in a header: the reader cannot tell
    # how much is missing, but it processes every frame that decodes.
    bad = _damage(tmp_path, "v.ts", "cut")
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, bad, "--model", tiny_model_path, "--out", out)
    assert code == 0 and "error:" not in err
    check_outputs(out, bad.stem, decodable(bad))


def _avi_with_count(tmp_path: Path, count: int, index: bool = True) -> Path:
    """An MJPEG AVI of 10 frames whose header claims `count` frames."""
    src = tmp_path / "h.avi"
    make_video(src, codec="mjpeg", n=10)
    d = bytearray(src.read_bytes())
    avih, strh = d.find(b"avih"), d.find(b"strh")
    struct.pack_into("<I", d, avih + 8 + 16, count)  # dwTotalFrames
    struct.pack_into("<I", d, strh + 8 + 32, count)  # dwLength
    if not index:
        d = d[: d.find(b"idx1")]
    p = tmp_path / f"claims{count}{'' if index else '_noidx'}.avi"
    p.write_bytes(bytes(d))
    return p


@pytest.mark.parametrize("count,index", [(1000, True), (1000, False), (0, True), (3, True)])
def test_wrong_header_frame_count(capsys, tmp_path, tiny_model_path, count, index):
    src = _avi_with_count(tmp_path, count, index)
    with av.open(str(src)) as c:
        assert c.streams.video[0].frames == count  # the lie is what the reader sees
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, src, "--model", tiny_model_path, "--out", out, "--batch", 3)
    assert code == 0 and "10 frames in" in stdout
    check_outputs(out, src.stem, 10)
    if count > 10:  # the shortfall against the header is reported, once
        assert [ln for ln in err.splitlines() if ln.startswith("warning:")] == [
            f"warning: {count - 10} frame(s) could not be decoded (damaged or cut-short file) "
            f"and were skipped; processed the 10 that decoded"]


def test_vfr_input_is_not_reported_as_damaged(capsys, tmp_path, tiny_model_path):
    src = tmp_path / "vfr.mkv"  # no frame count; gaps of 1-3 periods are real, not losses
    make_video(src, n=12, vfr=True)
    code, _, err = cli(capsys, src, "--model", tiny_model_path, "--out", tmp_path / "out", "--no-mp4")
    assert code == 0 and "warning" not in err


def test_longer_audio_track_is_not_a_cut_short_video(capsys, tmp_path, tiny_model_path):
    src = tmp_path / "talk.mkv"  # 10 video frames (0.4 s), 1 s of audio: the container says 1.15 s
    with av.open(str(src), "w") as out:
        v = out.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = out.add_stream("aac", rate=8000)
        for i in range(10):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 * i, np.uint8), format="rgb24")
            f.pts = i
            for pkt in v.encode(f):
                out.mux(pkt)
        for pkt in v.encode(None):
            out.mux(pkt)
        for k in range(8):
            fr = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            fr.sample_rate, fr.pts = 8000, k * 1024
            for pkt in a.encode(fr):
                out.mux(pkt)
        for pkt in a.encode(None):
            out.mux(pkt)
    out = tmp_path / "out"
    code, _, err = cli(capsys, src, "--model", tiny_model_path, "--out", out)
    assert code == 0 and "warning" not in err
    check_outputs(out, "talk", 10)


def test_no_frames_in_range_is_an_error_not_an_empty_output(capsys, tmp_path, tiny_model_path):
    src = tmp_path / "short.mp4"
    make_video(src, n=5)
    out = tmp_path / "out"
    code, _, err = cli(capsys, src, "--model", tiny_model_path, "--out", out, "--start", 60)
    assert code == 1 and "no frames" in one_error(err)
    assert files_in(out) == []


# ------------------------------------------------------------- bad models

@pytest.fixture(scope="module")
def bad_models(tmp_path_factory):
    import keras
    d = tmp_path_factory.mktemp("badmodels")
    keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(),
                      keras.layers.Dense(3, activation="softmax")]).save(d / "noconv.keras")
    keras.Sequential([keras.Input((10,)), keras.layers.Dense(3, activation="softmax")]).save(d / "vector.keras")
    (d / "text.keras").write_text("not a model\n")
    with zipfile.ZipFile(d / "zip.keras", "w") as z:
        z.writestr("hello.txt", "no config")
    (d / "folder.keras").mkdir()
    return d


@pytest.mark.parametrize("name,match", [
    ("missing.keras", "not found"),
    ("text.keras", "not a Keras model"),
    ("zip.keras", "cannot load model"),
    ("folder.keras", "directory"),
    ("noconv.keras", "no convolutional layer"),
    ("vector.keras", "not an RGB image"),
])
def test_bad_model_fails_before_any_output(capsys, tmp_path, bad_models, name, match):
    src = tmp_path / "clip.mp4"
    make_video(src, n=3)
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, src, "--model", bad_models / name, "--out", out, "--gif")
    assert code == 1 and match in one_error(err)
    assert err.strip() == one_error(err)
    assert not out.exists()


# -------------------------------------------------------------- bad flags

@pytest.fixture
def clip(tmp_path):
    src = tmp_path / "clip.mp4"
    make_video(src, n=3)
    return src


@pytest.mark.parametrize("flags,match", [
    (["--threshold", "0"], "--threshold"),
    (["--threshold", "1"], "--threshold"),
    (["--threshold", "1.5"], "--threshold"),
    (["--threshold", "-0.2"], "--threshold"),
    (["--threshold", "nan"], "--threshold"),
    (["--threshold", "abc"], "--threshold"),
    (["--batch", "0"], "--batch"),
    (["--batch", "-4"], "--batch"),
    (["--batch", "2.5"], "--batch"),
    (["--nobody", "1"], "--nobody"),
    (["--smooth", "-1"], "--smooth"),
    (["--start", "2", "--end", "1"], "--end"),
    (["--boxes", "some"], "--boxes"),
    (["--no-mp4", "--no-csv"], "nothing to write"),
])
def test_bad_flags_are_usage_errors(capsys, tmp_path, tiny_model_path, clip, flags, match):
    out = tmp_path / "out"
    code, _, err = cli(capsys, clip, "--model", tiny_model_path, "--out", out, *flags)
    assert code == 2 and match in one_error(err)
    assert not out.exists()


def test_out_not_writable(capsys, tmp_path, tiny_model_path, clip):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for out in (afile, afile / "sub"):  # root ignores chmod: a path under a file cannot be made
        code, _, err = cli(capsys, clip, "--model", tiny_model_path, "--out", out)
        assert code == 2 and "--out" in one_error(err)
    assert afile.read_text() == "x"


@pytest.mark.parametrize("out", ["/proc", "/sys"])
def test_out_that_takes_no_files_is_not_writable(capsys, tmp_path, tiny_model_path, clip, out):
    """Folders that exist but take no new files (as root too): one line naming the folder, nothing made."""
    if not Path(out).is_dir():
        pytest.skip(f"no {out} here")
    code, _, err = cli(capsys, clip, "--model", tiny_model_path, "--out", out, "--gif")
    line = one_error(err)
    assert code == 2 and "not writable" in line and out in line, line
    assert not [n for n in os.listdir(out) if "clip" in n or "videocam" in n]


def test_output_that_is_the_input_is_a_usage_error(capsys, tmp_path, tiny_model_path, clip):
    out = tmp_path / "out"
    out.mkdir()
    (out / "clip.cam.mp4").symlink_to(clip)
    before = clip.read_bytes()
    code, _, err = cli(capsys, clip, "--model", tiny_model_path, "--out", out)
    assert code == 2 and "overwrite the input" in one_error(err)
    assert clip.read_bytes() == before and files_in(out) == ["clip.cam.mp4"]


# -------------------------------------------------- unusual frames work

@pytest.mark.parametrize("name,codec,kw,pix", [
    ("gray.mkv", "ffv1", {"pix_fmt": "gray"}, "gray"),
    ("ten.mkv", "libx264", {"pix_fmt": "yuv420p10le"}, "yuv420p10le"),
    ("alpha.webm", "libvpx-vp9", {"pix_fmt": "yuva420p"}, None),  # alpha rides as side data
    ("alpha.mov", "png", {"pix_fmt": "rgba"}, "rgba"),
    ("alpha_rle.mov", "qtrle", {"pix_fmt": "argb"}, "argb"),
    ("small.mp4", "libx264", {"size": (32, 32)}, "yuv420p"),
    ("odd.mkv", "ffv1", {"size": (33, 17), "pix_fmt": "yuv444p"}, "yuv444p"),
    ("uhd.mp4", "libx264", {"size": (3840, 2160), "n": 2}, "yuv420p"),
])
def test_pixel_formats_and_sizes_end_to_end(capsys, tmp_path, tiny_model_path, name, codec, kw, pix):
    src = tmp_path / name
    n = kw.pop("n", 4)
    make_video(src, codec=codec, n=n, **kw)
    if pix:
        with av.open(str(src)) as c:
            assert c.streams.video[0].codec_context.pix_fmt == pix
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, src, "--model", tiny_model_path, "--out", out, "--gif", "--batch", 2)
    assert code == 0 and "warning" not in err, err
    check_outputs(out, src.stem, n, gif=True)
    w, h = kw.get("size", (64, 48))
    with av.open(str(out / f"{src.stem}.cam.mp4")) as c:
        cc = c.streams.video[0].codec_context
        assert (cc.width, cc.height) == (w - w % 2, h - h % 2)


# ------------------------------------------------- nothing half-written

def test_failure_mid_run_leaves_no_file_with_a_final_name(capsys, tmp_path, tiny_model_path, monkeypatch):
    from videocam.model.cam_model import CamModel
    src = tmp_path / "clip.mp4"
    make_video(src, n=24)
    forward = CamModel.probs_and_cams
    calls = []

    def failing(self, x):
        calls.append(1)
        if len(calls) > 2:
            raise RuntimeError("simulated failure\nwith a second line")
        return forward(self, x)

    monkeypatch.setattr(CamModel, "probs_and_cams", failing)
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, src, "--model", tiny_model_path, "--out", out, "--gif", "--batch", 4)
    assert code == 1
    assert one_error(err) == ("error: unexpected RuntimeError: simulated failure with a second line "
                              "(VIDEOCAM_DEBUG=1 shows the traceback)")
    assert files_in(out) == []  # not even the .part files


@pytest.mark.parametrize("target", ["videocam.io.writers.Mp4Writer.write", "videocam.io.csvfile.CsvWriter.write"])
def test_disk_full_mid_run_is_one_line_and_cleans_up(capsys, tmp_path, tiny_model_path, monkeypatch,
                                                     target):
    import importlib
    modname, cls, meth = target.rsplit(".", 2)
    klass = getattr(importlib.import_module(modname), cls)
    real = getattr(klass, meth)
    seen = []

    def write(self, *a, **k):
        seen.append(1)
        if len(seen) > 5:
            raise OSError(28, "No space left on device")
        return real(self, *a, **k)

    monkeypatch.setattr(klass, meth, write)
    src = tmp_path / "clip.mp4"
    make_video(src, n=16)
    out = tmp_path / "out"
    code, _, err = cli(capsys, src, "--model", tiny_model_path, "--out", out, "--gif", "--batch", 4)
    assert code == 1 and "No space left on device" in one_error(err)
    assert files_in(out) == []


# ------------------------------------------------------------------ signals

@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    p = tmp_path_factory.mktemp("long") / "long.mp4"
    make_video(p, n=1000, size=(64, 48))  # 40 s at 25 fps
    return p


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_mid_run_finishes_what_is_in_flight(tmp_path, tiny_model_path, long_clip, sig, code):
    out = tmp_path / "out"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen(
        [sys.executable, "-m", "videocam.cli.main", "run", str(long_clip), "--model", str(tiny_model_path),
         "--out", str(out), "--gif", "--batch", "4"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        cwd=Path(__file__).resolve().parents[1])
    part = out / ".long.cam.part.csv"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if part.exists() and part.read_text().count("\n") > 12:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before the signal"
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr and "error:" not in stderr and "warning:" not in stderr
    m = re.search(rf"interrupted \({sig.name}\): wrote (\d+) frames", stdout)
    assert m, stdout
    n = int(m.group(1))
    assert 12 <= n < 1000
    check_outputs(out, "long", n, gif=True, partial=True)  # an interrupted run's files say so
    import imageio.v3 as iio
    assert iio.imread(out / "long.cam.partial.gif", index=None).shape[0] >= 2
    rows = read_csv(out / "long.cam.partial.csv").rows
    np.testing.assert_allclose([r.time_s for r in rows], np.arange(n) / 25.0, atol=1e-3)


# -------------------------------------------------------- bounded memory

@pytest.mark.benchmark
def test_memory_does_not_grow_with_video_length(tmp_path):
    """Peak RSS for N and 10N frames within 10%; with a GIF, flat once the GIF's frame cap is reached."""
    from videocam.studies.membench import run
    res = run(frames=150, factor=10, size=(320, 240), gif=False, workdir=tmp_path)
    print(res.describe())
    assert res.ratio <= 1.10, res.describe()
    # The GIF keeps up to GIF_MAX_FRAMES quantised frames: 1500 frames at 25 fps already
    # reach it (60 s at 10 fps), so 3000 must not need more.
    res = run(frames=1500, factor=2, size=(320, 240), gif=True, workdir=tmp_path)
    print(res.describe())
    assert res.ratio <= 1.05, res.describe()


# ------------------------------------------------------ pure-part properties

@settings(max_examples=60, deadline=None)
@given(gaps=st.lists(st.integers(1, 4), min_size=1, max_size=40),
       fps=st.sampled_from([10.0, 23.976, 25.0, 30.0, 59.94]))
def test_timeline_counts_the_frames_missing_from_a_constant_rate(gaps, fps):
    from videocam.io.reader import _Timeline
    period = 1.0 / fps
    tl = _Timeline()
    k = 0
    tl.add(0.0, period)
    for g in gaps:
        k += g
        tl.add(k * period, period)
    missing = sum(g - 1 for g in gaps)
    if tl.regular():
        assert tl.gap_frames == missing
    else:  # too irregular to call it constant rate: then it must be quite irregular
        assert sum(g != 1 for g in gaps) > 0.2 * len(gaps)


@settings(max_examples=60, deadline=None)
@given(gap=st.floats(0, 100, allow_nan=False), period=st.floats(0.001, 1.0))
def test_missing_is_never_negative_and_one_period_is_none(gap, period):
    from videocam.io.reader import _missing
    m = _missing(gap, period)
    assert m >= 0
    assert _missing(period, period) == 0
    assert m <= gap / period


@settings(max_examples=60, deadline=None)
@given(cam=st.lists(st.floats(-5, 50, allow_nan=False, width=32)
                    # no CAM is ever 1e-40: such values underflow to 0 when scaled and stop being evidence
                    .map(lambda v: 0.0 if abs(v) < 1e-6 else v), min_size=4, max_size=64),
       scale=st.floats(0.01, 100))
def test_cam_normalisation_bounds_and_scale_invariance(cam, scale):
    from videocam.model.cam import normalize
    x = np.asarray(cam, np.float32).reshape(2, -1) if len(cam) % 2 == 0 else np.asarray(cam, np.float32)[None]
    for norm in ("max", "minmax"):
        y = normalize(x, norm)
        assert y.shape == x.shape and np.all(np.isfinite(y)) and y.max() <= 1 + 1e-5
        np.testing.assert_allclose(normalize(x * np.float32(scale), norm), y, atol=1e-4)
    mx, mm = normalize(x, "max"), normalize(x, "minmax")
    assert mm.min() >= -1e-6
    if x.max() > 0:  # the paper's rule: divide by the peak, negative evidence stays negative
        assert math.isclose(float(mx.max()), 1.0, abs_tol=1e-5)
        np.testing.assert_allclose(mx * x.max(), x, rtol=1e-5, atol=1e-4)
    else:
        assert not mx.any()


def test_a_bad_flag_value_names_the_flag_once(capsys):
    """Not "argument --threshold: --threshold must be ...": the flag, once, then what is wrong."""
    from videocam.cli.main import main
    with pytest.raises(SystemExit) as e:
        main(["run", "whatever.mp4", "--threshold", "2"])
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2 and err.startswith("error: --threshold must be") and err.count("--threshold") == 1
