"""Per-frame CSV analysis: who was on screen, for how long, and a timeline plot.

Reads the per-frame CSV contract (README, "The per-frame CSV") through `videocam.io.csvfile` and
computes, per class:

* **screen time** (`screen_s`): a class is *on screen* in a frame when it is the
  frame's `label` or has a box in `boxes` (so a two-person frame counts for
  both people). Each frame lasts until the next frame's `time_s`; the last
  frame lasts the median frame duration. The video duration is the sum of
  the frame durations (last time - first time + one median frame).
* **by-label time** (`label_s`): each frame's whole duration goes to its
  `label` only (which may be `nobody`). These add up exactly:
  ``sum(label_s of the classes) + label_s(nobody) == duration``.
* **appearances**: segments of on-screen frames, where gaps of up to
  ``max_gap`` frames (default 2: a flicker of the classifier, one or two
  frames) are bridged rather than starting a new appearance. A segment below
  the floor (`listed`: shorter than `APPEARANCE_MIN_S`, or shorter than
  `APPEARANCE_SURE_S` at a mean evidence under `APPEARANCE_MIN_P`) is not
  counted as an appearance; its frames still count as screen time
  (docs/report-page.md says why and how the floor was chosen).
* **longest** (`longest_s`): the longest appearance, from the start of its
  first frame to the end of its last on-screen frame (bridged gaps included,
  so it is the time a viewer would call "continuously on screen").
* **mean probability** (`mean_prob`): the mean of `p_<class>` over the class's
  on-screen frames (frames weigh alike), when the CSV has that column.

Also: time with *nobody* on screen (no class present in the frame: label
`nobody` and no boxes), time with *two or more* people, and the time each pair
was on screen together. With a ground-truth CSV (same columns where they
apply: `frame,time_s,label,boxes`), the truth's screen time per class and the
label agreement (fraction of frames whose label equals the truth's label at
the same time) are added.

Everything here is pure apart from `write_summary_csv` and `make_report`, which also draws the
timeline PNG (`videocam.eval.timeline_plot`).
"""
from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import numpy as np

from videocam.types import NOBODY, UNKNOWN

MULTI = "2+ people"
OTHER_UNKNOWN = "other unknown"
DEFAULT_MAX_GAP = 2
# A stranger's cluster (`"cluster": "u3"` on `unknown` boxes) is listed like a person, `unknown u3`,
# when on screen at least this long and this share of the video; the rest are summed as
# `other unknown` (a face seen for a moment, or one the grouping split off, is not worth a row)
CLUSTER_FLOOR_S = 1.0
CLUSTER_FLOOR_SHARE = 0.01
# The appearance floor (chosen on the demo video and tuning seeds 201-206, docs/report-page.md): a
# segment shorter than APPEARANCE_MIN_S is a flicker, not an appearance; one shorter than
# APPEARANCE_SURE_S must also have a mean evidence (`evidence`) of at least APPEARANCE_MIN_P. A longer
# one is listed whatever its probability: the second person of a two-shot is often boxed at a
# whole-frame probability near 0.
APPEARANCE_MIN_S = 0.2
APPEARANCE_SURE_S = 1.0
APPEARANCE_MIN_P = 0.1
UNKNOWN_TEXT = "unknown"
ONE_PERSON_NOTE = ("the run looked for one person per frame (run without --multi), so screen times leave out "
                   "the second person of a two-shot; run again with --multi to count them")
SUMMARY_COLUMNS = ("class", "screen_s", "screen_pct", "label_s", "appearances", "longest_s",
                   "mean_prob", "truth_s")


# ------------------------------------------------------------------ maths

def frame_durations(times: Sequence[float]) -> np.ndarray:
    """Duration of each frame: time to the next frame; the last frame gets the
    median of the others (0 for a single frame). Times must not go backwards."""
    t = np.asarray(times, dtype=np.float64)
    if t.size == 0:
        return np.zeros(0)
    d = np.diff(t)
    last = float(np.median(d)) if d.size else 0.0
    return np.append(d, last)


