"""Import Keras (and TensorFlow, its default backend) quietly.

TensorFlow prints oneDNN notices and absl warnings from C++ before Python
logging exists, so log levels must be set *before* the import, and the few
lines absl writes before it is initialised are swallowed by pointing fd 2 at
/dev/null for the duration of the import only (Python exceptions still
propagate normally).

TensorFlow is the backend videocam is built and tested on. Inference also
runs on Keras' JAX backend (`KERAS_BACKEND=jax`), for machines where a GPU
build of JAX is at hand and TensorFlow's is not; training needs TensorFlow.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import sys
import warnings

from videocam.errors import BackendError

BACKENDS = ("tensorflow", "jax")
_tf = None
_keras = None
_pass_threads: int | None = None  # asked for before TensorFlow started (`use_threads_per_pass`)
THREADS_ENV = "VIDEOCAM_TF_THREADS"


def _quiet_env() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_CPP_MIN_VLOG_LEVEL", "3")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def backend() -> str:
    """The Keras backend this process uses: $KERAS_BACKEND, else tensorflow."""
    _quiet_env()
    name = os.environ["KERAS_BACKEND"]
    if name not in BACKENDS:
        raise BackendError(f"KERAS_BACKEND={name} is not supported; use one of {', '.join(BACKENDS)}")
    return name


def tf():
    """Return the tensorflow module, importing it silently the first time."""
    if backend() != "tensorflow":
        raise BackendError(f"this needs TensorFlow: set KERAS_BACKEND=tensorflow (it is {backend()})")
    if _tf is None:
        _import_quietly()
    return _tf


def _import_quietly() -> None:
    global _tf, _keras
    saved = None
    try:
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:  # no real fd 2 (embedded interpreters): import loudly
        saved = None
    tf_mod = None
    try:
        # Under another backend Keras still imports TensorFlow, when installed, the first
        # time it (de)serialises a model, where nothing would silence its C++ start-up lines.
        if backend() == "tensorflow":
            # TensorFlow's TFLite converter imports JAX whenever it is installed (for a JAX
            # converter videocam never uses): ~100 MiB and a fifth of a second of start-up.
            blocked = "jax" not in sys.modules
            if blocked:
                sys.modules["jax"] = None  # type: ignore[assignment]  # makes `import jax` fail
            try:
                import tensorflow as tf_mod  # noqa: WPS433
            finally:
                if blocked and sys.modules.get("jax", 0) is None:
                    del sys.modules["jax"]
        elif importlib.util.find_spec("tensorflow") is not None:
            try:
                import tensorflow as tf_mod  # noqa: WPS433
            except ImportError:
                tf_mod = None
        import keras as keras_mod  # noqa: WPS433
    except ImportError as e:
        if backend() == "tensorflow":
            raise
        raise BackendError(f"KERAS_BACKEND={backend()} but it cannot be imported ({e}); "
                           f"install it, e.g. pip install {backend()}") from None
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
    logging.getLogger("absl").setLevel(logging.ERROR)
    if tf_mod is not None:
        tf_mod.get_logger().setLevel(logging.ERROR)
        if _pass_threads:
            _set_intra_op(tf_mod, _pass_threads)
        try:
            tf_mod.autograph.set_verbosity(0)
        except Exception:  # pragma: no cover - older TF
            pass
        warnings.filterwarnings("ignore", module=r"tensorflow(\..*)?")
    warnings.filterwarnings("ignore", module=r"keras(\..*)?")  # the module and its submodules
    _tf, _keras = tf_mod, keras_mod


def threads_per_pass(cpus: int | None = None) -> int:
    """CPU threads for one forward pass when passes run two at a time: half the cores ($VIDEOCAM_TF_THREADS).

    TensorFlow splits each convolution into one slice per thread and waits for the slowest, so a
    reader, stage or writer thread taking a core stalls the whole pass; two passes of half the
    cores each keep every core busy instead. On the 2-core machine (bundled model, 640x360,
    batch 16, `videocam bench --repeat 5`, one thread and two alternated, two runs each): the bare
    model 651-662 against 613-632 fps, CSV-only 458-489 against 438-453, the drawn pipeline 244-248
    against 234-238. One pass alone at batch 16 is slower this way (364-387 against 613 fps), so
    only video runs, which keep passes in flight, ask for it (training, `evaluate` and `live` do
    not), and of those only chains without model passes of their own
    (`videocam.stages.chain.chain_runs_the_model`).
    """
    given = os.environ.get(THREADS_ENV, "").strip()
    if given:
        try:
            return max(1, int(given))
        except ValueError:
            raise BackendError(f"{THREADS_ENV} must be a whole number of threads, got {given!r}") from None
    return max(1, (cpus or os.cpu_count() or 1) // 2)


def use_threads_per_pass(cpus: int | None = None) -> None:
    """Run TensorFlow's passes on `threads_per_pass()` threads each, from its start.

    TensorFlow fixes its thread pools when its runtime starts: called before that (before a model
    is loaded) it takes effect, afterwards (a model already loaded in this process) it changes nothing.
    """
    global _pass_threads
    if backend() != "tensorflow":
        return
    _pass_threads = threads_per_pass(cpus)
    if _tf is not None:
        _set_intra_op(_tf, _pass_threads)


def pass_threads_in_use() -> str:
    """What one forward pass may use, for reports: "N threads", or the backend's own choice."""
    if backend() == "tensorflow":
        n = tf().config.threading.get_intra_op_parallelism_threads()
        if n:
            return f"{n} thread{'s' if n > 1 else ''}"
    return "all cores"


def _set_intra_op(tf_mod, threads: int) -> None:
    try:
        tf_mod.config.threading.set_intra_op_parallelism_threads(int(threads))
    except RuntimeError:  # the runtime already started: its pools stay as they are
        pass


def accelerated() -> bool:
    """True when the forward pass runs on a GPU (or another accelerator), not on the CPU."""
    if backend() == "jax":
        import jax  # noqa: WPS433
        return jax.default_backend() != "cpu"
    return bool(tf().config.list_physical_devices("GPU"))


def keras():
    """Return the keras module (Keras 3), importing its backend quietly first."""
    if _keras is None:
        _import_quietly()
    return _keras
