"""What one `run` wrote, beside its files: `<stem>.cam.json` (the run info).

Why a small JSON file beside the outputs rather than anything inside them: the per-frame CSV is a
contract (`frame,time_s,label,score,p_<class>...,boxes`, no comment lines), and the MP4 and GIF
cannot say which run made them in a way tools read. The run info names the run's settings (so
`report` knows whether the run looked for one person per frame or for several) and the files it
wrote with their sizes, so a file from an older run beside them (a GIF of an earlier `--gif` run)
is told apart, and a CSV that is not the one described is not vouched for.

An interrupted run keeps what it wrote under names that say so, `<stem>.cam.partial.<ext>` with
`<stem>.cam.partial.json`, and never touches complete outputs of an earlier run. A complete run
removes the partial files of an earlier interrupted one (they are superseded) and notes complete
files of earlier runs that it did not replace; it deletes no complete file it did not write.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from videocam.io.partfile import remove_quietly

VERSION = 1
KINDS = ("mp4", "csv", "gif")
PARTIAL = "partial"


def partial_path(path: str | os.PathLike) -> Path:
    """`debate.cam.csv` -> `debate.cam.partial.csv`: where an interrupted run keeps its file."""
    p = Path(path)
    return p.with_name(f"{p.stem}.{PARTIAL}{p.suffix}")


def info_path(output: str | os.PathLike) -> Path:
    """The run info beside an output: `debate.cam.csv` -> `debate.cam.json` (partial: `.partial.json`)."""
    return Path(output).with_suffix(".json")


def describe_outputs(paths: dict[str, Path]) -> dict:
    return {k: {"file": p.name, "bytes": p.stat().st_size} for k, p in paths.items() if p.exists()}


NOBODY_CLASS = "model's nobody class"
START_OF_VIDEO = 0.0
END_OF_VIDEO = "end of the video"


def sampling_text(every: int | None, fps: float | None) -> str:
    """`--every`/`--fps` in words: "every frame", "every 3rd frame", "5 frames a second"."""
    if fps is not None:
        return f"{float(fps):g} frames a second"
    n = int(every or 1)
    if n == 1:
        return "every frame"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"every {n}{suffix} frame"


def run_settings(*, classes, model_path, multi: bool, refine: bool, lead: bool, fill: bool, threshold: float,
                 boxes: str, norm: str, nobody: float | None, smooth: int | None, steady: int | None,
                 torso: bool, panel: bool, scale: str, aspect: str, start: float | None, end: float | None,
                 every: int | None, fps: float | None, batch: int, precision: str) -> dict:
    """Every setting a run used, defaults written out (the run info's `settings`), so a reader never has
    to know this version's defaults. `multi`/`refine` as the run applied them (a face model implies
    --multi, no second look); `refine`/`lead`/`fill` are true only where they ran (with --multi);
    `nobody` is the probability floor of the decision or `NOBODY_CLASS`; `smooth`/`steady` are the K the
    chain ran with, in analysed frames (a sampled run scales them to the same time span)."""
    from videocam.stages.chain import DEFAULT_SMOOTH, nobody_floor
    from videocam.stages.steady import STEADY_K
    below = nobody_floor(classes, nobody)
    floor: float | str = NOBODY_CLASS if below is None else below
    refine = bool(multi and refine)
    out = {"multi": bool(multi), "refine": refine, "lead": bool(refine and lead), "fill": bool(refine and fill),
           "threshold": float(threshold), "boxes": boxes, "norm": norm, "nobody": floor,
           "smooth": int(DEFAULT_SMOOTH if smooth is None else smooth),
           "steady": int(STEADY_K if steady is None else steady), "torso": bool(torso), "panel": bool(panel),
           "scale": scale, "aspect": aspect, "start": float(START_OF_VIDEO if start is None else start),
           "end": END_OF_VIDEO if end is None else float(end), "sampling": sampling_text(every, fps)}
    if fps is not None:
        out["fps"] = float(fps)
    else:
        out["every"] = int(every or 1)
    out.update(batch=int(batch), precision=precision, model=str(model_path) if model_path else "(in memory)")
    return out


def write_run_info(path: Path, *, input, outputs: dict[str, Path], complete: bool, interrupted: str | None,
                   frames: int, seconds: float, model_path, bundled: bool, classes, settings: dict,
                   extra: dict | None = None) -> Path:
    """Write the run info atomically (a part name, then a rename); `extra` adds top-level keys (Ray: the chunks)."""
    from videocam import __version__
    info = {
        "videocam_run_info": VERSION,
        "videocam": __version__,
        "input": str(Path(input).resolve()),
        "run": {"finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "complete": bool(complete),
                "interrupted": interrupted, "frames": int(frames), "seconds": round(float(seconds), 2)},
        "model": {"path": str(model_path) if model_path else None, "bundled": bool(bundled),
                  "classes": list(classes)},
        "settings": settings,
        "outputs": describe_outputs(outputs),
        **(extra or {}),
    }
    tmp = path.with_name(f".{path.stem}.part{path.suffix}")
    try:
        tmp.write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise
    return path


def read_run_info(csv_path: str | os.PathLike) -> dict | None:
    """The run info of a per-frame CSV, or None: none beside it, unreadable, or describing another file
    (a different name or size: the CSV was edited, or comes from another run)."""
    csv_path = Path(csv_path)
    try:
        info = json.loads(info_path(csv_path).read_text(encoding="utf-8"))
        entry = info["outputs"]["csv"]
        if entry["file"] != csv_path.name or int(entry["bytes"]) != csv_path.stat().st_size:
            return None
        if not isinstance(info.get("settings"), dict):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info


def remove_partials(out_dir: Path, stem: str) -> list[Path]:
    """Delete `<stem>.cam.partial.*` left by an interrupted run (a complete run supersedes them)."""
    gone = []
    for ext in (*KINDS, "json"):
        p = out_dir / f"{stem}.cam.{PARTIAL}.{ext}"
        if p.is_file():
            remove_quietly(p)
            gone.append(p)
    return gone


def earlier_outputs(out_dir: Path, stem: str, written: dict[str, Path]) -> list[Path]:
    """Complete outputs of this stem that this run did not write (left by an earlier run)."""
    return [out_dir / f"{stem}.cam.{k}" for k in KINDS if k not in written and (out_dir / f"{stem}.cam.{k}").is_file()]
