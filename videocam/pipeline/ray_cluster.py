"""The Ray cluster as `--engine ray` sees it: connecting, its nodes and their CPUs, and the check that
every node reads the inputs and writes `--out` before any chunk runs (`videocam.pipeline.ray_engine`
runs the videos on it)."""
from __future__ import annotations

import logging
import os
import tempfile
import uuid
from pathlib import Path

from videocam.errors import UsageError, VideocamError, first_line

INSTALL_HINT = 'pip install -e ".[ray]" (or: pip install ray)'
# CPUs per worker by default (at most: a worker fits the smallest node with CPUs). A worker's pipeline
# already keeps more than one core busy (reader, model, drawing, encoder threads): on the 2-core machine
# one worker holding both CPUs ran the 8-video archive's chunks in 32-37 s against 38-39 s for two
# workers of one CPU each, and started sooner (one TensorFlow import, not two at once); scripts/ray_bench.py.
DEFAULT_WORKER_CPUS = 2
PROBE_NAME = ".videocam-probe"  # under --out: the driver's file every node must see, and each node's own
# Seconds the driver waits for the cluster to start something (the nodes' checks, the videos' scans,
# the first worker with its model loaded, a worker to replace lost ones) before it gives up with one
# error. A worker starts Python, imports TensorFlow and loads the model: 6-15 s on the 2-core machine
# (two nodes starting at once: 14 s); a cold or busy node can take several times that. Past 3 minutes
# the wait is for CPUs that other jobs hold, which `ray status` shows.
START_TIMEOUT_S = 180.0


def require_ray():
    try:
        import ray
    except ImportError:
        raise UsageError(f"--engine ray needs Ray, which is not installed: {INSTALL_HINT}") from None
    return ray


def _node_id() -> str:
    import ray
    return ray.get_runtime_context().get_node_id()


def _probe(videos: list[str], out_dir: str, token: str) -> dict:
    """On one node: can it read every input and write `--out`, and is `--out` the driver's (it sees
    the driver's probe file)? Returns the node and the first problem, or None."""
    import socket
    node, problem = _node_id(), None
    try:
        for v in videos:
            try:
                with open(v, "rb") as fh:
                    fh.read(1)
            except OSError as e:
                problem = f"cannot read {v}: {e.strerror or e}"
                break
        if problem is None:
            out = Path(out_dir)
            mine = out / f"{PROBE_NAME}-{token}-{socket.gethostname()}-{os.getpid()}"
            try:
                mine.write_bytes(b"")
                mine.unlink()
            except OSError as e:
                problem = f"cannot write {out_dir}: {e.strerror or e}"
            else:
                if not (out / f"{PROBE_NAME}-{token}").exists():
                    problem = f"{out_dir} is not the driver's folder (it does not see the driver's probe file)"
    except Exception as e:  # noqa: BLE001
        problem = f"unexpected {type(e).__name__}: {first_line(e)}"
    return {"node": node, "problem": problem}


