"""Turn a stranger of a run into a person: `videocam enrol RUN.csv u3 --name NAME --people DIR` cuts
up to 10 of the cluster's best faces (sharp, frontal, spread over the video) from the run's source
video into DIR/NAME/, ready for `videocam train DIR --backbone face`. Cluster ids come from a run of
a face model (the `cluster` key of `unknown` boxes; `videocam report RUN.csv` lists them).
"""
from __future__ import annotations


def register(subparsers) -> None:
    from videocam.cli.options import positive_int
    e = subparsers.add_parser("enrol", description=__doc__,
                              help="make a stranger of a run (cluster u3) a person: his faces into PEOPLE/NAME/")
    e.add_argument("csv", metavar="RUN.csv", help="the per-frame CSV of a run with a face model")
    e.add_argument("cluster", metavar="CLUSTER", help="the stranger's cluster id in that CSV, e.g. u3")
    e.add_argument("--name", required=True, help="the person's name (the folder made in --people)")
    e.add_argument("--people", required=True, metavar="DIR", help="the people folder (one folder per person)")
    e.add_argument("--add", action="store_true", help="add to an existing DIR/NAME/ (default: refuse)")
    e.add_argument("--max", type=positive_int("--max"), default=10, metavar="N", help="faces to write (default 10)")
    e.set_defaults(func=cmd_enrol)


def cmd_enrol(a) -> int:
    from videocam.io.cluster_faces import enrol_cluster
    r = enrol_cluster(a.csv, a.cluster, a.name, a.people, add=a.add, limit=a.max)
    print(f"wrote {len(r.written)} face{'s' if len(r.written) != 1 else ''} of {a.cluster} "
          f"({r.candidates} face-frames in the run) from {r.video.name} to {r.folder}/")
    for p in r.written:
        print(f"  {p.name}")
    print(f"next: videocam train {a.people} --backbone face --out people.keras")
    return 0
