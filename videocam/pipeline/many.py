"""Many videos in one run: `process_videos(inputs, engine="local"|"ray")`.

Inputs are files, folders (their video files, sorted, not recursive) or glob patterns.
The model loads once (once per worker on Ray). Each video gets its usual
`<name>.cam.*` outputs, where `name` is its stem unless two videos share one (see
`output_names`). A video that fails gets one error line naming it and the others go on;
the run ends with a table (`ManySummary.describe`) and `<out>/index.csv`, one row per video.
With `skip_done`, a video whose requested outputs all exist under their final names is
skipped: writers only give a file its final name when it is complete, so this resumes
a stopped run.
"""
from __future__ import annotations

import csv
import glob
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from videocam.errors import UsageError, VideocamError, VideoError, named
from videocam.io.partfile import part_path, remove_quietly

# What a folder is searched for (lower-case suffixes). Explicit file arguments are never filtered.
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".ts", ".mts", ".m2ts", ".mpg",
                  ".mpeg", ".flv", ".wmv", ".3gp", ".ogv", ".mxf")
INDEX_NAME = "index.csv"
INDEX_COLUMNS = ("video", "name", "frames", "seconds", "fps", "outcome", "error", "mp4", "csv", "gif", "nodes")
ENGINES = ("local", "ray")


@dataclass
class VideoRow:
    """One video of a many-video run: what happened to it."""

    video: str
    name: str = ""
    frames: int | None = None
    seconds: float | None = None
    outcome: str = "pending"     # ok, failed, skipped, interrupted, not run
    error: str = ""
    outputs: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    nodes: list = field(default_factory=list)  # Ray: the nodes that ran its chunks (a local run: none)

    @property
    def fps(self) -> float | None:
        if self.frames and self.seconds:
            return self.frames / self.seconds
        return None


@dataclass
class ManySummary:
    rows: list[VideoRow] = field(default_factory=list)
    seconds: float = 0.0
    engine: str = "local"
    index: Path | None = None
    notes: list = field(default_factory=list)
    interrupted: str | None = None
    timings: dict = field(default_factory=dict)   # Ray: seconds to connect, have workers ready, work, shut down

    @property
    def failed(self) -> list[VideoRow]:
        return [r for r in self.rows if r.outcome == "failed"]

    @property
    def exit_code(self) -> int:
        from videocam.pipeline.process import EXIT_ON_SIGNAL
        if self.interrupted:
            return EXIT_ON_SIGNAL.get(self.interrupted, 130)
        return 1 if self.failed else 0

    @property
    def frames(self) -> int:
        return sum(r.frames or 0 for r in self.rows if r.outcome == "ok")

    def describe(self) -> str:
        """The closing table: video, frames, seconds, fps, outcome; then one total line."""
        def cell(v, fmt):
            return "-" if v is None else format(v, fmt)
        head = ("video", "frames", "seconds", "fps", "outcome")
        body = [(r.video, cell(r.frames, "d"), cell(r.seconds, ".1f"), cell(r.fps, ".1f"),
                 r.outcome + (f" (as {r.name})" if r.name and r.name != Path(r.video).stem else ""))
                for r in self.rows]
        w = [max(len(str(x)) for x in col) for col in zip(head, *body)]
        lines = ["  ".join([str(c[0]).ljust(w[0])] + [str(x).rjust(n) for x, n in zip(c[1:4], w[1:4])]
                           + [str(c[4])]) for c in [head, *body]]
        counts: dict[str, int] = {}
        for r in self.rows:
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
        tally = ", ".join(f"{n} {k}" for k, n in counts.items())
        fps = self.frames / self.seconds if self.seconds > 0 else 0.0
        total = (f"{len(self.rows)} video(s): {tally}; {self.frames} frames in {self.seconds:.1f} s "
                 f"({fps:.1f} fps, engine {self.engine})")
        if self.index is not None:
            total += f"; index: {self.index}"
        return "\n".join(lines + [total] + [f"  note: {n}" for n in self.notes])


# --------------------------------------------------------------------------- inputs

def expand_inputs(inputs: Iterable, on_error: Callable[[str], None]) -> list[Path]:
    """Files as given; folders -> their video files (sorted; hidden files and `*.cam.*`
    outputs left out); anything with `*?[` that is not a file -> its glob matches (sorted).
    An argument that yields nothing is reported through `on_error` and skipped; the same
    file given twice runs once."""
    out: list[Path] = []
    seen: set[str] = set()
    for item in inputs:
        text = str(item)
        p = Path(text)
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in VIDEO_SUFFIXES
                           and not q.name.startswith(".") and ".cam." not in q.name)
            if not found:
                on_error(f"{p}: a directory with no video files in it (looked for "
                         f"{', '.join(s[1:] for s in VIDEO_SUFFIXES[:6])}, ...)")
        elif not p.exists() and glob.has_magic(text):
            found = sorted(Path(q) for q in glob.glob(text) if Path(q).is_file())
            if not found:
                on_error(f"{text}: no file matches this pattern")
        else:
            found = [p]  # a missing file fails later with the reader's own message
        for q in found:
            key = os.path.normcase(os.path.abspath(q))
            if key not in seen:
                seen.add(key)
                out.append(q)
    return out


