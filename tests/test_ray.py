"""`--engine ray` on a local Ray with 2 CPUs: chunked videos join to a single run, a bad file
fails alone, and a worker killed in the middle is restarted and its chunk run again."""
from __future__ import annotations

import logging
import os
import signal

import pytest

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install -e ".[ray]")')

from test_many import decoded_times, read_rows, same_rows, shots_video  # noqa: E402

from videocam.pipeline.many import process_videos  # noqa: E402
from videocam.pipeline.process import process_video  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module (2 CPUs, no dashboard, quiet); shut down at the end."""
    assert not ray.is_initialized()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # nothing reaches the network
    os.environ.setdefault("RAY_worker_niceness", "0")  # as videocam's own local Ray (ray_engine.connect)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    yield
    ray.shutdown()
    assert not ray.is_initialized()


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    d = tmp_path_factory.mktemp("rayvids")
    long_times = shots_video(d / "long.mp4", n=120)
    short_times = shots_video(d / "short.mp4", n=20, size=(64, 48))
    (d / "bad.mp4").write_bytes(b"\x00" * 100)
    return d, {"long": long_times, "short": short_times}


@pytest.fixture(scope="module")
def single(tiny_model, videos, tmp_path_factory):
    """The single-process CSVs to compare with."""
    d, _ = videos
    out = tmp_path_factory.mktemp("single")
    return {n: read_rows(process_video(d / f"{n}.mp4", model=tiny_model, out_dir=out, mp4=False, smooth=3,
                                       handle_signals=False).outputs["csv"])
            for n in ("long", "short")}


def _check_outputs(out, videos, single):
    _, times = videos
    for name in ("long", "short"):
        same_rows(read_rows(out / f"{name}.cam.csv"), single[name])
        assert decoded_times(out / f"{name}.cam.mp4") == pytest.approx(times[name], abs=1e-4)
    assert not list(out.rglob("*.part.*")) and not (out / ".chunks").exists()


def test_ray_chunks_join_and_a_bad_file_fails_alone(local_ray, tiny_model_path, videos, single, tmp_path):
    d, _ = videos
    errors, chunks = [], []
    s = process_videos([d / "long.mp4", d / "bad.mp4", d / "short.mp4"], engine="ray", model=tiny_model_path,
                       out_dir=tmp_path, workers=2, chunk_s=1.2, smooth=3, on_error=errors.append,
                       warn=lambda m: None, on_event=lambda kind, **i: chunks.append(i) if kind == "chunk" else None)
    assert [(r.name, r.outcome, r.frames) for r in s.rows] == [
        ("long", "ok", 120), ("bad", "failed", None), ("short", "ok", 20)]
    assert len(errors) == 1 and "bad.mp4" in errors[0]
    assert s.exit_code == 1
    long_chunks = [i["chunk"] for i in chunks if i["chunk"].name == "long"]
    assert len(long_chunks) >= 3 and any(c.read_from for c in long_chunks)  # cut, with warm-ups
    # chunks ran in the workers, not the driver (how many of the two workers got work depends on
    # when each finished loading the model: work starts on the first ready one, so it is not asserted)
    pids = {i["result"]["pid"] for i in chunks}
    assert pids and os.getpid() not in pids
    _check_outputs(tmp_path, videos, single)
    assert (tmp_path / "index.csv").is_file()


def test_ray_worker_killed_mid_run_is_retried(local_ray, tiny_model_path, videos, single, tmp_path, capfd):
    d, _ = videos
    killed, warnings = [], []

    def on_event(kind, **info):
        # after the first chunk ends, kill the process of a worker that is still busy with one
        if kind == "chunk" and not killed and info["busy"]:
            os.kill(info["busy"][0], signal.SIGKILL)
            killed.append(info["busy"][0])

    s = process_videos([d / "long.mp4", d / "short.mp4"], engine="ray", model=tiny_model_path,
                       out_dir=tmp_path, workers=2, chunk_s=0.8, smooth=3, on_error=pytest.fail,
                       warn=warnings.append, on_event=on_event)
    assert killed, "no worker was busy to kill"
    assert any("Ray worker died" in w for w in warnings)
    assert s.exit_code == 0 and [r.outcome for r in s.rows] == ["ok", "ok"]
    assert any("restarted" in n for n in s.notes)
    _check_outputs(tmp_path, videos, single)
    out, err = capfd.readouterr()
    assert "raylet" not in out + err  # Ray's own messages stay off the terminal


def test_ray_bad_model_is_one_error(local_ray, videos, tmp_path):
    from videocam.errors import VideocamError
    d, _ = videos
    bad = tmp_path / "model.keras"
    bad.write_text("not a model")
    with pytest.raises(VideocamError, match="model"):
        process_videos([d / "short.mp4"], engine="ray", model=bad, out_dir=tmp_path / "out", workers=1,
                       on_error=pytest.fail, warn=lambda m: None)
    assert not (tmp_path / "out" / "short.cam.csv").exists()
