"""`--engine ray` on a local Ray with 2 CPUs: chunked videos join to a single run with its run info, a bad
file fails alone, a worker killed in the middle is restarted and its chunk run again, workers fit the
nodes, nothing waits without end, every node checks the files first, and a run whose nodes are all
lost keeps what is finished. (A real two-node cluster: test_ray_cluster.py.)"""
from __future__ import annotations

import csv
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install -e ".[ray]")')

from test_many import decoded_times, read_rows, same_rows, shots_video

from videocam.errors import UsageError, VideocamError
from videocam.pipeline import ray_engine
from videocam.pipeline.many import process_videos
from videocam.pipeline.process import process_video


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
    info = json.loads((tmp_path / "long.cam.json").read_text())
    assert info["run"]["complete"] and info["run"]["frames"] == 120 and info["settings"]["smooth"] == 3
    assert info["settings"]["start"] == 0.0 and info["outputs"]["csv"]["file"] == "long.cam.csv"
    assert len(info["chunks"]) == len(long_chunks) and all(c["node"] and c["seconds"] >= 0 for c in info["chunks"])
    assert sum(c["frames"] for c in info["chunks"]) == 120
    with open(tmp_path / "index.csv", newline="") as fh:
        index = {r["name"]: r for r in csv.DictReader(fh)}
    assert index["long"]["nodes"] == info["chunks"][0]["node"] and index["bad"]["nodes"] == ""


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


def test_workers_fit_the_nodes_own_cpus():
    assert ray_engine.size_workers([1, 1]) == (1.0, 2, None)  # not one 2-CPU worker that no node holds
    assert ray_engine.size_workers([2]) == (2.0, 1, None)
    assert ray_engine.size_workers([4, 2]) == (2.0, 3, None)
    assert ray_engine.size_workers([1, 1], workers=2) == (1.0, 2, None)
    assert ray_engine.size_workers([8, 1], workers=2) == (4.0, 2, None)
    cpus, n, note = ray_engine.size_workers([1, 1], workers=3)
    assert (cpus, n) == (1.0, 2) and "hold 2" in note
    assert ray_engine.size_workers([0, 1]) == (1.0, 1, None)  # a head without CPUs runs none
    with pytest.raises(UsageError, match="largest Ray node has 1"):
        ray_engine.size_workers([1, 1], worker_cpus=2)
    with pytest.raises(UsageError, match="no node with a CPU"):
        ray_engine.size_workers([0])


def test_nothing_started_within_the_timeout_is_one_error(local_ray, tiny_model_path, videos, tmp_path, monkeypatch):
    d, _ = videos
    hold = ray.remote(num_cpus=2)(threading.Event).remote()  # another job's actor holds both CPUs
    ray.get(hold.is_set.remote())
    monkeypatch.setattr(ray_engine, "START_TIMEOUT_S", 3.0)
    try:
        t0 = time.monotonic()
        with pytest.raises(VideocamError, match=r"no Ray worker started within 3 s \(1 asked for, 2 CPU"):
            process_videos([d / "short.mp4"], engine="ray", model=tiny_model_path, out_dir=tmp_path, workers=1,
                           on_error=pytest.fail, warn=lambda m: None)
        assert time.monotonic() - t0 < 60
    finally:
        ray.kill(hold)
    with open(tmp_path / "index.csv", newline="") as fh:
        assert [r["outcome"] for r in csv.DictReader(fh)] == ["not run"]


def test_each_node_checks_it_reads_the_inputs_and_writes_out(local_ray, videos, tmp_path):
    d, _ = videos
    token = "t0k3n"
    assert ray_engine._probe([str(d / "short.mp4")], str(tmp_path), token)["problem"] == (
        f"{tmp_path} is not the driver's folder (it does not see the driver's probe file)")
    (tmp_path / f"{ray_engine.PROBE_NAME}-{token}").write_bytes(b"")
    found = ray_engine._probe([str(d / "short.mp4")], str(tmp_path), token)
    assert found["problem"] is None and found["node"] == ray.get_runtime_context().get_node_id()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{ray_engine.PROBE_NAME}-{token}"]  # its own file went
    assert ray_engine._probe([str(d / "gone.mp4")], str(tmp_path), token)["problem"].startswith(
        f"cannot read {d / 'gone.mp4'}: No such file")
    assert ray_engine._probe([], str(tmp_path / "nowhere"), token)["problem"].startswith(
        f"cannot write {tmp_path / 'nowhere'}: No such file")