def output_names(videos: list[Path]) -> tuple[list[str], list[str]]:
    """The output stem of each video, and a note per clash.

    A stem used once is kept. Videos sharing a stem are named by their path below the
    folder they have in common, folders joined by '-' (`a/debate.mp4`, `b/debate.mp4` ->
    `a-debate`, `b-debate`); if that still clashes (same folder, other extension), the
    extension is added (`x-mkv`); a name taken by another video's stem gets `-2`, `-3`...
    The rule depends only on the paths of the clashing videos, so a rerun names them again
    the same way.
    """
    stems: dict[str, list[int]] = {}
    for i, v in enumerate(videos):
        stems.setdefault(v.stem, []).append(i)
    names = [v.stem for v in videos]
    notes = []
    for stem, idx in stems.items():
        if len(idx) < 2:
            continue
        paths = [Path(os.path.abspath(videos[i])) for i in idx]
        common = Path(os.path.commonpath([str(p.parent) for p in paths]))
        cand = ["-".join(p.relative_to(common).with_suffix("").parts) for p in paths]
        if len(set(cand)) < len(cand):
            cand = [f"{c}-{p.suffix.lstrip('.').lower()}" for c, p in zip(cand, paths)]
        for i, c in zip(idx, cand):
            names[i] = c
        notes.append(f"{len(idx)} videos share the stem {stem!r}: outputs named "
                     + ", ".join(f"{videos[i]} -> {names[i]}.cam.*" for i in idx))
    taken: set[str] = set()
    for i, n in enumerate(names):
        base, k = n, 2
        while n in taken:
            n, k = f"{base}-{k}", k + 1
        if n != names[i]:
            notes.append(f"{videos[i]} -> {n}.cam.* ({base!r} was taken)")
        names[i] = n
        taken.add(n)
    return names, notes


def is_done(paths: dict[str, Path]) -> bool:
    """Every requested output exists under its final name (given only to complete files)."""
    return bool(paths) and all(p.is_file() for p in paths.values())


# --------------------------------------------------------------------------- index

def read_index(path: Path) -> dict[str, dict]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return {row["video"]: row for row in csv.DictReader(fh) if row.get("video")}
    except (OSError, KeyError, csv.Error, UnicodeDecodeError):
        return {}


def _absolute(path) -> str:
    """An absolute path, links left as they are (the user's names, not their targets)."""
    return str(Path(path).absolute())


def write_index(path: Path, rows: list[VideoRow]) -> None:
    """`<out>/index.csv`: one row per video, written under its part name and renamed. Every path in it is
    absolute (the video and its outputs), so the index reads the same from any folder. `nodes` names the
    Ray nodes that ran the video's chunks (IP addresses, space-separated); empty for a local run."""
    tmp = part_path(path)
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(INDEX_COLUMNS)
            for r in rows:
                w.writerow([_absolute(r.video), r.name, "" if r.frames is None else r.frames,
                            "" if r.seconds is None else f"{r.seconds:.3f}",
                            "" if r.fps is None else f"{r.fps:.2f}", r.outcome, r.error,
                            *(_absolute(r.outputs[k]) if r.outputs.get(k) else "" for k in ("mp4", "csv", "gif")),
                            " ".join(r.nodes)])
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise


# --------------------------------------------------------------------------- the run

def _stderr(kind: str) -> Callable[[str], None]:
    return lambda msg: print(f"{kind}: {msg}", file=sys.stderr, flush=True)


