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
                   help="union (default): one box around every strong region of a class (face and tie "
                        "together); largest: the largest region (the paper's rule); all: one per region")
    p.add_argument("--norm", choices=("max", "minmax"), default="max", help="CAM normalisation (default max)")
    p.add_argument("--aspect", choices=("square", "keep"), default="square",
                   help="squash frames to the model's square input (default), or keep the aspect ratio")


# The video stages' rules that are on by default, and what turning each off gives up.
STAGE_SWITCHES = (
    ("--no-torso", "turn off the torso rule (default on): the one box of a frame, when at least 0.3 of the frame "
                   "wide, reaches down to the frame's bottom edge and is 1.1x as wide (a close-up or medium shot "
                   "frames a person from the chest up; the CAM stops at the tie)"),
    ("--no-panel", "turn off the panel rule (default on): when a frame has 3 or more boxes, all under 0.7 of the "
                   "frame tall (a panel in a wide shot, with --multi), each shrinks about its centre to 0.6x the "
                   "width and 0.8x the height (a 14x14 map boxes small people too large)"),
    ("--no-refine", "with --multi, turn off the second look (default on): each box of a frame with several is cut "
                    "out and run through the model again; a box whose crop names another class is dropped unless "
                    "it is the frame's largest, the others take their crop's box (one more pass per such frame)"),
    ("--no-lead", "with --multi and its second look, turn off the lead rule (default on): a frame with several "
                  "boxes is named for the person whose box reaches highest (the largest, when people are framed "
                  "to one lower edge), held through the shot as --steady holds a label"),
    ("--no-fill", "with --multi and its second look, do not look for people nobody boxed (default: look): "
                  "windows of a person's size along the row of people, where no box is, each cut out and run "
                  "through the model; a person a window names with 0.7 or more is added (one more pass per such "
                  "frame)"),
)


def stage_switches(a) -> dict:
    """The stage rules as keyword arguments ({"torso": True, ...}): each on unless its --no- flag is given."""
    return {flag[len("--no-"):]: not getattr(a, "no_" + flag[len("--no-"):]) for flag, _ in STAGE_SWITCHES}


def add_video_box_options(p) -> None:
    """Box and label rules of the video stages (not of still images)."""
    for flag, text in STAGE_SWITCHES:
        p.add_argument(flag, action="store_true", help=text)
    p.add_argument("--steady", type=int_at_least("--steady", 0), default=None, metavar="K",
                   help="label hysteresis within a shot: keep the label unless another one's share of "
                        "the last ~K frames' decisions is 0.6 higher; reset at cuts (0 = off; default 40)")


def add_stage_options(p, batch_default: int | None, batch_help: str) -> None:
    """The stage chain's flags shared by `run` and `live` (see `videocam.stages.chain.build_stages`)."""
    add_model(p)
    add_box_options(p)
    add_video_box_options(p)
    p.add_argument("--nobody", type=unit_interval("--nobody"), default=None, metavar="P",
                   help="call a frame 'nobody' when the top probability is below P "
                        "(default: the model's nobody class, or a measured default); for models of the "
                        "small-data recipe: when no crop around a CAM peak is a person at P (default 0.4)")
    p.add_argument("--multi", action="store_true", help="find every person in a frame, each with a box")
    p.add_argument("--smooth", type=int_at_least("--smooth", 0), default=None, metavar="K",
                   help="temporal smoothing over about K frames, reset at shot cuts (0 = off; default 5)")
    p.add_argument("--scale", choices=("fixed", "adaptive"), default="fixed",
                   help="adaptive: box each person from a second pass at the input size that suits "
                   "them (measured: box recall on one-person frames 0.96 -> 1.00 on the demo video, "
                   "about half the frame rate); fixed (default): boxes from the one pass")
    p.add_argument("--batch", type=positive_int("--batch"), default=batch_default, metavar="N", help=batch_help)