def test_every_node_lost_keeps_the_finished_chunks_as_partial(local_ray, tiny_model_path, videos, single, tmp_path,
                                                              monkeypatch):
    """The driver hears that the only node left the cluster once the long video's first chunk is back:
    its workers go, the run ends in one error, and that chunk is kept under the partial names."""
    d, _ = videos
    lost = []
    refresh = ray_engine._Nodes.refresh

    def nodes_refresh(self):
        refresh(self)
        if lost:
            self.alive, self.cpus = set(), {}
        return self.alive

    def on_event(kind, **info):
        if kind == "chunk" and info["chunk"].name == "long" and info["chunk"].index == 0:
            lost.append(info["result"]["frames"])

    monkeypatch.setattr(ray_engine._Nodes, "refresh", nodes_refresh)
    # the driver looks at the nodes on every turn of its loop, so it hears of the loss before the
    # next chunk is back (at the default 1 s the run could finish first on a fast or busy machine)
    monkeypatch.setattr(ray_engine, "NODE_POLL_S", 0.0)
    warnings = []
    with pytest.raises(VideocamError, match=r"every Ray node running workers was lost \(.+\): 2 video\(s\) not "
                                            r"finished .*long\.cam\.partial\.csv"):
        process_videos([d / "long.mp4", d / "short.mp4"], engine="ray", model=tiny_model_path, out_dir=tmp_path,
                       workers=1, chunk_s=0.8, smooth=3, mp4=False, on_error=pytest.fail, warn=warnings.append,
                       on_event=on_event)
    assert lost and any("was lost" in w for w in warnings)
    kept = read_rows(tmp_path / "long.cam.partial.csv")
    assert len(kept) - 1 >= lost[0]
    same_rows(kept, single["long"][:len(kept)])
    info = json.loads((tmp_path / "long.cam.partial.json").read_text())
    assert info["run"]["complete"] is False and info["run"]["frames"] == len(kept) - 1
    assert not (tmp_path / "long.cam.csv").exists() and not (tmp_path / ".chunks").exists()
    with open(tmp_path / "index.csv", newline="") as fh:
        assert [r["outcome"] for r in csv.DictReader(fh)] == ["failed", "failed"]


def test_cli_on_ray_from_a_folder_holding_a_videocam_folder(tiny_model_path, videos, tmp_path):
    """The workers import the installed package, not the `videocam/` folder where the command runs;
    relative paths work; a failing video gets its error line; a video run in chunks gets its run info."""
    d, _ = videos
    (tmp_path / "videocam").mkdir()
    (tmp_path / "videocam" / "__init__.py").write_text("raise ImportError('this folder, not the package')\n")
    (tmp_path / "in").mkdir()
    for name in ("short.mp4", "bad.mp4"):
        shutil.copy(d / name, tmp_path / "in" / name)
    shutil.copy(tiny_model_path, tmp_path / "tiny.keras")
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    p = subprocess.run([str(Path(sys.executable).parent / "videocam"), "run", "in/short.mp4", "in/bad.mp4",
                        "--engine", "ray", "--out", "out", "--model", "tiny.keras", "--workers", "1"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert p.returncode == 1, p.stderr
    errors = [line for line in p.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: in/bad.mp4: "), p.stderr
    assert (tmp_path / "out" / "short.cam.csv").is_file() and (tmp_path / "out" / "short.cam.mp4").is_file()
    info = json.loads((tmp_path / "out" / "short.cam.json").read_text())
    assert info["input"] == str(tmp_path / "in" / "short.mp4") and info["chunks"][0]["node"]
    assert info["model"]["path"] == str(tmp_path / "tiny.keras")
