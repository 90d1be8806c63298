"""One compiled forward pass per Keras backend: batch -> (probs, features or CAMs).

The pass returns numpy arrays and takes a uint8 batch (what `CamModel.prepare`
makes: a quarter of float32's bytes to write, copy and read, and the cast is
part of the graph) or a float one. TensorFlow: one `tf.function` per input
dtype with a variable batch dimension (no retracing). JAX: `jax.jit` over the model's stateless
call with the weights passed as arguments, not captured: captured weights
would be baked into every compiled program as constants (80 MB for
VGG16-GAP, once per batch shape).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from videocam.model._backend import backend, keras, tf

Pass = Callable[[np.ndarray], "tuple[np.ndarray, np.ndarray]"]


def compile_pass(two_out, preprocess: Callable, kernel: np.ndarray | None) -> Pass:
    """RGB batch (uint8, or float 0..255) -> (probs (B, C), CAMs (B, C, h, w)) with `kernel`, else
    features (B, h, w, K).

    `two_out` is a Keras model with two outputs (probabilities, CAM-layer
    features); `preprocess` scales the raw 0..255 batch inside the graph.
    With a kernel the CAM product `sum_k w_k^c f_k` is part of the same
    compiled graph.
    """
    keras()  # the backend is imported before its own module is asked for
    if backend() == "jax":
        return _jax_pass(two_out, preprocess, kernel)
    return _tf_pass(two_out, preprocess, kernel)


def _tf_pass(two_out, preprocess, kernel) -> Pass:
    """The TensorFlow pass. The CAM product runs on TensorFlow's own thread
    pool: a numpy matmul would wake OpenBLAS's pool, whose threads spin after
    each call and, on a 2-core machine, steal the cores the reader and writer
    threads need (measured: pipeline +20-25% without it)."""
    t = tf()
    k = t.constant(kernel) if kernel is not None else None

    def graph(dtype):
        @t.function(input_signature=[t.TensorSpec([None, None, None, 3], dtype)], reduce_retracing=True)
        def fn(x):
            probs, feats = two_out(preprocess(t.cast(x, t.float32)), training=False)
            feats = t.cast(feats, t.float32)
            out = t.einsum("bhwk,kc->bchw", feats, k) if k is not None else feats
            return t.cast(probs, t.float32), out
        return fn

    by_dtype = {np.dtype(np.uint8): graph(t.uint8), np.dtype(np.float32): graph(t.float32)}

    def run(batch: np.ndarray):
        batch = np.asarray(batch)
        fn = by_dtype.get(batch.dtype)
        if fn is None:
            batch, fn = batch.astype(np.float32), by_dtype[np.dtype(np.float32)]
        probs, out = fn(batch)
        return probs.numpy(), out.numpy()

    return run


def _jax_pass(two_out, preprocess, kernel) -> Pass:
    """The JAX pass: compiled once per batch shape (a run sees two: full and last).

    The weights are arguments, read from the variables at each call: Keras'
    own jitted `predict` donates the old buffers and puts new ones in them.
    """
    import jax
    import jax.numpy as jnp

    k = jnp.asarray(kernel) if kernel is not None else None

    @jax.jit
    def fn(trainable, frozen, x):
        (probs, feats), _ = two_out.stateless_call(trainable, frozen, preprocess(x.astype(jnp.float32)),
                                                   training=False)
        feats = feats.astype(jnp.float32)
        out = jnp.einsum("bhwk,kc->bchw", feats, k) if k is not None else feats
        return probs.astype(jnp.float32), out

    def run(batch: np.ndarray):
        trainable = [v.value for v in two_out.trainable_variables]
        frozen = [v.value for v in two_out.non_trainable_variables]
        batch = np.asarray(batch)
        if batch.dtype != np.uint8:
            batch = batch.astype(np.float32)
        probs, out = fn(trainable, frozen, batch)
        return np.asarray(probs), np.asarray(out)

    return run
