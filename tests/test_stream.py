"""forward_stream: results in input order, two batches at once only for a slow model."""
import os
import threading
import time

import numpy as np
import pytest

from videocam.pipeline.stream import PARALLEL_FORWARD_MS, forward_stream, in_flight_for


class FakeForward:
    """Stands in for CamModel.probs_and_cams: sleeps `ms_per_frame` per frame, counts overlap."""

    def __init__(self, ms_per_frame, jitter=None):
        self.ms = ms_per_frame
        self.jitter = jitter
        self.active = 0
        self.most_active = 0
        self.lock = threading.Lock()
        self.calls = 0

    def __call__(self, x):
        with self.lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
            k = self.calls
            self.calls += 1
        extra = self.jitter(k) if self.jitter else 0.0
        time.sleep((self.ms * len(x) + extra) / 1000.0)
        with self.lock:
            self.active -= 1
        return x[:, :1] * 2.0, x[:, None] + 1.0  # "probs", "cams": functions of the input


def batches(n_batches, size=2):
    for b in range(n_batches):
        frames = list(range(b * size, (b + 1) * size))
        yield frames, np.asarray(frames, dtype=np.float32)[:, None]


def test_in_flight_rule():
    assert in_flight_for(PARALLEL_FORWARD_MS, cpus=2) == 2
    assert in_flight_for(PARALLEL_FORWARD_MS / 2, cpus=2) == 1
    assert in_flight_for(100.0, cpus=1) == 1


@pytest.mark.parametrize("in_flight", [1, 2, 3])
def test_results_come_back_in_input_order_with_their_own_outputs(in_flight):
    # early batches are slow, later ones fast: a naive pool would return them out of order
    fwd = FakeForward(1.0, jitter=lambda k: 30.0 if k % 3 == 0 else 0.0)
    out = list(forward_stream(fwd, batches(9), in_flight=in_flight))
    assert [f for frames, _, _ in out for f in frames] == list(range(18))
    for frames, probs, cams in out:
        np.testing.assert_array_equal(probs[:, 0], np.asarray(frames, np.float32) * 2)
        np.testing.assert_array_equal(cams[:, 0, 0], np.asarray(frames, np.float32) + 1)
    assert fwd.most_active == min(in_flight, 9)


def test_auto_overlaps_a_slow_model_only():
    slow = FakeForward(PARALLEL_FORWARD_MS * 1.5)
    assert len(list(forward_stream(slow, batches(8), cpus=2))) == 8
    assert slow.most_active == 2
    fast = FakeForward(0.5)
    assert len(list(forward_stream(fast, batches(8), cpus=2))) == 8
    assert fast.most_active == 1
    one_cpu = FakeForward(PARALLEL_FORWARD_MS * 1.5)
    assert len(list(forward_stream(one_cpu, batches(6), cpus=1))) == 6
    assert one_cpu.most_active == 1


def test_short_streams_and_empty():
    assert list(forward_stream(FakeForward(1.0), batches(0))) == []
    assert [fr for fr, _, _ in forward_stream(FakeForward(1.0), batches(1))] == [[0, 1]]


def test_an_error_in_the_forward_pass_reaches_the_consumer():
    def forward(x):
        if x[0, 0] >= 4:
            raise RuntimeError("model failed")
        return x, x
    got = []
    with pytest.raises(RuntimeError, match="model failed"):
        for frames, _, _ in forward_stream(forward, batches(6), in_flight=2):
            got.append(frames)
    assert got == [[0, 1], [2, 3]]


def test_a_consumer_that_stops_early_does_not_hang():
    fwd = FakeForward(5.0)
    stream = forward_stream(fwd, batches(50), in_flight=2)
    first = next(stream)
    stream.close()
    assert first[0] == [0, 1] and fwd.calls < 50


@pytest.mark.parametrize("in_flight", [1, 2])
def test_stop_finishes_running_passes_and_drops_waiting_batches(in_flight):
    stop = threading.Event()
    fwd = FakeForward(10.0)
    got = []
    for frames, _, _ in forward_stream(fwd, batches(40), in_flight=in_flight, stop=stop):
        got.append(frames)
        if len(got) == 3:
            stop.set()
    flat = [f for frames in got for f in frames]
    assert flat == list(range(len(flat)))  # contiguous from the start: nothing skipped in between
    # after the stop only passes already started come back: at most `in_flight` running, and up to
    # `in_flight - 1` finished but not yet taken (each pass has a batch queued behind it, and passes
    # that end together start the next two at once); a queued batch reaching a thread after the
    # stop is not run
    assert 3 <= len(got) <= 3 + 2 * in_flight - 1
    assert fwd.calls == len(got)