def runs(mask: np.ndarray, max_gap: int = 0) -> list[tuple[int, int]]:
    """Half-open frame ranges ``[i0, i1)`` where `mask` is true, merging runs
    separated by at most `max_gap` false frames. Each range starts and ends on
    a true frame."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return []
    padded = np.concatenate(([False], m, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    starts, ends = edges[0::2], edges[1::2]
    out: list[tuple[int, int]] = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        if out and s - out[-1][1] <= max_gap:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def box_lane(b, kept: frozenset = frozenset()) -> str | None:
    """The lane a box counts for: its label; a stranger's cluster above the floor (`kept`) as
    `unknown u3`, below it `other unknown`; None for nobody and for a stranger without a cluster."""
    if b.label == UNKNOWN:
        if not getattr(b, "cluster", None):
            return None
        return b.who if b.who in kept else OTHER_UNKNOWN
    return b.label if b.label and b.label != NOBODY else None


def _present_sets(rows, kept: frozenset = frozenset()) -> list[frozenset[str]]:
    """The classes on screen in each frame: its label (unless nobody) and every
    box's lane (`box_lane`); `unknown` without a cluster is nobody's screen time."""
    sets = []
    for r in rows:
        names = {box_lane(b, kept) for b in r.boxes} - {None}
        if r.label and r.label not in (NOBODY, UNKNOWN):
            names.add(r.label)
        sets.append(frozenset(names))
    return sets


def kept_clusters(rows, dur: np.ndarray) -> frozenset[str]:
    """The strangers' clusters on screen for at least the floor (`CLUSTER_FLOOR_*`)."""
    total = float(dur.sum())
    seen: dict[str, float] = {}
    for r, d in zip(rows, dur.tolist()):
        for who in {b.who for b in r.boxes if b.label == UNKNOWN and getattr(b, "cluster", None)}:
            seen[who] = seen.get(who, 0.0) + d
    floor = max(CLUSTER_FLOOR_S, CLUSTER_FLOOR_SHARE * total)
    return frozenset(w for w, t in seen.items() if t >= floor - 1e-9)


def _lane_order(name: str):
    """Strangers after the people: `unknown u2` before `unknown u10`, `other unknown` last."""
    if name == OTHER_UNKNOWN:
        return (2, 0, "")
    if name.startswith(f"{UNKNOWN} u") and name[len(UNKNOWN) + 2:].isdigit():
        return (1, int(name[len(UNKNOWN) + 2:]), "")
    return (0, 0, name)


def _people(classes: Sequence[str], present: list[frozenset[str]], labels: Sequence[str]) -> list[str]:
    """The model's classes (minus nobody) in their order, then any other name
    seen in the labels or boxes, sorted (strangers' clusters last)."""
    people = [c for c in classes if c != NOBODY]
    seen = set().union(*present) if present else set()
    seen |= {lab for lab in labels if lab and lab not in (NOBODY, UNKNOWN)}
    return people + sorted(seen - set(people), key=_lane_order)


def listed(length_s: float, mean_p: float | None) -> bool:
    """Whether a segment of on-screen frames counts as an appearance (the floor above)."""
    if length_s < APPEARANCE_MIN_S - 1e-9:
        return False
    return not (length_s < APPEARANCE_SURE_S - 1e-9 and mean_p is not None and mean_p < APPEARANCE_MIN_P)


@dataclass
class Segment:
    """A lane's run of on-screen frames ``[a, b)`` (gaps bridged), and whether it is an appearance."""

    a: int
    b: int
    t0: float
    t1: float
    mean_p: float | None  # mean evidence over its on-screen frames (`evidence`); None without any
    listed: bool


