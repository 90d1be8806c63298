"""The per-frame CSV: one row per decoded frame (a contract other tools read).

Header: ``frame,time_s,label,score,p_<class1>,...,p_<classN>,boxes``

- `frame` int; `time_s`, `score` and `p_*` with 4 decimals; `label` a class
  name or ``nobody``; `boxes` a compact JSON list of `Box.to_dict()` (``[]``
  when none), quoted by the csv module as needed.
- What the columns mean (README.md, "The per-frame CSV"): `p_*` are the probabilities the label
  was decided from; with the default chain the label is the highest of them (or ``nobody``) and
  `score` is always ``p_<label>`` (1 minus the top one for ``nobody`` without a ``p_nobody``).
  Stages that decide from other evidence write that evidence (`stages.verify`: the naming crop's
  probabilities; `stages.identify`: the face confidences); `--multi`'s lead rule is the one
  exception to the highest-`p_` rule.
- The ground-truth flavour has only ``frame,time_s,label,boxes``;
  `read_csv` reads both.
"""
from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from videocam.errors import CsvFormatError
from videocam.io.partfile import PartFile, part_path
from videocam.types import Box, FrameResult

__all__ = [
    "CsvFormatError",
    "CsvRow",
    "CsvTable",
    "CsvWriter",
    "read_csv",
    "header",
    "format_row",
    "REQUIRED_COLUMNS",
]

REQUIRED_COLUMNS = ("frame", "time_s", "label", "boxes")
PROB_PREFIX = "p_"



@dataclass
class CsvRow:
    frame: int
    time_s: float
    label: str
    score: float | None = None
    probs: dict[str, float] | None = None
    boxes: list[Box] = field(default_factory=list)


@dataclass
class CsvTable:
    classes: list[str]
    rows: list[CsvRow]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)


def header(classes: Sequence[str]) -> list[str]:
    """The column names for a model with these classes."""
    return ["frame", "time_s", "label", "score",
            *(PROB_PREFIX + str(c) for c in classes), "boxes"]


def _num(x: float) -> str:
    x = float(x)
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    s = f"{x:.4f}"
    return "0.0000" if s == "-0.0000" else s


def _boxes_json(boxes: Iterable[Box]) -> str:
    return json.dumps([b.to_dict() for b in boxes], separators=(",", ":"),
                      ensure_ascii=False)


def format_row(result: FrameResult, classes: Sequence[str]) -> list[str]:
    """The CSV cells for one result, probabilities in `classes` order."""
    names = tuple(str(c) for c in result.classes)
    probs = np.asarray(result.probs, dtype=np.float64).reshape(-1)
    if names == tuple(classes) and probs.size == len(classes):
        ps = probs.tolist()
    else:
        pos = {c: i for i, c in enumerate(names)}
        missing = [c for c in classes if c not in pos or pos[c] >= probs.size]
        if missing:
            raise ValueError(f"result has no probability for class(es) {missing}")
        ps = [float(probs[pos[c]]) for c in classes]
    return [
        str(int(result.frame.index)),
        _num(result.frame.time_s),
        str(result.label),
        _num(result.score),
        *(_num(p) for p in ps),
        _boxes_json(result.boxes),
    ]


class CsvWriter(PartFile):
    """Write the per-frame CSV, one flushed row per `write`.

    Rows go to a temporary file next to the target (`tmp_path`,
    ``.name.part.csv``; ``tail -f`` that one to follow a run), renamed to
    `path` by `close()`; `abort()` deletes it. A context manager: closes, or
    aborts when the block raises.
    """

    def __init__(self, path: str | os.PathLike, classes: Sequence[str]) -> None:
        self.path = Path(path)
        self.classes = [str(c) for c in classes]
        # Same naming as the video writers (videocam.io.partfile.part_path).
        self.tmp_path = part_path(self.path)
        self.rows_written = 0
        self.closed = False
        self._fh = open(self.tmp_path, "w", newline="", encoding="utf-8")
        self._w = csv.writer(self._fh, lineterminator="\n")
        self._w.writerow(header(self.classes))
        self._fh.flush()

    def write(self, result: FrameResult, flush: bool = True) -> None:
        """One row; `flush=False` leaves it in the buffer until `flush()` (a batch's rows at once)."""
        if self.closed:
            raise ValueError(f"{self.path}: write after close")
        self._w.writerow(format_row(result, self.classes))
        if flush:
            self._fh.flush()
        self.rows_written += 1

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._fh.close()
        os.replace(self.tmp_path, self.path)

    def _release(self) -> None:
        self._fh.close()



