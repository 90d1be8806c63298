"""argparse types shared by every subcommand: a bad value is one clear line."""
from __future__ import annotations

import argparse


def _parsed(kind, name: str, text: str, what: str):
    """`kind(text)`, or one clear line naming the option."""
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name} must be {what}, got {text!r}") from None


def _checked(kind, name: str, ok, rule: str):
    """An argparse type: `kind(text)` that satisfies `ok`, else one line saying the `rule`."""
    what = "a whole number" if kind is int else "a number"

    def parse(text):
        v = _parsed(kind, name, text, what)
        if not ok(v):
            raise argparse.ArgumentTypeError(f"{name} must be {rule}, got {text}")
        return v
    return parse


def unit_interval(name: str):
    """A float strictly between 0 and 1 (thresholds, probabilities)."""
    return _checked(float, name, lambda v: 0.0 < v < 1.0, "between 0 and 1 (exclusive)")


def fraction(name: str):
    """A float from 0 to 1, both included (shares of a batch, where 0 means off)."""
    return _checked(float, name, lambda v: 0.0 <= v <= 1.0, "between 0 and 1")


def int_at_least(name: str, lo: int = 1):
    """A whole number >= lo (batch sizes, counts)."""
    return _checked(int, name, lambda v: v >= lo, f"at least {lo}")


def nonneg_float(name: str):
    """A float >= 0 (times in seconds); NaN is refused."""
    return _checked(float, name, lambda v: v >= 0, ">= 0")


def positive_float(name: str):
    """A finite float > 0 (rates)."""
    return _checked(float, name, lambda v: 0 < v < float("inf"), "above 0")


def positive_int(name: str):
    """A whole number >= 1."""
    return int_at_least(name, 1)


# ------------------------------------------------------------ shared flags
# Declared once, so `run`, `live` and `ablate` cannot drift apart.

def add_model(p) -> None:
    p.add_argument("--model", default=None, metavar="M.keras",
                   help="model .keras file (default: the bundled demo model, or $VIDEOCAM_MODEL)")


def add_box_options(p) -> None:
    """How a CAM becomes boxes: threshold, region rule, normalisation, input aspect."""
    p.add_argument("--threshold", type=unit_interval("--threshold"), default=0.2, metavar="T",
                   help="box threshold as a fraction of the CAM max (default 0.2, the paper's)")
    p.add_argument("--boxes", choices=("union", "largest", "all"), default="union",
                   help="union (default): one box around a class's strong regions; largest: the paper's "
                        "rule; all: one per region")
    p.add_argument("--norm", choices=("max", "minmax"), default="max", help="CAM normalisation (default max)")
    p.add_argument("--aspect", choices=("square", "keep"), default="square",
                   help="squash frames to the model's square input (default), or keep the aspect ratio")


# The video stages' rules that are on by default, and what turning each off gives up.
STAGE_SWITCHES = (
    ("--no-torso", "no torso rule: a wide one-person box is not extended down to the frame's edge"),
    ("--no-panel", "no panel rule: the boxes of a panel in a wide shot are not shrunk"),
    ("--no-refine", "with --multi: no second look at each box on a crop"),
    ("--no-lead", "with --multi: a frame of several boxes is not named for the one reaching highest"),
    ("--no-fill", "with --multi: no search along the row of people for anyone nobody boxed"),
)


def stage_switches(a) -> dict:
    """The stage rules as keyword arguments ({"torso": True, ...}): each on unless its --no- flag is given."""
    return {flag[len("--no-"):]: not getattr(a, "no_" + flag[len("--no-"):]) for flag, _ in STAGE_SWITCHES}


def add_video_box_options(p) -> None:
    """Box and label rules of the video stages (not of still images)."""
    for flag, text in STAGE_SWITCHES:
        p.add_argument(flag, action="store_true", help=text)
    p.add_argument("--steady", type=int_at_least("--steady", 0), default=None, metavar="K",
                   help="a steady label: the shot's running mean of the probabilities over about K "
                        "frames, reset at cuts (0 = off; default 80)")


def add_stage_options(p, batch_default: int | None, batch_help: str) -> None:
    """The stage chain's flags shared by `run` and `live` (see `videocam.stages.chain.build_stages`)."""
    add_model(p)
    add_box_options(p)
    add_video_box_options(p)
    p.add_argument("--nobody", type=unit_interval("--nobody"), default=None, metavar="P",
                   help="'nobody' when the top probability is below P (default: the model's nobody class, "
                        "else 0.45; crops of a small-data model: 0.4)")
    p.add_argument("--multi", action="store_true", help="find every person in a frame, each with a box")
    p.add_argument("--smooth", type=int_at_least("--smooth", 0), default=None, metavar="K",
                   help="temporal smoothing over about K frames, reset at shot cuts (0 = off; default 5)")
    p.add_argument("--scale", choices=("fixed", "adaptive"), default="fixed",
                   help="adaptive: boxes from a second pass at each person's size (half the speed); "
                        "fixed (default): from the one pass")
    p.add_argument("--batch", type=positive_int("--batch"), default=batch_default, metavar="N", help=batch_help)