def segments(mask: np.ndarray, start: np.ndarray, dur: np.ndarray, max_gap: int,
             evidence: np.ndarray | None = None, floor: bool = True) -> list[Segment]:
    """The lane's segments (`runs` with the gap), each judged by `listed` (`floor`: else all listed)."""
    end = start + dur
    out = []
    for a, b in runs(mask, max_gap):
        mean_p = None
        if evidence is not None:
            e = evidence[a + np.flatnonzero(mask[a:b])]
            e = e[np.isfinite(e)]
            mean_p = float(e.mean()) if e.size else None
        t0, t1 = float(start[a]), float(end[b - 1])
        out.append(Segment(a, b, t0, t1, mean_p, listed(t1 - t0, mean_p) if floor else True))
    return out


def evidence(rows, name: str, kept: frozenset = frozenset()) -> np.ndarray | None:
    """Per frame, how sure the run is that `name` is there: the highest of `p_<name>` and the scores of
    its boxes (a box named by a second look on a crop, or a face, carries its own probability; a second
    person's whole-frame p is near 0). NaN where neither is known; None when no frame has either."""
    out = np.full(len(rows), np.nan)
    for i, r in enumerate(rows):
        vals = [float(b.score) for b in r.boxes if box_lane(b, kept) == name and b.score is not None]
        if r.probs and name in r.probs:
            vals.append(float(r.probs[name]))
        vals = [v for v in vals if math.isfinite(v)]
        if vals:
            out[i] = max(vals)
    return out if np.isfinite(out).any() else None


@dataclass
class ClassStats:
    name: str
    screen_s: float
    screen_pct: float
    label_s: float | None
    appearances: int      # segments above the floor
    longest_s: float      # the longest of them (0 when none)
    mean_prob: float | None
    truth_s: float | None = None
    brief: int = 0        # segments below the floor: screen time, not appearances


@dataclass
class Timeline:
    """Per-frame presence on a time axis, for plotting."""

    start: np.ndarray       # (N,) frame start times
    dur: np.ndarray         # (N,) frame durations
    present: dict[str, np.ndarray]  # name -> (N,) bool, people plus NOBODY and MULTI

    def spans(self, name: str) -> list[tuple[float, float]]:
        """(start, width) of each run of frames where `name` is present."""
        m = self.present.get(name)
        if m is None:
            return []
        end = self.start + self.dur
        return [(float(self.start[a]), float(end[b - 1] - self.start[a])) for a, b in runs(m)]


@dataclass
class Report:
    stem: str
    n_frames: int
    start_s: float
    duration_s: float
    max_gap: int
    classes: list[ClassStats] = field(default_factory=list)
    nobody: ClassStats | None = None
    multi: ClassStats | None = None
    pairs: list[tuple[str, str, float]] = field(default_factory=list)  # (a, b, seconds), longest first
    timeline: Timeline | None = None
    truth_timeline: Timeline | None = None
    agreement: float | None = None
    agreement_frames: int = 0
    # the run boxed one person per frame (its run info says no --multi): time together is unknown
    one_person: bool = False
    model_classes: list[str] = field(default_factory=list)  # the CSV's p_<class> columns, in the model's order
    segments: dict[str, list[Segment]] = field(default_factory=dict)  # per lane, listed or not
    run_info: dict | None = None  # <stem>.json beside the CSV (`runinfo.read_run_info`), when it vouches for it

    @property
    def people(self) -> list[str]:
        return [s.name for s in self.classes]

    def rows(self) -> list[ClassStats]:
        """The summary rows: classes, nobody, 2+ people."""
        return [*self.classes, self.nobody, self.multi]

    @property
    def label_total_s(self) -> float:
        """sum(by-label time of classes) + nobody's by-label time; equals the duration."""
        return float(sum(s.label_s or 0.0 for s in self.classes) + (self.nobody.label_s or 0.0))


