"""The `videocam` command: parses arguments and calls the library.

Every user mistake ends as one line on stderr starting with `error:` and a
non-zero exit (2 for usage mistakes), never a traceback. Heavy imports
(TensorFlow) happen inside the command functions, so `--help` is instant.
"""
from __future__ import annotations

import argparse
import os
import sys

from videocam.cli.options import int_at_least, nonneg_float, unit_interval
from videocam.errors import VideocamError

EXIT_USAGE = 2
EXIT_FAIL = 1


def _positive_int(name):
    return int_at_least(name, 1)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        self.exit(EXIT_USAGE, f"error: {message} (see {self.prog} --help)\n")


# ----------------------------------------------------------------- commands

def cmd_run(a) -> int:
    from videocam.pipeline.process import process_video
    summary = process_video(
        a.input, model=a.model, out_dir=a.out, gif=a.gif, mp4=not a.no_mp4, csv=not a.no_csv,
        batch=a.batch, threshold=a.threshold, boxes=a.boxes, norm=a.norm, start=a.start, end=a.end,
        aspect=a.aspect, nobody=a.nobody, multi=a.multi, smooth=a.smooth, scale=a.scale, progress=True,
        precision=a.precision,
    )
    print(summary.describe())
    return summary.exit_code


def cmd_train(a) -> int:
    from videocam.model.train import train
    weights = None if a.weights in (None, "none") else a.weights
    train(a.data_dir, a.out, backbone=a.backbone, head=a.head, weights=weights, epochs=a.epochs,
          batch=a.batch, lr=a.lr, val_split=a.val_split, width=a.width, seed=a.seed,
          hide=a.hide, stride=a.stride)
    return 0


def cmd_evaluate(a) -> int:
    from videocam.eval.evaluate import evaluate_folder, format_report
    report = evaluate_folder(a.model, a.data_dir, split=a.split, threshold=a.threshold, json_path=a.json,
                             boxes=a.boxes, scale=a.scale)
    print(format_report(report))
    return 0


def cmd_samples(a) -> int:
    from videocam.synth.video import make_samples
    counts = {}
    if a.n_train is not None:
        counts["n_train"] = a.n_train
    if a.n_val is not None:
        counts["n_val"] = a.n_val
    if a.n_test is not None:
        counts["n_test"] = a.n_test
    if a.duration is not None:
        counts["duration_s"] = a.duration
    make_samples(a.out, seed=a.seed, progress=True, **counts)
    print(f"wrote the benchmark to {a.out}")
    return 0


# ------------------------------------------------------------------ parser

