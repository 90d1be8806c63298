"""`videocam cam IMAGE...`: the four-row CAM figure; `videocam shortcut`: the logo-shortcut study."""
from __future__ import annotations


def cmd_cam(a) -> int:
    from videocam.studies.figure import cam_grid
    res = cam_grid(a.images, model=a.model, out=a.out, class_name=a.class_name, threshold=a.threshold)
    if res.total > res.shown:
        print(f"note: {res.total} images found; the figure shows the first {res.shown}")
    for v in res.views:
        top = ", ".join(f"{c} {p:.2f}" for c, p in v.top(3))
        b = v.boxes[0] if v.boxes else None
        where = f"box ({b.x0},{b.y0})-({b.x1},{b.y1})" if b else "no box"
        print(f"{v.path}: {top}; {'Grad-CAM' if v.gradcam else 'CAM'} of {v.class_name}: {where}")
    print(f"wrote {res.path}")
    return 0


def cmd_shortcut(a) -> int:
    from videocam.studies.shortcut import format_report, shortcut_study
    r = shortcut_study(a.model, a.out, seed=a.seed, n=a.n, show=a.show)
    print(format_report(r))
    for key in ("grid", "results", "json"):
        print(f"wrote {r['files'][key]}")
    return 0


def register(subparsers) -> None:
    from videocam.cli.options import int_at_least, unit_interval
    from videocam.studies.figure import DEFAULT_OUT, MAX_COLUMNS
    c = subparsers.add_parser(
        "cam", help="the CAM figure for images: image, map, overlay, box (one column per image)",
        description="One column per image, four rows: the image titled with its top classes and probabilities; "
        "the class activation map of the top class (or --class); the map over the image at alpha 0.5; the box "
        "(largest region above --threshold of the map's max) on the image. Folders add every image inside "
        f"them, sorted; at most {MAX_COLUMNS} columns. Models with an FC head get Grad-CAM. "
        "For the logo-shortcut study see `videocam shortcut`.")
    c.add_argument("images", nargs="+", metavar="IMAGE", help="image files or folders of images")
    c.add_argument("--model", default=None, help="model .keras file (default: the bundled model)")
    c.add_argument("--out", default=str(DEFAULT_OUT), help=f"figure to write (default: {DEFAULT_OUT})")
    c.add_argument("--class", dest="class_name", default=None, metavar="NAME",
                   help="show this class's map instead of the top class's")
    c.add_argument("--threshold", type=unit_interval("--threshold"), default=0.2,
                   help="box threshold as a fraction of the map's max (default 0.2, the paper's)")
    c.set_defaults(func=cmd_cam)

    s = subparsers.add_parser(
        "shortcut", help="does the model call moon's party logo 'moon'? (the shortcut study)",
        description="Make the logo probe set (synth.make_shortcut_set: moon's party logo with nobody, or beside "
        "a person other than moon) and a logo-free twin of every probe (the same image without the logo), run "
        "the model on both and report (a) how often it predicts moon with vs without the logo and how many "
        "predictions the logo alone flips to moon; (b) how often the CAM's strongest point (argmax of the "
        "upsampled map), for the predicted class and for moon, lies inside the logo box, against the same box "
        "on the twins and chance. Writes DIR/shortcut/ (probes), DIR/shortcut_nologo/ (twins), "
        "DIR/shortcut_results.csv, DIR/shortcut.json and DIR/shortcut_grid.png.")
    s.add_argument("--model", default=None, help="model .keras file (default: the bundled model)")
    s.add_argument("--out", default="outputs/shortcut", metavar="DIR", help="output folder (default: outputs/shortcut)")
    s.add_argument("--n", type=int_at_least("--n", 1), default=40, help="probe images (default 40; half with nobody)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--show", type=int_at_least("--show", 1), default=8, help="probes in the figure (default 8)")
    s.set_defaults(func=cmd_shortcut)
