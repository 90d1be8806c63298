"""`videocam cam IMAGE...`: the four-row CAM figure (image, map, overlay, box)."""
from __future__ import annotations


def register(subparsers) -> None:
    from videocam.cli.options import unit_interval
    from videocam.studies.figure import DEFAULT_OUT, MAX_COLUMNS
    c = subparsers.add_parser(
        "cam", help="the CAM figure for images: image, map, overlay, box (one column per image)",
        description="One column per image, four rows: the image titled with its top classes and probabilities; "
        "the class activation map of the top class (or --class); the map over the image at alpha 0.5; the box "
        "(largest region above --threshold of the map's max) on the image, only for a person the model finds there "
        "(no box for nobody, or for a --class whose probability is near 0). Folders add every image inside "
        f"them, sorted; at most {MAX_COLUMNS} columns. Models with an FC head get Grad-CAM. "
        "For the logo-shortcut study see `videocam shortcut`.")
    c.add_argument("images", nargs="+", metavar="IMAGE", help="image files or folders of images")
    c.add_argument("--model", default=None, metavar="M.keras", help="model .keras file (default: the bundled model)")
    c.add_argument("--out", default=str(DEFAULT_OUT), help=f"figure to write (default: {DEFAULT_OUT})")
    c.add_argument("--class", dest="class_name", default=None, metavar="NAME",
                   help="show this class's map instead of the top class's")
    c.add_argument("--threshold", type=unit_interval("--threshold"), default=0.2,
                   help="box threshold as a fraction of the map's max (default 0.2, the paper's)")
    c.set_defaults(func=cmd_cam)


def cmd_cam(a) -> int:
    from videocam.studies.figure import cam_grid
    res = cam_grid(a.images, model=a.model, out=a.out, class_name=a.class_name, threshold=a.threshold)
    if res.total > res.shown:
        print(f"note: {res.total} images found; the figure shows the first {res.shown}")
    for v in res.views:
        top = ", ".join(f"{c} {p:.2f}" for c, p in v.top(3))
        b = v.boxes[0] if v.boxes else None
        where = f"box ({b.x0},{b.y0})-({b.x1},{b.y1})" if b else f"no box ({v.no_box})" if v.no_box else "no box"
        print(f"{v.path}: {top}; {'Grad-CAM' if v.gradcam else 'CAM'} of {v.class_name}: {where}")
    print(f"wrote {res.path}")
    return 0
