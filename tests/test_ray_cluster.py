"""`--engine ray` on a real two-node Ray cluster: two 1-CPU nodes, each in a network namespace of
this machine (tests/netns_cluster.py; root only, skipped elsewhere), the driver the installed
`videocam` command in the head's namespace, run from a folder holding a `videocam/` folder, with
relative paths. Its CSVs equal single local runs byte for byte (`--steady 0`), both nodes run chunks
and the run info says which ran what; a node without the shared folder is one error; a node lost
mid-run costs only its own chunks."""
from __future__ import annotations

import csv
import json
import shutil
import time

import pytest

pytest.importorskip("ray", reason='Ray is not installed (pip install -e ".[ray]")')

from netns_cluster import HIDDEN, Cluster, Unavailable
from test_many import shots_video

from videocam.pipeline.process import process_video

NAMES = ("a", "b", "c")
STEADY = ["--steady", "0"]  # the steady stage looks ahead over chunk bounds: off, the chunks join byte for byte


@pytest.fixture(scope="module")
def cluster():
    c = Cluster((1, 1))
    try:
        c.start()
    except Unavailable as e:
        pytest.skip(f"no two-node cluster here: {e}")
    try:
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def work(tmp_path_factory, tiny_model_path):
    """The folder the driver runs in: in/{a,b,c}.mp4, a bad file, the model, and a `videocam/` folder
    that would break the workers if they imported it."""
    d = tmp_path_factory.mktemp("cluster")
    (d / "in").mkdir()
    for name, n in zip(NAMES, (200, 150, 100)):
        shots_video(d / "in" / f"{name}.mp4", n=n, size=(160, 120))
    (d / "in" / "bad.mp4").write_bytes(b"\x00" * 100)
    (d / "videocam").mkdir()
    (d / "videocam" / "__init__.py").write_text("raise ImportError('this folder, not the package')\n")
    shutil.copy(tiny_model_path, d / "tiny.keras")
    return d


@pytest.fixture(scope="module")
def single(work, tiny_model, tmp_path_factory):
    """The CSV bytes of each video run alone, locally."""
    out = tmp_path_factory.mktemp("single")
    return {n: process_video(work / "in" / f"{n}.mp4", model=tiny_model, out_dir=out, mp4=False, steady=0,
                             handle_signals=False).outputs["csv"].read_bytes() for n in NAMES}


def _run(cluster, work, out, more=()):
    return cluster.videocam(["run", *(f"in/{n}.mp4" for n in NAMES), *more, "--engine", "ray", "--address",
                             cluster.address, "--out", out, "--model", "tiny.keras", "--chunk", "1", *STEADY],
                            cwd=work)


def _chunks(out):
    return {n: json.loads((out / f"{n}.cam.json").read_text())["chunks"] for n in NAMES}


def test_two_nodes_run_the_chunks_and_say_where(cluster, work, single):
    p = _run(cluster, work, "out", ["in/bad.mp4"])
    stdout, stderr = p.communicate(timeout=300)
    out = work / "out"
    assert p.returncode == 1, stderr  # the bad file
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: in/bad.mp4: "), stderr
    for n in NAMES:
        assert (out / f"{n}.cam.csv").read_bytes() == single[n], n
        assert (out / f"{n}.cam.mp4").is_file()
    chunks = _chunks(out)
    assert {c["node"] for cs in chunks.values() for c in cs} == set(cluster.ips)  # both nodes ran chunks
    assert all(c["seconds"] > 0 and c["frames"] > 0 for cs in chunks.values() for c in cs)
    with open(out / "index.csv", newline="") as fh:
        index = {r["name"]: r for r in csv.DictReader(fh)}
    for n in NAMES:
        assert set(index[n]["nodes"].split()) == {c["node"] for c in chunks[n]}
    assert index["bad"]["outcome"] == "failed" and index["bad"]["nodes"] == ""
    assert "Ray: joined" in stdout
    assert not list(out.glob(".videocam-probe*")) and not (out / ".chunks").exists()


def test_a_node_without_the_shared_folder_is_one_error(cluster, work):
    """The second node sees an empty folder where the driver's node has the input: nothing runs."""
    video = HIDDEN / "a.mp4"
    shutil.copy(work / "in" / "a.mp4", video)
    t0 = time.monotonic()
    p = cluster.videocam(["run", str(video), "--engine", "ray", "--address", cluster.address, "--out", "hidden",
                          "--model", "tiny.keras"], cwd=work)
    _, stderr = p.communicate(timeout=300)
    assert p.returncode == 1
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert errors == [(f"error: Ray node {cluster.ips[1]}: cannot read {video}: No such file or directory (every "
                       f"node needs the inputs, the model and --out at the same paths)")], stderr
    assert not (work / "hidden" / "a.cam.csv").exists() and time.monotonic() - t0 < 120


def test_a_node_lost_mid_run_costs_only_its_chunks(cluster, work, single):
    """Every process of the second node is killed while it runs a chunk (the last test: the node stays lost)."""
    p = _run(cluster, work, "lost")
    t0 = time.monotonic()
    while not cluster.busy(1) and p.poll() is None and time.monotonic() - t0 < 180:
        time.sleep(0.05)
    assert p.poll() is None, f"the run ended before the second node ran a chunk: {p.communicate()}"
    cluster.kill_node(1)
    _, stderr = p.communicate(timeout=300)
    out = work / "lost"
    assert p.returncode == 0, stderr
    lost = [line for line in stderr.splitlines() if line.startswith("warning: Ray node")]
    head = f"warning: Ray node {cluster.ips[1]} was lost; retrying its chunks on {cluster.ips[0]}: "
    assert len(lost) == 1 and lost[0].startswith(head), stderr
    assert " chunk " in lost[0]
    for n in NAMES:
        assert (out / f"{n}.cam.csv").read_bytes() == single[n], n
    nodes = [c["node"] for cs in _chunks(out).values() for c in cs]
    assert cluster.ips[0] in nodes  # chunks that finished on the lost node before it went are kept
