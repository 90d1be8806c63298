"""argparse types shared by every subcommand: a bad value is one clear line."""
from __future__ import annotations

import argparse


def _parsed(kind, name: str, text: str, what: str):
    """`kind(text)`, or one clear line naming the option."""
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name} must be {what}, got {text!r}") from None


def unit_interval(name: str):
    """A float strictly between 0 and 1 (thresholds, probabilities)."""
    def parse(text):
        v = _parsed(float, name, text, "a number")
        if not 0.0 < v < 1.0:
            raise argparse.ArgumentTypeError(f"{name} must be between 0 and 1 (exclusive), got {text}")
        return v
    return parse


def int_at_least(name: str, lo: int = 1):
    """A whole number >= lo (batch sizes, counts)."""
    def parse(text):
        v = _parsed(int, name, text, "a whole number")
        if v < lo:
            raise argparse.ArgumentTypeError(f"{name} must be at least {lo}, got {text}")
        return v
    return parse


def nonneg_float(name: str):
    """A float >= 0 (times in seconds)."""
    def parse(text):
        v = _parsed(float, name, text, "a number")
        if not v >= 0:
            raise argparse.ArgumentTypeError(f"{name} must be >= 0, got {text}")
        return v
    return parse
