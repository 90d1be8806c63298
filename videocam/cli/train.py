"""Train a classifier whose head is GAP + Dense on DATA_DIR/<class>/* (or
DATA_DIR/train|val/<class>/*), keeping the best model on validation.
"""
from __future__ import annotations

from videocam.cli.options import positive_int, unit_interval


def register(subparsers) -> None:
    t = subparsers.add_parser("train", help="train a GAP model on a folder of labelled images",
                       description=__doc__)
    t.add_argument("data_dir", help="DATA_DIR/<class>/* (one folder of photos per person), or "
                   "DATA_DIR/train|val/<class>/*")
    t.add_argument("--out", required=True, help="model file to write (.keras)")
    t.add_argument("--backbone", default="small",
                   help="small (default: the bundled model's, trains from scratch) | vgg16 | a keras.applications name")
    t.add_argument("--head", choices=("gap", "fc4096", "fc1024", "fc512"), default="gap",
                   help="gap (default): GAP + Dense, CAMs from one pass; fc*: the study's FC heads (Grad-CAM)")
    t.add_argument("--weights", default="none",
                   help="starting weights: none (default) | imagenet (from the Keras cache, never downloaded) | PATH")
    t.add_argument("--epochs", type=positive_int("--epochs"), default=12,
                   help="passes over the training images (default 12)")
    t.add_argument("--batch", type=positive_int("--batch"), default=32, help="images per step (default 32)")
    t.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (default 3e-3)")
    t.add_argument("--val-split", type=unit_interval("--val-split"), default=0.15,
                   help="fraction held out for validation when there is no val/ folder (default 0.15)")
    t.add_argument("--width", type=positive_int("--width"), default=32, help="small backbone width (default 32)")
    t.add_argument("--stride", type=int, choices=(8, 16), default=16,
                   help="small backbone output stride: 16 gives a 14x14 CAM at 224 (default), 8 a 28x28 one")
    t.add_argument("--hide", action="store_true",
                   help="Hide-and-Seek augmentation (random hidden patches, to spread the CAM over the "
                        "whole object); measured: better video boxes, slightly lower accuracy")
    t.add_argument("--seed", type=int, default=0,
                   help="seed of the split, the weights and the augmentation (default 0)")
    t.set_defaults(func=cmd_train)


def cmd_train(a) -> int:
    from videocam.model.train import train
    weights = None if a.weights in (None, "none") else a.weights
    train(a.data_dir, a.out, backbone=a.backbone, head=a.head, weights=weights, epochs=a.epochs,
          batch=a.batch, lr=a.lr, val_split=a.val_split, width=a.width, seed=a.seed,
          hide=a.hide, stride=a.stride)
    return 0