def size_workers(node_cpus: list[float], workers: int | None = None,
                 worker_cpus: float | None = None) -> tuple[float, int, str | None]:
    """(CPUs per worker, how many workers, a note) for nodes with these CPU counts.

    A worker's CPUs must fit one node: the default is `DEFAULT_WORKER_CPUS`, at most the smallest
    node with a CPU (two 1-CPU nodes: 1-CPU workers, not one 2-CPU worker that no node can hold);
    with `workers`, an equal share of all CPUs, at most the largest node. As many workers as the
    nodes hold (with `workers`: that many, or fewer when fewer fit, said in the note)."""
    cpus = [float(c) for c in node_cpus if c and float(c) >= 1]
    if not cpus:
        raise UsageError("the Ray cluster has no node with a CPU to run a worker on")
    if worker_cpus is not None:
        worker_cpus = float(worker_cpus)
        if worker_cpus > max(cpus):
            raise UsageError(f"a worker needs {worker_cpus:g} CPUs, but the largest Ray node has {max(cpus):g}: "
                             "it could never start")
    elif workers:
        worker_cpus = float(max(1, min(int(max(cpus)), int(sum(cpus) // int(workers)))))
    else:
        worker_cpus = float(min(DEFAULT_WORKER_CPUS, int(min(cpus))))
    fit = sum(int(c // worker_cpus + 1e-9) for c in cpus)
    note = None
    n = fit
    if workers:
        n = min(int(workers), fit)
        if n < int(workers):
            note = (f"{workers} workers of {worker_cpus:g} CPU(s) asked for, but the nodes' CPUs "
                    f"({', '.join(f'{c:g}' for c in cpus)}) hold {fit}: running {fit}")
    return worker_cpus, n, note


def connect(address: str | None = None, num_cpus: int | None = None) -> bool:
    """Connect to Ray, quietly; True when this call started it (then the caller shuts it down)."""
    ray = require_ray()
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # Ray reports usage online unless told not to
    # Ray starts its workers at nice 15, below everything else on the machine; a local run's
    # workers do the work the one-process run does at nice 0 (measured on a shared 2-core
    # machine: 2.1x the one-process wall time at nice 15). RAY_worker_niceness=15 restores Ray's.
    os.environ.setdefault("RAY_worker_niceness", "0")
    quiet = {"log_to_driver": False, "logging_level": logging.ERROR, "include_dashboard": False}
    try:
        # Ray puts the driver's working directory first on every worker's sys.path, unless the job has
        # a working_dir: an empty one keeps a `videocam/` folder there (a clone) from shadowing the package
        with tempfile.TemporaryDirectory(prefix="videocam-ray-") as empty:
            quiet["runtime_env"] = {"working_dir": empty}
            if address:
                ray.init(address=address, **quiet)
            else:
                ray.init(num_cpus=num_cpus, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as e:
        where = f"Ray at {address}" if address else "a local Ray"
        raise UsageError(f"cannot start or reach {where}: {first_line(e)}") from None
    return True


class _Nodes:
    """The cluster's nodes: a name for each (its IP address, with the node id's start where two share
    one), and which are alive."""

    def __init__(self, ray):
        self.ray = ray
        self.names: dict[str, str] = {}
        self.alive: set[str] = set()
        self.cpus: dict[str, float] = {}
        self.refresh()

    def refresh(self) -> set[str]:
        nodes = self.ray.nodes()
        ips = [n.get("NodeManagerAddress", "?") for n in nodes]
        for n, ip in zip(nodes, ips):
            self.names[n["NodeID"]] = ip if ips.count(ip) == 1 else f"{ip} ({n['NodeID'][:8]})"
        self.alive = {n["NodeID"] for n in nodes if n.get("Alive")}
        self.cpus = {n["NodeID"]: float(n.get("Resources", {}).get("CPU", 0)) for n in nodes if n.get("Alive")}
        return self.alive

    def name(self, node_id: str | None) -> str:
        if node_id and node_id not in self.names:
            self.refresh()
        return self.names.get(node_id or "", node_id or "?")


def _check_storage(ray, nodes: _Nodes, videos: list[str], out_dir: str, on_error) -> None:
    """Every node can read every input and write `--out`, the driver's folder (`_probe`), before any chunk runs."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    token = uuid.uuid4().hex[:12]
    mark = Path(out_dir) / f"{PROBE_NAME}-{token}"
    mark.write_bytes(b"")
    try:
        probe = ray.remote(num_cpus=0, max_retries=0)(_probe)
        refs = [probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False))
                .remote(videos, out_dir, token) for node in sorted(nodes.alive)]
        try:
            found = ray.get(refs, timeout=START_TIMEOUT_S)
        except ray.exceptions.GetTimeoutError:
            raise VideocamError(f"the Ray nodes did not check the inputs and --out within {START_TIMEOUT_S:.0f} s "
                                "(`ray status` shows what the cluster is waiting for)") from None
        except ray.exceptions.RayError as e:
            raise VideocamError(f"a Ray node failed checking the inputs and --out: {first_line(e)}") from None
    finally:
        mark.unlink(missing_ok=True)
    bad = [f"Ray node {nodes.name(f['node'])}: {f['problem']} (every node needs the inputs, the model and "
           f"--out at the same paths)" for f in found if f["problem"]]
    if bad:
        for msg in bad[:-1]:
            on_error(msg)
        raise VideocamError(bad[-1])