def test_threads_per_pass_is_half_the_cores_unless_told(monkeypatch):
    """Two passes in flight, each on half the cores; $VIDEOCAM_TF_THREADS overrides, checked in one line."""
    from videocam.errors import BackendError
    from videocam.model._backend import THREADS_ENV, threads_per_pass
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert [threads_per_pass(c) for c in (1, 2, 3, 8)] == [1, 1, 1, 4]
    monkeypatch.setenv(THREADS_ENV, "3")
    assert threads_per_pass(8) == 3
    monkeypatch.setenv(THREADS_ENV, "many")
    with pytest.raises(BackendError, match="VIDEOCAM_TF_THREADS"):
        threads_per_pass(2)


def test_threads_per_pass_reaches_tensorflow_in_a_fresh_process():
    """Asked for before the model loads, TensorFlow runs its passes on that many threads."""
    import subprocess
    import sys
    code = ("from videocam.model._backend import use_threads_per_pass, tf\n"
            "use_threads_per_pass(6)\n"
            "print(tf().config.threading.get_intra_op_parallelism_threads())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "VIDEOCAM_TF_THREADS": ""})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "3"


def test_chains_with_their_own_model_passes_keep_whole_core_passes(tmp_path):
    """--multi's second look, --scale adaptive and a recipe model's Verify run the model inside the chain."""
    import json
    import zipfile

    from videocam.model.info import META_MEMBER, ModelInfo
    from videocam.stages.chain import chain_runs_the_model
    assert not chain_runs_the_model()  # the bundled model, default chain
    assert chain_runs_the_model(multi=True)
    assert not chain_runs_the_model(multi=True, refine=False)
    assert chain_runs_the_model(scale="adaptive")
    recipe = tmp_path / "recipe.keras"
    with zipfile.ZipFile(recipe, "w") as z:
        z.writestr(META_MEMBER, ModelInfo(classes=["a", "b"], extra={"verify": {"accept": 0.5}}).to_json())
    assert chain_runs_the_model(recipe)
    assert not chain_runs_the_model(tmp_path / "missing.keras")  # load_model reports that, later
    (tmp_path / "text.keras").write_text("not a zip")
    assert not chain_runs_the_model(tmp_path / "text.keras")
    plain = tmp_path / "plain.keras"
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr(META_MEMBER, json.dumps({"classes": ["a", "b"]}))
    assert not chain_runs_the_model(plain)


def test_batch_scheduling_covers_the_threads_started_inside_and_restores_the_caller():
    from videocam.pipeline.threads import batch_scheduling
    if not hasattr(os, "SCHED_BATCH"):
        pytest.skip("SCHED_BATCH is Linux's")
    if os.sched_getscheduler(0) != os.SCHED_OTHER:
        pytest.skip("this test runs under another scheduling policy, which batch_scheduling leaves alone")
    seen = {}
    with batch_scheduling() as took:
        assert took
        t = threading.Thread(target=lambda: seen.setdefault("child", os.sched_getscheduler(0)))
        t.start()
        t.join()
        seen["caller"] = os.sched_getscheduler(0)
    assert seen == {"child": os.SCHED_BATCH, "caller": os.SCHED_BATCH}
    assert os.sched_getscheduler(0) == os.SCHED_OTHER
    with batch_scheduling(enabled=False) as took:
        assert not took and os.sched_getscheduler(0) == os.SCHED_OTHER


def test_batches_are_smaller_at_both_ends_of_a_stream():
    from videocam.pipeline.stream import batch_size_at, batches
    from videocam.types import Frame
    assert [batch_size_at(16, m, 100) for m in (0, 4, 12, 60, 67, 68, 96)] == [4, 8, 16, 16, 16, 4, 4]
    assert batch_size_at(16, 500, None) == 16 and batch_size_at(1, 0, 10) == 1
    frames = [Frame(index=i, time_s=i / 25.0, rgb=None, size=(4, 4)) for i in range(100)]
    sizes, seen = [], []
    for (items, chosen), x in batches(frames, 16, lambda fs: len(fs), expected=100, taper=True):
        sizes.append(x)
        seen += [f.index for f in items]
    assert seen == list(range(100))  # every frame once, in order
    assert sizes[:3] == [4, 8, 16] and sizes[-1] <= 4 and sum(sizes) == 100
    whole = [x for _, x in batches(frames, 16, lambda fs: len(fs), expected=100)]
    assert whole == [16] * 6 + [4]  # without taper: as before
