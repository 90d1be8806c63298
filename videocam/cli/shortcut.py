"""Make the logo probe set (synth.make_shortcut_set: moon's party logo with nobody, or beside a person
other than moon) and a logo-free twin of every probe (the same image without the logo), run the
model on both and report (a) how often it predicts moon with vs without the logo and how many
predictions the logo alone flips to moon; (b) how often the CAM's strongest point (argmax of the
upsampled map), for the predicted class and for moon, lies inside the logo box, against the same box
on the twins and chance. Writes DIR/shortcut/ (probes), DIR/shortcut_nologo/ (twins),
DIR/shortcut_results.csv, DIR/shortcut.json and DIR/shortcut_grid.png.
"""
from __future__ import annotations


def register(subparsers) -> None:
    from videocam.cli.options import int_at_least
    s = subparsers.add_parser(
        "shortcut", help="does the model call moon's party logo 'moon'? (the shortcut study)",
        description=__doc__)
    s.add_argument("--model", default=None, metavar="M.keras", help="model .keras file (default: the bundled model)")
    s.add_argument("--out", default="outputs/shortcut", metavar="DIR", help="output folder (default: outputs/shortcut)")
    s.add_argument("--n", type=int_at_least("--n", 1), default=40, help="probe images (default 40; half with nobody)")
    s.add_argument("--seed", type=int, default=0, help="seed of the probe images (default 0)")
    s.add_argument("--show", type=int_at_least("--show", 1), default=8, help="probes in the figure (default 8)")
    s.set_defaults(func=cmd_shortcut)


def cmd_shortcut(a) -> int:
    from videocam.studies.shortcut import format_report, shortcut_study
    r = shortcut_study(a.model, a.out, seed=a.seed, n=a.n, show=a.show)
    print(format_report(r))
    for key in ("grid", "results", "json"):
        print(f"wrote {r['files'][key]}")
    return 0