def _stats(name: str, mask: np.ndarray, start: np.ndarray, dur: np.ndarray, total: float,
           max_gap: int, label_mask: np.ndarray | None = None,
           probs: np.ndarray | None = None, segs: list[Segment] | None = None) -> ClassStats:
    screen = float(dur[mask].sum())
    if segs is None:
        segs = segments(mask, start, dur, max_gap)
    shown = [x for x in segs if x.listed]
    longest = max((x.t1 - x.t0 for x in shown), default=0.0)
    mean_prob = None
    if probs is not None and mask.any():
        p = probs[mask]
        p = p[np.isfinite(p)]
        mean_prob = float(p.mean()) if p.size else None
    return ClassStats(
        name=name,
        screen_s=screen,
        screen_pct=100.0 * screen / total if total > 0 else 0.0,
        label_s=None if label_mask is None else float(dur[label_mask].sum()),
        appearances=len(shown),
        longest_s=longest,
        mean_prob=mean_prob,
        brief=len(segs) - len(shown),
    )


def _check_times(times: np.ndarray, frames: Sequence[int], what: str) -> None:
    from videocam.io.csvfile import CsvFormatError
    bad = ~np.isfinite(times)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CsvFormatError(f"{what}: time_s is not a finite number at frame {frames[i]}")
    back = np.flatnonzero(np.diff(times) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise CsvFormatError(f"{what}: time_s goes backwards at frame {frames[i]} "
                             f"({times[i - 1]:g} -> {times[i]:g})")


def _timeline(rows, people: list[str], what: str,
              kept: frozenset = frozenset()) -> tuple[Timeline, list[frozenset[str]]]:
    times = np.array([float(r.time_s) for r in rows], dtype=np.float64)
    _check_times(times, [r.frame for r in rows], what)
    dur = frame_durations(times)
    present = _present_sets(rows, kept)
    masks = {p: np.array([p in s for s in present], dtype=bool) for p in people}
    masks[NOBODY] = np.array([not s for s in present], dtype=bool)
    masks[MULTI] = np.array([len(s) >= 2 for s in present], dtype=bool)
    return Timeline(start=times, dur=dur, present=masks), present


def match_times(t, tt) -> tuple[np.ndarray, np.ndarray]:
    """Match each time in `t` to the nearest time in the sorted `tt`: returns
    (ok, j), where frame i matches `tt[j[i]]` when ok[i], i.e. within half a
    (median) truth frame."""
    t = np.asarray(t, dtype=np.float64)
    tt = np.asarray(tt, dtype=np.float64)
    if not t.size or not tt.size:
        return np.zeros(t.size, bool), np.zeros(t.size, int)
    td = frame_durations(tt)
    tol = 0.5 * float(np.median(td)) if td.size > 1 else 1e-6
    tol = max(tol, 1e-6)
    j = np.clip(np.searchsorted(tt, t), 1, max(1, len(tt) - 1)) if len(tt) > 1 else np.zeros(len(t), int)
    if len(tt) > 1:
        left = j - 1
        j = np.where(np.abs(t - tt[left]) <= np.abs(t - tt[j]), left, j)
    return np.abs(t - tt[j]) <= tol + 1e-9, j


def agreement(rows, truth_rows) -> tuple[float | None, int]:
    """Fraction of `rows` whose label equals the truth's label at the same time,
    and how many frames could be matched (`match_times`)."""
    if not rows or not truth_rows:
        return None, 0
    ok, j = match_times([float(r.time_s) for r in rows], [float(r.time_s) for r in truth_rows])
    n = int(ok.sum())
    if n == 0:
        return None, 0
    same = sum(1 for i in np.flatnonzero(ok) if _lab(rows[i].label) == _lab(truth_rows[j[i]].label))
    return same / n, n


def presence_agreement(rep: Report) -> dict[str, float | None]:
    """Per lane (people, nobody, 2+ people), against the truth: the time both say the
    lane is on screen over the time either says it (frames matched by `match_times`,
    weighted by the prediction's frame durations); None where neither ever does, or
    without truth. Unlike the label agreement it credits a second person's box."""
    tl, ttl = rep.timeline, rep.truth_timeline
    if tl is None or ttl is None:
        return {}
    ok, j = match_times(tl.start, ttl.start)
    out: dict[str, float | None] = {}
    for name, m in tl.present.items():
        tm = ttl.present.get(name)
        truth = tm[j] if tm is not None else np.zeros(len(m), bool)
        either = float(tl.dur[ok & (m | truth)].sum())
        out[name] = float(tl.dur[ok & m & truth].sum()) / either if either > 0 else None
    if rep.one_person:
        out[MULTI] = None  # the run looked for one person per frame: it could not agree or disagree
    return out


def _lab(label: str) -> str:
    """A row's label for the by-label time: `unknown` (strangers only) counts as nobody known."""
    return label if label and label != UNKNOWN else NOBODY


def analyse(table, truth=None, max_gap: int = DEFAULT_MAX_GAP, stem: str = "",
            source: str = "CSV", truth_source: str = "truth CSV", one_person: bool = False,
            floor: bool = True) -> Report:
    """Screen-time report of a `csvfile.CsvTable` (optionally against a truth
    table). `source`/`truth_source` name the inputs in error messages.
    `one_person`: the run looked for one person per frame, so time with two or
    more people (and per pair) is reported as unknown, not as none. `floor`: segments below the
    appearance floor (`listed`) are not appearances (False: every segment is one)."""
    from videocam.io.csvfile import CsvFormatError
    rows = list(table.rows)
    if not rows:
        raise CsvFormatError(f"{source}: no frames (only a header)")
    if max_gap < 0:
        raise ValueError("max_gap must be >= 0")
    labels = [_lab(r.label) for r in rows]
    times = np.array([float(r.time_s) for r in rows], dtype=np.float64)
    _check_times(times, [r.frame for r in rows], source)
    kept = kept_clusters(rows, frame_durations(times))
    present = _present_sets(rows, kept)
    people = _people(table.classes, present, labels)
    tl, _ = _timeline(rows, people, source, kept)
    start, dur = tl.start, tl.dur
    total = float(dur.sum())
    lab = np.array(labels, dtype=object)

    def probs_of(name):
        if not any(r.probs and name in r.probs for r in rows):
            return None
        return np.array([float(r.probs.get(name, math.nan)) if r.probs else math.nan for r in rows])

    segs = {p: segments(tl.present[p], start, dur, max_gap, evidence(rows, p, kept), floor) for p in people}
    segs[NOBODY] = segments(tl.present[NOBODY], start, dur, max_gap, floor=floor)  # the length floor only
    segs[MULTI] = [] if one_person else segments(tl.present[MULTI], start, dur, max_gap, floor=floor)
    stats = [_stats(p, tl.present[p], start, dur, total, max_gap, label_mask=(lab == p),
                    probs=probs_of(p), segs=segs[p]) for p in people]
    nobody = _stats(NOBODY, tl.present[NOBODY], start, dur, total, max_gap,
                    label_mask=(lab == NOBODY), probs=probs_of(NOBODY), segs=segs[NOBODY])
    multi = _stats(MULTI, tl.present[MULTI], start, dur, total, max_gap, segs=segs[MULTI])

    pair_s: dict[tuple[str, str], float] = {}
    order = {p: i for i, p in enumerate(people)}
    for s, d in zip(present, dur.tolist()):
        if len(s) >= 2:
            for a, b in combinations(sorted(s, key=order.__getitem__), 2):
                pair_s[(a, b)] = pair_s.get((a, b), 0.0) + d
    pairs = sorted(((a, b, v) for (a, b), v in pair_s.items()), key=lambda x: (-x[2], order[x[0]], order[x[1]]))

    rep = Report(stem=stem, n_frames=len(rows), start_s=float(start[0]), duration_s=total,
                 max_gap=max_gap, classes=stats, nobody=nobody, multi=multi, pairs=pairs, timeline=tl,
                 one_person=bool(one_person), model_classes=list(table.classes), segments=segs)

    if truth is not None:
        trows = list(truth.rows)
        if not trows:
            raise CsvFormatError(f"{truth_source}: no frames (only a header)")
        tlabels = [_lab(r.label) for r in trows]
        tpresent = _present_sets(trows)
        extra = [p for p in _people(truth.classes, tpresent, tlabels) if p not in people]
        if extra:  # people only the truth knows: give them (empty) predicted rows too
            for p in extra:
                people.append(p)
                tl.present[p] = np.zeros(len(rows), dtype=bool)
                stats.append(_stats(p, tl.present[p], start, dur, total, max_gap,
                                    label_mask=np.zeros(len(rows), bool)))
                segs[p] = []
        ttl, _ = _timeline(trows, people, truth_source)
        for s in stats + [nobody]:
            m = ttl.present.get(s.name)
            s.truth_s = float(ttl.dur[m].sum()) if m is not None else 0.0
        multi.truth_s = float(ttl.dur[ttl.present[MULTI]].sum())
        rep.truth_timeline = ttl
        rep.agreement, rep.agreement_frames = agreement(rows, trows)
    return rep


# ----------------------------------------------------------------- output

def _fmt(v, nd=2, none="-"):
    if v is None:
        return none
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def unknown_row(rep: Report, s: ClassStats) -> bool:
    """The `2+ people` row of a run that looked for one person per frame: its times are unknown."""
    return s is rep.multi and rep.one_person


def row_cells(rep: Report, s: ClassStats) -> list[str]:
    """A row's screen s, %, by label s, appearances, longest s and mean p as the CLI table and the page
    show them (one place, so they agree): `UNKNOWN_TEXT` and "?" where the run could not know."""
    if unknown_row(rep, s):
        return [UNKNOWN_TEXT, "?", "-", "?", "?", "-"]
    return [_fmt(s.screen_s), _fmt(s.screen_pct, 1), _fmt(s.label_s), str(s.appearances), _fmt(s.longest_s),
            _fmt(s.mean_prob, 3)]


def together_text(rep: Report) -> str:
    """Who was on screen together, in words (the CLI's `together:` line and the page's matrix note)."""
    if rep.one_person:
        return f"{UNKNOWN_TEXT}: {ONE_PERSON_NOTE}"
    if rep.pairs:
        return ", ".join(f"{a} + {b} {v:.2f} s" for a, b, v in rep.pairs)
    return "no two people were on screen at the same time"


def floor_text(rep: Report) -> str | None:
    """The segments below the appearance floor, in words; None when there are none."""
    n = sum(s.brief for s in rep.rows())
    if not n:
        return None
    what = (f"under {APPEARANCE_MIN_S:g} s, or under {APPEARANCE_SURE_S:g} s at a mean probability under "
            f"{APPEARANCE_MIN_P:g},")
    if n == 1:
        return f"1 stretch {what} is not counted as an appearance (its frames count as screen time)"
    return f"{n} stretches {what} are not counted as appearances (their frames count as screen time)"


def format_table(rep: Report) -> str:
    """A readable plain-text table of the report."""
    has_truth = rep.truth_timeline is not None
    head = ["class", "screen s", "%", "by label s", "appear.", "longest s", "mean p"]
    if has_truth:
        head.append("truth s")
    body = []
    for s in rep.rows():
        row = [s.name, *row_cells(rep, s)]
        if has_truth:
            row.append(_fmt(s.truth_s))
        body.append(row)
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(head)]

    def line(cells):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    n_people = len(rep.classes)
    out = [(f"{rep.stem}: {rep.n_frames} frames, {rep.duration_s:.2f} s "
            f"(from {rep.start_s:.2f} s); appearances bridge gaps of up to {rep.max_gap} frame(s)"),
           "", line(head), line(["-" * w for w in widths])]
    for i, r in enumerate(body):
        if i == n_people:
            out.append(line(["-" * w for w in widths]))
        out.append(line(r))
    out.append("")
    out.append(f"by label: classes {sum(s.label_s or 0 for s in rep.classes):.2f} s + nobody "
               f"{rep.nobody.label_s:.2f} s = {rep.label_total_s:.2f} s of {rep.duration_s:.2f} s")
    out.append("together: " + together_text(rep))
    brief = floor_text(rep)
    if brief:
        out.append(f"appearances: {brief}")
    if has_truth:
        if rep.agreement is None:
            out.append("agreement with truth: no frames matched the truth's times")
        else:
            out.append(f"agreement with truth: {100 * rep.agreement:.1f}% of {rep.agreement_frames} "
                       f"frames have the truth's label")
    return "\n".join(out)


