"""Train one model per head (gap, fc4096, fc1024, fc512) on DATA_DIR with the same data, augmentation,
epochs and seed, then measure each: train/val accuracy (no augmentation), test accuracy, top-1
localisation accuracy at IoU>=0.5 and MaxBoxAcc (CAM for gap, Grad-CAM for FC heads; needs
DATA_DIR/test_boxes.csv), parameters and training time. Writes DIR/<head>.keras,
DIR/<head>.eval.json, DIR/compare.csv, DIR/compare.md (with a verdict line on the paper's claim) and
DIR/compare.png. DATA_DIR is DATA_DIR/train|val|test/<class>/* (e.g. from `videocam samples`).
"""
from __future__ import annotations

import argparse


def register(subparsers) -> None:
    from videocam.cli.options import int_at_least, unit_interval
    from videocam.model.nets import HEADS
    c = subparsers.add_parser(
        "compare", help="train and compare the GAP head with FC heads (accuracy, localisation, size)",
        description=__doc__)
    c.add_argument("data_dir", metavar="DATA_DIR", help="DATA_DIR/<class>/* or DATA_DIR/train|val|test/<class>/* (as train takes)")
    c.add_argument("--out", required=True, metavar="DIR", help="output folder")
    c.add_argument("--backbone", choices=("small", "vgg16"), default="small", help="backbone (default small)")
    c.add_argument("--weights", default="none",
                   help="vgg16 only: none (default) | imagenet (from the Keras cache) | PATH")
    c.add_argument("--heads", type=_heads, default=list(HEADS),
                   help=f"comma-separated subset of {','.join(HEADS)} (default: all four)")
    c.add_argument("--epochs", type=int_at_least("--epochs", 1), default=12, help="epochs per head (default 12)")
    c.add_argument("--batch", type=int_at_least("--batch", 1), default=32, help="images per step (default 32)")
    c.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (default 3e-3)")
    c.add_argument("--width", type=int_at_least("--width", 1), default=32, help="small backbone width (default 32)")
    c.add_argument("--input-size", type=_input_size, default=(224, 224), metavar="N|HxW",
                   help="training input size (default 224)")
    c.add_argument("--threshold", type=unit_interval("--threshold"), default=0.2,
                   help="box threshold as a fraction of the map's max (default 0.2)")
    c.add_argument("--seed", type=int, default=0, help="seed of the split and the weights (default 0)")
    c.set_defaults(func=cmd_compare)


def _input_size(text: str) -> tuple[int, int]:
    """'224' or '224x224' (height x width)."""
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--input-size must be N or HxW, got {text!r}") from None
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or min(parts) < 32:
        raise argparse.ArgumentTypeError(f"--input-size must be N or HxW with sides >= 32, got {text!r}")
    return parts[0], parts[1]


def _heads(text: str) -> list[str]:
    from videocam.errors import UsageError
    from videocam.studies.compare_heads import parse_heads
    try:
        return parse_heads(text)
    except UsageError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def cmd_compare(a) -> int:
    from videocam.studies.compare_heads import compare_heads
    weights = None if a.weights in (None, "none") else a.weights
    res = compare_heads(a.data_dir, a.out, backbone=a.backbone, heads=a.heads, epochs=a.epochs, width=a.width,
                        seed=a.seed, batch=a.batch, lr=a.lr, weights=weights, input_size=a.input_size,
                        threshold=a.threshold)
    print(res.md_path.read_text().split("\n\n", 1)[-1].rstrip())
    for p in (res.csv_path, res.md_path, res.png_path):
        print(f"wrote {p}")
    return 0
