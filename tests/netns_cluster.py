"""A Ray cluster of several nodes on one machine, each node in a network namespace of its own (root only).

Two raylets on one machine cannot form a cluster over loopback (Ray turns 127.0.0.1 into the machine's
address), but namespaces can: each gets a veth pair onto a bridge (no address in the root namespace, so
traffic stays among the namespaces) and an address in a private /24. The head runs in the first
namespace and so does the driver (`run`); the other nodes join it. Ray 2.60 authenticates with a token
by default: every process gets `RAY_AUTH_MODE=token` and they share `~/.ray/auth_token`.

`HIDDEN` is a folder every node but the last sees: the last one is started with an empty folder bound
over it (`ip netns exec` binds `/etc/netns/<ns>/<entry>` over `/etc/<entry>`), a node without the
shared storage.

Names are fixed (`vctA`, `vctB`, ..., bridge `vctbr`) so that what a crashed run left is found and removed
before a new cluster starts; `close()` kills every process the cluster started (its process groups,
then whatever still runs in the namespaces) and removes the namespaces and links, whatever happened.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PREFIX = "vct"
SUBNET = "10.213.7"
PORT = 6379  # inside the head's namespace: no clash with anything on the machine
BIN = Path(sys.executable).parent
# The head declares a node dead after 3 failed health checks 0.5 s apart (Ray's default: about 15 s), so a
# lost node is noticed in seconds.
HIDDEN = Path("/etc") / f"{PREFIX}-hidden"
HEAD_ENV = {"RAY_health_check_period_ms": "500", "RAY_health_check_timeout_ms": "1000",
            "RAY_health_check_failure_threshold": "3"}


class Unavailable(Exception):
    """Namespaces cannot be made here (not root, no `ip`, no Ray): the reason."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


def _ns_pids(ns: str) -> list[int]:
    p = _ip("netns", "pids", ns, check=False)
    return [int(x) for x in p.stdout.split()] if p.returncode == 0 else []


def _kill_ns(ns: str) -> None:
    for _ in range(20):
        pids = [p for p in _ns_pids(ns) if p != os.getpid()]
        if not pids:
            return
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


def cleanup(names: list[str] | None = None) -> None:
    """Remove the namespaces, links and processes of a cluster, this one's or a crashed run's."""
    listed = _ip("netns", "list", check=False).stdout.split()
    for ns in names or [n for n in listed if n.startswith(PREFIX) and len(n) == len(PREFIX) + 1]:
        if ns in listed:
            _kill_ns(ns)
            _ip("netns", "del", ns, check=False)
        _ip("link", "del", f"{ns}h", check=False)
    _ip("link", "del", f"{PREFIX}br", check=False)
    shutil.rmtree(HIDDEN, ignore_errors=True)
    for d in Path("/etc/netns").glob(f"{PREFIX}?"):
        shutil.rmtree(d, ignore_errors=True)