def write_summary_csv(rep: Report, path) -> Path:
    """One row per class, then `nobody`, `2+ people`, and one `a+b` row per pair
    seen together (screen_s = seconds together). Empty cells mean "not applicable",
    or, in the `2+ people` row of a run that looked for one person per frame, "unknown"."""
    path = Path(path)

    def num(v, nd=4):
        return "" if v is None else f"{round(float(v), nd):g}" if isinstance(v, float) else str(v)

    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(SUMMARY_COLUMNS)
        for s in rep.rows():
            if s is rep.multi and rep.one_person:
                w.writerow([s.name, "", "", "", "", "", "", num(s.truth_s)])
                continue
            w.writerow([s.name, num(s.screen_s), num(s.screen_pct, 2), num(s.label_s), s.appearances,
                        num(s.longest_s), num(s.mean_prob), num(s.truth_s)])
        for a, b, v in rep.pairs:
            pct = 100.0 * v / rep.duration_s if rep.duration_s > 0 else 0.0
            w.writerow([f"{a}+{b}", num(v), num(pct, 2), "", "", "", "", ""])
    return path


# ------------------------------------------------------------------- glue

def stem_of(csv_path) -> str:
    """`debate.cam.csv` -> `debate.cam`."""
    name = Path(csv_path).name
    return name[:-4] if name.lower().endswith(".csv") else Path(name).stem


