"""Train a classifier whose head is GAP + Dense on DATA_DIR/<class>/* (or
DATA_DIR/train|val/<class>/*), keeping the best model on validation.
"""
from __future__ import annotations

from videocam.cli.options import fraction, int_at_least, positive_int, unit_interval


def register(subparsers) -> None:
    t = subparsers.add_parser("train", help="train a GAP model on a folder of labelled images",
                       description=__doc__)
    t.add_argument("data_dir", metavar="DATA_DIR", help="DATA_DIR/<class>/* (one folder of photos per person), or "
                   "DATA_DIR/train|val/<class>/*")
    t.add_argument("--out", required=True, help="model file to write (.keras)")
    t.add_argument("--backbone", default="small",
                   help="face: real people, from 2+ photos each (dlib's face-identity network, bundled; strangers "
                   "come out as unknown; seconds) | small (default: the bundled model's, trains from scratch) | "
                   "vgg16 | a keras.applications name | PATH.keras (any Keras model file)")
    t.add_argument("--head", choices=("gap", "fc4096", "fc1024", "fc512"), default="gap",
                   help="gap (default): GAP + Dense, CAMs from one pass; fc*: the study's FC heads (Grad-CAM)")
    t.add_argument("--weights", default="none",
                   help="starting weights: none (default) | imagenet (Keras downloads them into its cache) | PATH")
    from videocam.model.backbones import PREPROCESS_CHOICES
    t.add_argument("--cam-layer", default=None, metavar="NAME",
                   help="backbone layer whose maps become the CAMs (default: its last 4-D output)")
    t.add_argument("--preprocess", choices=PREPROCESS_CHOICES, default=None,
                   help="input convention of a PATH.keras backbone, stored in the model (default torch: "
                   "ImageNet mean/std; other backbones: their own)")
    t.add_argument("--recipe", choices=("auto", "small-data", "scratch"), default="auto",
                   help="auto (default): small-data when the backbone is pretrained (PATH.keras or --weights), "
                   "else scratch. small-data: head on the frozen backbone, then its top convolutions at a "
                   "lower rate, on cached features of augmented views, early stopping on held-out photos")
    t.add_argument("--background", action="append", default=None, metavar="VIDEO|DIR",
                   help="small-data: footage without your people (videos or image folders, repeatable); "
                   "adds a 'nobody' class made from it (default: none)")
    t.add_argument("--views", type=positive_int("--views"), default=24,
                   help="small-data: augmented views per photo (default 24)")
    t.add_argument("--unfreeze", type=int_at_least("--unfreeze", 0), default=6,
                   help="small-data: top convolutions of the backbone fine-tuned after the head (default 6)")
    t.add_argument("--epochs", type=positive_int("--epochs"), default=12,
                   help="scratch: passes over the training images (default 12)")
    t.add_argument("--batch", type=positive_int("--batch"), default=32, help="images per step (default 32)")
    t.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (default 3e-3)")
    t.add_argument("--val-split", type=unit_interval("--val-split"), default=0.15,
                   help="fraction held out for validation when there is no val/ folder (default 0.15; "
                   "small-data: at least one photo per person)")
    t.add_argument("--width", type=positive_int("--width"), default=32, help="small backbone width (default 32)")
    t.add_argument("--stride", type=int, choices=(8, 16), default=16,
                   help="small backbone output stride: 16 gives a 14x14 CAM at 224 (default), 8 a 28x28 one")
    t.add_argument("--hide", action="store_true",
                   help="Hide-and-Seek augmentation (random hidden patches, to spread the CAM over the "
                        "whole object); measured: better video boxes, slightly lower accuracy")
    t.add_argument("--mosaic", type=fraction("--mosaic"), default=0.0, metavar="P",
                   help="from-scratch training: make a fraction P of each batch two images side by side, "
                        "labelled by their shares of the width (default 0: off)")
    t.add_argument("--seed", type=int, default=0,
                   help="seed of the split, the weights and the augmentation (default 0)")
    t.set_defaults(func=cmd_train)


def cmd_train(a) -> int:
    from videocam.model.train import train
    if a.backbone == "face":
        return _enrol(a)
    weights = None if a.weights in (None, "none") else a.weights
    pretrained = a.backbone.endswith(".keras") or weights is not None
    recipe = a.recipe if a.recipe != "auto" else ("small-data" if pretrained else "scratch")
    if recipe == "small-data":
        from videocam.errors import UsageError
        from videocam.model.recipe import RecipeConfig, train_recipe
        if a.head != "gap":
            raise UsageError("the small-data recipe trains a GAP head; leave --head out or use --recipe scratch")
        cfg = RecipeConfig(views=a.views, unfreeze=a.unfreeze)
        train_recipe(a.data_dir, a.out, a.backbone, cam_layer=a.cam_layer, preprocessing=a.preprocess,
                     weights=weights, background=a.background, val_split=a.val_split, seed=a.seed, cfg=cfg)
        return 0
    train(a.data_dir, a.out, backbone=a.backbone, head=a.head, weights=weights, epochs=a.epochs,
          batch=a.batch, lr=a.lr, val_split=a.val_split, width=a.width, seed=a.seed,
          hide=a.hide, mosaic=a.mosaic, stride=a.stride, cam_layer=a.cam_layer, preprocessing=a.preprocess)
    return 0


def _enrol(a) -> int:
    """`--backbone face`: enrol each person's photos (no training run; see videocam.model.enrol)."""
    from videocam.model.enrol import enrol
    r = enrol(a.data_dir, a.out, seed=a.seed)
    people = ", ".join(f"{c} ({n})" for c, n in r.photos.items())
    loo = f"; leave-one-out: {r.loo_accuracy:.2f} of the photos named right" if r.loo_accuracy is not None else ""
    print(f"enrolled {len(r.classes)} {'person' if len(r.classes) == 1 else 'people'}: {people}")
    print(f"stranger threshold {r.threshold:.3f} (face descriptor distance){loo}")
    print(f"wrote {r.path} in {r.seconds:.1f} s")
    import sys
    for line in (r.doubts or [])[:5]:
        print(f"warning: {line}", file=sys.stderr)
    if r.doubts and len(r.doubts) > 5:
        print(f"warning: and {len(r.doubts) - 5} more such photos", file=sys.stderr)
    return 0