class Cluster:
    """`Cluster(cpus=(1, 1)).start()`: a head with cpus[0] CPUs and a node per further entry."""

    def __init__(self, cpus=(1, 1)):
        self.cpus = list(cpus)
        self.names = [f"{PREFIX}{chr(ord('A') + i)}" for i in range(len(self.cpus))]
        self.ips = [f"{SUBNET}.{i + 1}" for i in range(len(self.cpus))]
        self.address = f"{self.ips[0]}:{PORT}"
        self.procs: list[subprocess.Popen] = []
        self.tmp = Path(tempfile.mkdtemp(prefix=PREFIX))  # short: Ray's socket paths live under it
        self.env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}

    # ------------------------------------------------------------------ set-up

    def start(self, timeout: float = 60.0) -> Cluster:
        if os.geteuid() != 0:
            raise Unavailable("network namespaces need root")
        if shutil.which("ip") is None:
            raise Unavailable("no `ip` command (iproute2)")
        if not (BIN / "ray").exists():
            raise Unavailable("Ray is not installed (no `ray` command beside this Python)")
        cleanup()
        try:
            HIDDEN.mkdir()
            (Path("/etc/netns") / self.names[-1] / HIDDEN.name).mkdir(parents=True)
            self._network()
        except subprocess.CalledProcessError as e:
            self.close()
            raise Unavailable(f"cannot make network namespaces: {' '.join(e.cmd)}: {e.stderr.strip()}") from None
        except OSError as e:
            self.close()
            raise Unavailable(f"cannot make {HIDDEN} and its empty stand-in: {e}") from None
        try:
            self._ray(0, ["--head", f"--port={PORT}", "--include-dashboard=false"], HEAD_ENV)
            self._wait_started(0, timeout)
            for i in range(1, len(self.names)):
                self._ray(i, [f"--address={self.address}"], {})
            for i in range(1, len(self.names)):
                self._wait_started(i, timeout)
            self.wait_nodes(len(self.names), timeout)
        except BaseException:
            self.close()
            raise
        return self

    def _network(self) -> None:
        _ip("link", "add", f"{PREFIX}br", "type", "bridge")
        _ip("link", "set", f"{PREFIX}br", "up")
        for ns, ip in zip(self.names, self.ips):
            _ip("netns", "add", ns)
            _ip("link", "add", f"{ns}h", "type", "veth", "peer", "name", f"{ns}n")
            _ip("link", "set", f"{ns}h", "master", f"{PREFIX}br")
            _ip("link", "set", f"{ns}h", "up")
            _ip("link", "set", f"{ns}n", "netns", ns)
            _ip("-n", ns, "addr", "add", f"{ip}/24", "dev", f"{ns}n")
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", f"{ns}n", "up")

    def _ray(self, i: int, args: list[str], env: dict) -> None:
        log = open(self.tmp / f"{self.names[i]}.log", "w")  # noqa: SIM115 - the process writes it while it runs
        self.procs.append(subprocess.Popen(
            ["ip", "netns", "exec", self.names[i], str(BIN / "ray"), "start", *args,
             f"--node-ip-address={self.ips[i]}", f"--num-cpus={self.cpus[i]}",
             f"--temp-dir={self.tmp / self.names[i]}", "--block"],
            stdout=log, stderr=subprocess.STDOUT, env={**self.env, **env}, start_new_session=True))
        log.close()

    def _wait_started(self, i: int, timeout: float) -> None:
        log = self.tmp / f"{self.names[i]}.log"
        t0 = time.monotonic()
        while "Ray runtime started" not in log.read_text(errors="replace"):
            if self.procs[i].poll() is not None or time.monotonic() - t0 > timeout:
                raise RuntimeError(f"ray start in {self.names[i]} failed:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)

    def wait_nodes(self, n: int, timeout: float = 60.0) -> None:
        """Until the head counts `n` alive nodes."""
        code = ("import ray,sys,time; ray.init(address=sys.argv[1], logging_level=40)\n"
                "t=time.time()\n"
                "while sum(x['Alive'] for x in ray.nodes()) != int(sys.argv[2]):\n"
                "    assert time.time()-t < float(sys.argv[3]), ray.nodes(); time.sleep(0.2)\n")
        self.run_python(["-c", code, self.address, str(n), str(timeout)], timeout=timeout + 30, check=True)

    # ------------------------------------------------------------------ use

    def command(self, args: list[str]) -> list[str]:
        """A command run in the head's namespace (where the driver runs)."""
        return ["ip", "netns", "exec", self.names[0], *args]

    def run_python(self, args: list[str], cwd=None, timeout: float = 300, check=False) -> subprocess.CompletedProcess:
        return subprocess.run(self.command([sys.executable, *args]), cwd=cwd, env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=check)

    def videocam(self, args: list[str], cwd=None) -> subprocess.Popen:
        """`videocam ARGS` (the installed command) as a driver in the head's namespace; stdout and stderr piped."""
        return subprocess.Popen(self.command([str(BIN / "videocam"), *args]), cwd=cwd, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)

    def busy(self, i: int) -> bool:
        """Whether a worker of node `i` is running a chunk (Ray names a process after the task it runs)."""
        for pid in _ns_pids(self.names[i]):
            try:
                if b"run_chunk" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return True
            except OSError:
                pass
        return False

    def kill_node(self, i: int) -> None:
        """Node `i` is lost: every process in its namespace is killed at once."""
        with_pg = self.procs[i]
        try:
            os.killpg(with_pg.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _kill_ns(self.names[i])

    def close(self) -> None:
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        cleanup(self.names)
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)