@dataclass
class ReportFiles:
    report: Report
    summary_csv: Path
    timeline_png: Path
    table: object = None   # the CsvTable read (for pages that need the frames again)
    truth: object = None   # the truth's CsvTable, when given


def make_report(csv_path, out_dir=None, truth_path=None, max_gap: int = DEFAULT_MAX_GAP) -> ReportFiles:
    """Read `csv_path` (and `truth_path`), write `<stem>.summary.csv` and
    `<stem>.timeline.png` in `out_dir` (default: the CSV's folder)."""
    from videocam.errors import UsageError
    from videocam.io.csvfile import read_csv
    from videocam.io.runinfo import read_run_info
    csv_path = Path(csv_path)
    stem = stem_of(csv_path)
    table = read_csv(csv_path)
    truth = read_csv(truth_path) if truth_path is not None else None
    info = read_run_info(csv_path)  # <stem>.json beside a run's CSV: its settings, was it run with --multi?
    one_person = info is not None and info["settings"].get("multi") is False
    rep = analyse(table, truth=truth, max_gap=max_gap, stem=stem, source=str(csv_path),
                  truth_source=str(truth_path), one_person=one_person)
    rep.run_info = info
    out = Path(out_dir) if out_dir is not None else csv_path.parent
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out is a file, not a folder: {out}")
    out.mkdir(parents=True, exist_ok=True)
    summary = write_summary_csv(rep, out / f"{stem}.summary.csv")
    from videocam.eval.timeline_plot import plot_timeline
    png = plot_timeline(rep, out / f"{stem}.timeline.png")
    return ReportFiles(report=rep, summary_csv=summary, timeline_png=png, table=table, truth=truth)
