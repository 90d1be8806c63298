"""argparse types shared by every subcommand: a bad value is one clear line."""
from __future__ import annotations

import argparse


def unit_interval(name: str):
    """A float strictly between 0 and 1 (thresholds, probabilities)."""
    def parse(text):
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not 0.0 < v < 1.0:
            raise argparse.ArgumentTypeError(f"{name} must be between 0 and 1 (exclusive), got {text}")
        return v
    return parse


def int_at_least(name: str, lo: int = 1):
    """A whole number >= lo (batch sizes, counts)."""
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"{name} must be at least {lo}, got {text}")
        return v
    return parse


def nonneg_float(name: str):
    """A float >= 0 (times in seconds)."""
    def parse(text):
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not v >= 0:
            raise argparse.ArgumentTypeError(f"{name} must be >= 0, got {text}")
        return v
    return parse