def process_videos(inputs, engine: str = "local", model=None, out_dir="outputs", gif: bool = False,
                   mp4: bool = True, csv: bool = True, skip_done: bool = False, address: str | None = None,
                   workers: int | None = None, chunk_s: float | None = None, progress: bool = False,
                   on_error: Callable[[str], None] | None = None, warn: Callable[[str], None] | None = None,
                   on_event: Callable[..., None] | None = None, **options) -> ManySummary:
    """Annotate many videos: files, folders or glob patterns; outputs as `process_video`'s.

    `engine="local"` runs them one after another in this process; `engine="ray"` on Ray
    (`address`, else $RAY_ADDRESS, else a local Ray), `workers` actors each holding the
    model (default: one per 2 CPUs), long videos cut into chunks of about `chunk_s` seconds (default: chosen from the
    work and the workers). Other keyword options are `process_video`'s stage options
    (threshold, boxes, norm, nobody, multi, smooth, scale, batch, aspect, start, end,
    precision, every, fps). A failing video is reported through `on_error` (default: an `error:` line
    on stderr) and the run goes on; `ManySummary.exit_code` is 1 if any failed.
    `on_event(kind, **info)` hears the Ray engine's steps ("workers": their pids; "chunk":
    one chunk done), for monitors and tests.
    """
    from videocam.pipeline.process import _check_out_dir
    from videocam.pipeline.sampling import selector
    from videocam.stages.chain import check_stage_options

    if engine not in ENGINES:
        raise UsageError(f"--engine must be local or ray, got {engine!r}")
    if chunk_s is not None and not chunk_s > 0:
        raise UsageError(f"--chunk must be a positive number of seconds, got {chunk_s}")
    if engine != "ray" and (address or workers or chunk_s):
        raise UsageError("--address, --workers and --chunk need --engine ray")
    check_stage_options(options.get("threshold", 0.2), options.get("nobody"), options.get("smooth"),
                        options.get("boxes", "union"), options.get("norm", "max"), options.get("batch"),
                        options.get("scale", "fixed"))
    selector(options.get("every"), options.get("fps"))  # --every/--fps mistakes, before anything runs
    start, end = options.get("start"), options.get("end")
    if start is not None and end is not None and end <= start:
        raise UsageError(f"--end ({end}) must be after --start ({start})")
    if not (mp4 or csv or gif):
        raise UsageError("nothing to write: --no-mp4 and --no-csv without --gif")
    if engine == "ray":
        from videocam.pipeline.ray_cluster import require_ray
        require_ray()  # before anything is read or written
    on_error = on_error or _stderr("error")
    warn = warn or _stderr("warning")
    out = Path(out_dir)
    bad_args: list[str] = []
    videos = expand_inputs(inputs, bad_args.append)
    if not videos:  # nothing to run: the reasons, and nothing written
        if not bad_args:
            raise UsageError("no input videos")
        for msg in bad_args[:-1]:
            on_error(msg)
        raise VideoError(bad_args[-1])
    for msg in bad_args:
        on_error(msg)
    _check_out_dir(out)
    names, notes = output_names(videos)
    summary = ManySummary(engine=engine, notes=notes, index=out / INDEX_NAME)
    for n in notes:
        warn(n)
    old = read_index(summary.index) if skip_done else {}
    todo: list[VideoRow] = []
    for v, name in zip(videos, names):
        row = VideoRow(str(v), name)
        from videocam.pipeline.process import wanted_outputs
        paths = wanted_outputs(out, name, mp4, csv, gif)
        if skip_done and is_done(paths):
            prev = old.get(_absolute(v)) or old.get(str(v), {})  # older indexes: the path as given
            row.outcome, row.outputs = "skipped", {k: str(p) for k, p in paths.items()}
            row.frames = int(prev["frames"]) if prev.get("frames", "").isdigit() else None
        else:
            todo.append(row)
        summary.rows.append(row)
    summary.rows += [VideoRow(msg.split(": ", 1)[0], outcome="failed", error=msg) for msg in bad_args]

    t0 = time.perf_counter()
    try:
        if engine == "ray":
            from videocam.pipeline.ray_engine import run_on_ray
            run_on_ray(todo, summary, model=model, out_dir=out, gif=gif, mp4=mp4, csv=csv, address=address,
                       workers=workers, chunk_s=chunk_s, progress=progress, on_error=on_error, warn=warn,
                       on_event=on_event, **options)
        else:
            _run_local(todo, summary, model, out, gif, mp4, csv, progress, on_error, warn, options)
    finally:
        summary.seconds = time.perf_counter() - t0
        for r in todo:
            if r.outcome == "pending":
                r.outcome = "not run"
        write_index(summary.index, summary.rows)
    return summary


def _run_local(todo, summary, model, out, gif, mp4, csv, progress, on_error, warn, options) -> None:
    from videocam.pipeline.process import load_for_run, process_video

    cm = None
    for row in todo:
        try:
            if cm is None:  # loaded with the first video that opens, so a bad model is one error
                cm = load_for_run(model, **options)
                precision = options.get("precision", "float32")
                if precision != "float32":
                    cm.set_precision(precision)
            opts = {k: v for k, v in options.items() if k != "precision"}
            s = process_video(row.video, model=cm, out_dir=out, gif=gif, mp4=mp4, csv=csv, name=row.name,
                              progress=progress, warn=lambda m, v=row.video: warn(named(m, v)), **opts)
        except VideocamError as e:
            if cm is None and _is_model_error(e):
                raise  # the model itself is unusable: nothing else will run either
            row.outcome, row.error = "failed", named(str(e), row.video)
            on_error(row.error)
            continue
        row.frames, row.seconds = s.frames, s.seconds
        row.outputs = {k: str(p) for k, p in s.outputs.items()}
        if s.interrupted:
            row.outcome = "interrupted"
            summary.interrupted = s.interrupted
            break
        row.outcome = "ok"


def _is_model_error(e: Exception) -> bool:
    from videocam.errors import ModelError
    return isinstance(e, (ModelError, UsageError))
