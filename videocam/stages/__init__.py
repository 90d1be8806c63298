"""Stages: small callables on a batch of `FrameResult`s, chained in order (`chain`)."""