def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="videocam", description="Who is on screen, and where? Class Activation Maps "
                "(GAP + softmax, Zhou et al. 2016) on video, from image-level labels only.")
    from videocam import __version__
    p.add_argument("--version", action="version", version=f"videocam {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    r = sub.add_parser("run", help="annotate a video: MP4 + per-frame CSV (+ GIF)",
                       description="Run the GAP model over every frame of a video and write an annotated "
                       "MP4 (CAM heatmap, boxes, probabilities), a per-frame CSV and optionally a GIF.")
    r.add_argument("input", help="video file (mp4, avi, mkv, webm, mov, ...)")
    r.add_argument("--model", default=None, help="model .keras file (default: the bundled model)")
    r.add_argument("--out", default="outputs", help="output folder (default: outputs/)")
    r.add_argument("--gif", action="store_true", help="also write <stem>.cam.gif")
    r.add_argument("--no-mp4", action="store_true", help="do not write the annotated MP4")
    r.add_argument("--no-csv", action="store_true", help="do not write the per-frame CSV")
    r.add_argument("--batch", type=_positive_int("--batch"), default=None,
                   help="frames per forward pass (default: chosen for the model)")
    r.add_argument("--threshold", type=unit_interval("--threshold"), default=0.2,
                   help="box threshold as a fraction of the CAM max (default 0.2, the paper's)")
    r.add_argument("--boxes", choices=("union", "largest", "all"), default="union",
                   help="union (default): one box around every strong region of a class (face and tie "
                        "together); largest: the largest region (the paper's rule); all: one per region")
    r.add_argument("--norm", choices=("max", "minmax"), default="max", help="CAM normalisation (default max)")
    r.add_argument("--start", type=nonneg_float("--start"), default=None, help="start time in seconds")
    r.add_argument("--end", type=nonneg_float("--end"), default=None, help="end time in seconds")
    r.add_argument("--aspect", choices=("square", "keep"), default="square",
                   help="squash frames to the model's square input, or keep the aspect ratio")
    r.add_argument("--nobody", type=unit_interval("--nobody"), default=None,
                   help="call a frame 'nobody' when the top probability is below P "
                        "(default: the model's nobody class, or a measured default)")
    r.add_argument("--multi", action="store_true", help="find every person in a frame, each with a box")
    r.add_argument("--smooth", type=int, default=None, metavar="K",
                   help="temporal smoothing over about K frames, reset at shot cuts (0 = off)")
    r.add_argument("--scale", choices=("fixed", "adaptive"), default="fixed",
                   help="adaptive: box each person from a second pass at the input size that suits "
                   "them (measured: box recall on one-person frames 0.96 -> 1.00 on the demo video, "
                   "about half the frame rate); fixed (default): boxes from the one pass")
    r.add_argument("--precision", choices=("float32", "bf16"), default="float32",
                   help="inference precision")
    r.set_defaults(func=cmd_run)

    t = sub.add_parser("train", help="train a GAP model on a folder of labelled images",
                       description="Train a classifier whose head is GAP + Dense on DATA_DIR/<class>/* "
                       "(or DATA_DIR/train|val/<class>/*), keeping the best model on validation.")
    t.add_argument("data_dir")
    t.add_argument("--out", required=True, help="model file to write (.keras)")
    t.add_argument("--backbone", default="small", help="small | vgg16 | a keras.applications name")
    t.add_argument("--head", choices=("gap", "fc4096", "fc1024", "fc512"), default="gap")
    t.add_argument("--weights", default="none", help="none | imagenet (from the Keras cache) | PATH")
    t.add_argument("--epochs", type=_positive_int("--epochs"), default=12)
    t.add_argument("--batch", type=_positive_int("--batch"), default=32)
    t.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (default 3e-3)")
    t.add_argument("--val-split", type=unit_interval("--val-split"), default=0.15,
                   help="fraction held out for validation when there is no val/ folder")
    t.add_argument("--width", type=_positive_int("--width"), default=32, help="small backbone width")
    t.add_argument("--stride", type=int, choices=(8, 16), default=16,
                   help="small backbone output stride: 16 gives a 14x14 CAM at 224 (default), 8 a 28x28 one")
    t.add_argument("--hide", action="store_true",
                   help="Hide-and-Seek augmentation (random hidden patches, to spread the CAM over the "
                        "whole object); measured: better video boxes, slightly lower accuracy")
    t.add_argument("--seed", type=int, default=0)
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="accuracy and localisation accuracy of a model on a split",
                       description="Classification accuracy, per-class accuracy, confusion matrix and, "
                       "where test_boxes.csv exists, top-1 localisation accuracy and MaxBoxAcc.")
    e.add_argument("model")
    e.add_argument("data_dir")
    e.add_argument("--split", default="test")
    e.add_argument("--threshold", type=unit_interval("--threshold"), default=0.2)
    e.add_argument("--boxes", choices=("largest", "union"), default="largest",
                   help="box rule for localisation accuracy (default largest, the paper's)")
    e.add_argument("--scale", choices=("adaptive", "fixed"), default="adaptive",
                   help="adaptive (default): boxes from a second pass at the input size that suits each "
                   "object's size (videocam.stages.rescale); fixed: from the one pass at the trained size. "
                   "Both figures are printed")
    e.add_argument("--json", default=None, help="write all figures as JSON here")
    e.set_defaults(func=cmd_evaluate)

    s = sub.add_parser("samples", help="generate the synthetic debate benchmark",
                       description="Write labelled train/val/test images, test_boxes.csv, debate.mp4 "
                       "and debate.truth.csv, deterministic per --seed.")
    s.add_argument("--out", required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--n-train", type=_positive_int("--n-train"), default=None, help="train images per class")
    s.add_argument("--n-val", type=_positive_int("--n-val"), default=None, help="val images per class")
    s.add_argument("--n-test", type=_positive_int("--n-test"), default=None, help="test images per class")
    s.add_argument("--duration", type=float, default=None, help="video length in seconds")
    s.set_defaults(func=cmd_samples)

    _register_more(sub)
    return p


def _register_more(sub) -> None:
    """Commands that live in their own modules register here (score, report, live, bench, ...)."""
    import importlib
    for name in ("score", "report", "live", "bench", "compare", "figure", "ablate"):
        importlib.import_module(f"videocam.cli.{name}").register(sub)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except VideocamError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except OSError as e:
        # disk full, permission denied on output, ... : one line, no traceback
        where = f": {e.filename}" if getattr(e, "filename", None) else ""
        print(f"error: {e.strerror or e}{where}", file=sys.stderr)
        return EXIT_FAIL
    except Exception as e:  # noqa: BLE001 - a bug or a library failure: still one line
        if os.environ.get("VIDEOCAM_DEBUG"):
            raise
        text = " ".join(str(e).split())[:300] or "no message"
        print(f"error: unexpected {type(e).__name__}: {text} (VIDEOCAM_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return EXIT_FAIL
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