# --------------------------------------------------------------------------- #
# Reading
# --------------------------------------------------------------------------- #


def _short(s: str, n: int = 40) -> str:
    s = s.replace("\n", " ")
    return repr(s if len(s) <= n else s[: n - 3] + "...")


def read_csv(path: str | os.PathLike) -> CsvTable:
    """Read a per-frame CSV (prediction or ground-truth flavour).

    Raises `CsvFormatError` naming the problem (and the row number, counting
    data rows from 1) for an empty file, missing columns, a bad number or
    bad box JSON.
    """
    p = Path(path)
    try:
        fh = open(p, newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise CsvFormatError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise CsvFormatError(f"{p}: is a directory") from None
    with fh:
        reader = csv.reader(fh)
        try:
            head = next(reader, None)
            if head is None or not any(h.strip() for h in head):
                raise CsvFormatError(f"{p}: empty file (no header)")
            cols = [h.strip() for h in head]
            missing = [c for c in REQUIRED_COLUMNS if c not in cols]
            if missing:
                raise CsvFormatError(
                    f"{p}: missing column(s) {', '.join(missing)} "
                    f"(header: {','.join(cols)[:80]})")
            at = {c: i for i, c in reversed(list(enumerate(cols)))}
            classes = [c[len(PROB_PREFIX):] for c in cols if c.startswith(PROB_PREFIX)]
            prob_at = [(c, at[PROB_PREFIX + c]) for c in classes]
            i_frame, i_time, i_label, i_boxes = (at[c] for c in REQUIRED_COLUMNS)
            i_score = at.get("score")
            rows: list[CsvRow] = []
            for n, cells in enumerate(reader, start=1):
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue  # blank line
                rows.append(_parse_row(p, n, cells, len(cols), i_frame, i_time,
                                       i_label, i_score, prob_at, i_boxes))
        except csv.Error as e:
            raise CsvFormatError(f"{p}: line {reader.line_num}: {e}") from None
        except UnicodeDecodeError:
            raise CsvFormatError(f"{p}: not UTF-8 text") from None
    return CsvTable(classes=classes, rows=rows)


def _parse_row(p, n, cells, ncols, i_frame, i_time, i_label, i_score, prob_at, i_boxes):
    if len(cells) < ncols:
        raise CsvFormatError(f"{p}: row {n}: {len(cells)} cells, header has {ncols}")

    def number(i: int, name: str, kind=float, blank_ok: bool = False):
        s = cells[i].strip()
        if blank_ok and s == "":
            return None
        try:
            if kind is int:
                v = float(s)
                if not v.is_integer():
                    raise ValueError
                return int(v)
            return float(s)
        except ValueError:
            raise CsvFormatError(
                f"{p}: row {n}: bad number in column {name}: {_short(s)}") from None

    frame = number(i_frame, "frame", int)
    time_s = number(i_time, "time_s")
    score = number(i_score, "score", blank_ok=True) if i_score is not None else None
    probs = ({c: number(i, PROB_PREFIX + c) for c, i in prob_at} if prob_at else None)
    raw = cells[i_boxes].strip()
    boxes: list[Box] = []
    if raw:
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as e:
            raise CsvFormatError(
                f"{p}: row {n}: bad JSON in column boxes ({e.msg}): {_short(raw)}") from None
        if not isinstance(data, list):
            raise CsvFormatError(f"{p}: row {n}: boxes must be a JSON list: {_short(raw)}")
        try:
            boxes = [Box.from_dict(d) for d in data]
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            what = f"missing key {e}" if isinstance(e, KeyError) else "bad box"
            raise CsvFormatError(f"{p}: row {n}: {what} in boxes: {_short(raw)}") from None
    return CsvRow(frame=frame, time_s=time_s, label=cells[i_label], score=score,
                  probs=probs, boxes=boxes)
