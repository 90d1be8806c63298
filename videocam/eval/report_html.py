"""The report as one offline HTML page: who was on screen, when, with whom, one click
from the moment in the video.

Built on `videocam.eval.report` (every number: screen time, appearances, pairs, truth) and
drawn as plain HTML + inline SVG with a small hand-written script (`assets/report.js`,
under 80 lines). Why no chart library: the timeline is rectangles on a time axis, which SVG
draws with its viewBox *in seconds*; plotly.js minified is over 3 MB to inline, and a
library is one more thing to keep offline and escaped. The page makes no request: a
Content-Security-Policy allows only the inlined script (by hash), inline styles, data:
images (the thumbnails) and the video next to it, which it refers to by relative path.

Everything that comes from a file (class names, labels, paths) goes through
`html.escape` into text or quoted attributes; the script reads data-* attributes and
writes `textContent` only.
"""
from __future__ import annotations

import base64
import hashlib
import html
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import numpy as np

from videocam.errors import UsageError
from videocam.eval.report import (
    APPEARANCE_MIN_P,
    APPEARANCE_MIN_S,
    APPEARANCE_SURE_S,
    MULTI,
    UNKNOWN_TEXT,
    Report,
    ReportFiles,
    floor_text,
    presence_agreement,
    row_cells,
    runs,
    segments,
    together_text,
    unknown_row,
)
from videocam.types import NOBODY, Box

MULTI_COLOR = (91, 98, 112)
# The page keeps at most this many thumbnails (the longest appearances get them).
MAX_THUMBS = 400
INDEX_NAME = "index.report.html"


def class_color(index: int | None, name: str) -> tuple[int, int, int]:
    """`videocam.io.render.class_color`, imported when used: OpenCV stays out of `--help`."""
    from videocam.io.render import class_color as color
    return color(index, name)


def esc(x: object) -> str:
    """Text or attribute value, escaped (quotes too)."""
    return html.escape(str(x), quote=True)


def _hex(rgb: Sequence[int]) -> str:
    r, g, b = (int(c) for c in rgb[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def lane_colors(people: Sequence[str], classes: Sequence[str]) -> dict[str, tuple[int, int, int]]:
    """The project's palette (`render.class_color`, by the model's class index), so a
    person has the same colour here as in the MP4."""
    index = {c: i for i, c in enumerate(classes)}
    out = {p: class_color(index.get(p), p) for p in people}
    out[NOBODY] = class_color(index.get(NOBODY), NOBODY)
    out[MULTI] = MULTI_COLOR
    return out


def clock(t: float) -> str:
    """0:03.20, 12:05.00, 1:02:03.40."""
    sign = "-" if t < 0 else ""
    t = abs(t)
    m, s = divmod(t, 60.0)
    h, m = divmod(int(m), 60)
    if round(s, 2) >= 60.0:  # 59.999 would print as 60.00
        s, m = 0.0, m + 1
    return f"{sign}{h}:{m:02d}:{s:05.2f}" if h else f"{sign}{m}:{s:05.2f}"


def _num(x: float) -> str:
    """Times in attributes and viewBoxes: to the microsecond (a 1-frame CSV lasts 0 s)."""
    return f"{x:.6f}"


def _p(x: float | None, nd: int = 3) -> str:
    return "-" if x is None else f"{x:.{nd}f}"


# ----------------------------------------------------------------- appearances


@dataclass
class Appearance:
    lane: str
    a: int          # frames [a, b) of the table, as `report.runs` cut them
    b: int
    t0: float
    t1: float
    mean_p: float | None
    who: list[str]  # for the 2+ lane: who was there
    shot: int       # frame for the thumbnail: on screen, nearest the middle, boxed if possible
    box: Box | None
    thumb: str | None = None
    listed: bool = True  # above the appearance floor (`report.listed`); else screen time only


def _is(bx, lane: str) -> bool:
    """A box of this lane: its label, or a stranger's cluster (`unknown u3`)."""
    return bx.label == lane or (bx.cluster is not None and bx.who == lane)


def lane_appearances(rep: Report, rows: Sequence, lane: str) -> list[Appearance]:
    """The lane's segments exactly as the report cut and judged them (`report.segments`: listed
    ones are its appearances, the rest screen time only), with the frame to show."""
    tl = rep.timeline
    mask = tl.present[lane]
    segs = rep.segments.get(lane)
    if segs is None:
        segs = segments(mask, tl.start, tl.dur, rep.max_gap)
    out = []
    for x in segs:
        a, b = x.a, x.b
        on = a + np.flatnonzero(mask[a:b])
        boxed = [i for i in on if any(_is(bx, lane) for bx in rows[i].boxes)]
        mid = (a + b - 1) / 2.0
        shot = int(min(boxed or on.tolist(), key=lambda i: (abs(i - mid), i)))
        box = max((bx for bx in rows[shot].boxes if _is(bx, lane)), key=lambda bx: bx.score,
                  default=None)
        who = [p for p in rep.people if tl.present[p][a:b].any()] if lane == MULTI else []
        out.append(Appearance(lane, a, b, x.t0, x.t1, x.mean_p, who, shot, box, listed=x.listed))
    return out


def _truth_spans(rep: Report, lane: str) -> list[tuple[float, float]]:
    ttl = rep.truth_timeline
    m = ttl.present.get(lane) if ttl is not None else None
    if m is None:
        return []
    end = ttl.start + ttl.dur
    return [(float(ttl.start[a]), float(end[b - 1])) for a, b in runs(m, rep.max_gap)]


def add_thumbnails(apps: list[Appearance], rep: Report, video: Path, colors, limit: int = MAX_THUMBS,
                   boxes: bool = True) -> None:
    """Fill `thumb` of the people's appearances (the longest `limit` listed ones) from `video`, with the
    appearance's box drawn (`boxes`; False for a video that has its boxes drawn already)."""
    from videocam.eval.thumbs import Shot, thumbnails
    want = [x for x in apps if x.lane not in (NOBODY, MULTI) and x.listed]
    want = sorted(want, key=lambda x: -(x.t1 - x.t0))[:limit]
    if not want:
        return
    tl = rep.timeline
    tol = max(1e-3, 0.5 * float(np.median(tl.dur)))
    shots = [Shot(float(tl.start[x.shot]), x.box if boxes else None, colors[x.lane]) for x in want]
    for x, uri in zip(want, thumbnails(video, shots, tol)):
        x.thumb = uri


@dataclass
class ThumbSource:
    """Where the thumbnails come from: the run's source video, else the annotated one (`note` says so)."""

    video: Path | None
    boxes: bool          # draw the appearance's box (the annotated video has its own drawn)
    note: str | None = None


def thumb_source(rep: Report, played: Path | None, csv_path: Path) -> ThumbSource:
    """The source video the run info names (`input`) when it is a file; else the played video: the run's
    annotated MP4 (its heatmap, panel and boxes drawn, so no box is added) or a `--video` given."""
    info = rep.run_info or {}
    src = Path(info["input"]) if info.get("input") else None
    if src is not None and src.is_file():
        return ThumbSource(src, True)
    if played is None:
        return ThumbSource(None, False)
    beside = default_video(csv_path)
    mp4 = (info.get("outputs") or {}).get("mp4") or {}
    annotated = (beside is not None and played.resolve() == beside.resolve()) or played.name == mp4.get("file")
    why = f"the source video {src} is gone" if src is not None else "no run info names the source video"
    if annotated:
        return ThumbSource(played, False, f"thumbnails from the annotated video {played.name} ({why}): its heatmap, "
                                          "panel and boxes show")
    return ThumbSource(played, True, f"thumbnails from {played.name} ({why})")


# ------------------------------------------------------------------------ page


def _asset(name: str) -> str:
    return resources.files("videocam.eval").joinpath("assets", name).read_text(encoding="utf-8")


def _head(title: str, script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    allow = f"'sha256-{digest}'" if script else "'none'"
    csp = (f"default-src 'none'; script-src {allow}; style-src 'unsafe-inline'; "
           "img-src data:; media-src 'self'; base-uri 'none'; form-action 'none'")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{esc(csp)}\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{esc(title)}</title>\n<style>\n{_asset('report.css')}</style>\n</head>\n")


def _ticks(t0: float, dur: float) -> list[tuple[float, str]]:
    if dur <= 0:
        return []
    step = next((s for s in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
                 if dur / s <= 12), 3600 * math.ceil(dur / 3600 / 12))
    first = math.ceil(t0 / step - 1e-9) * step
    out = []
    t = first
    while t <= t0 + dur + 1e-9:
        out.append((t, f"{t:g} s" if dur < 120 else clock(t)[:-3]))
        t = round(t + step, 6)
    return out


def _swatch(rgb) -> str:
    return f'<span class="sw" style="background:{_hex(rgb)}"></span>'


def _tip(name: str, x: Appearance, truth: bool = False) -> str:
    lines = [f"{name} (truth)" if truth else name,
             f"{clock(x.t0)} – {clock(x.t1)} ({x.t1 - x.t0:.2f} s)"]
    if x.who:
        lines.append("with " + ", ".join(x.who))
    if not truth and x.mean_p is not None:
        lines.append(f"mean probability {_p(x.mean_p)}")
    if not truth and not x.listed:
        lines.append("below the floor: screen time, not an appearance")
    return "\n".join(lines)


def _lane_svg(t0: float, dur: float, marks: list[str]) -> str:
    return (f'<svg class="bars" viewBox="{_num(t0)} 0 {_num(dur)} 1" preserveAspectRatio="none">'
            + "".join(marks) + "</svg>")


def _timeline(rep: Report, apps: dict[str, list[Appearance]], colors, agree) -> str:
    t0, dur = rep.start_s, max(rep.duration_s, 1e-6)
    min_w = dur / 1000.0  # a one-frame appearance in an hour still shows (and can be clicked)
    out = ['<div id="timeline">']
    lanes = [*rep.people, NOBODY, MULTI]
    for k, lane in enumerate(lanes):
        marks = []
        for x in apps[lane]:
            tip = _tip(lane, x)
            kind = "mark" if x.listed else 'brief" fill-opacity="0.35'  # below the floor: pale
            marks.append(f'<rect class="{kind}" x="{_num(x.t0)}" y="0.12" width="{_num(max(x.t1 - x.t0, min_w))}" '
                         f'height="0.76" fill="{_hex(colors[lane])}" data-lane="{esc(lane)}" '
                         f'data-t0="{_num(x.t0)}" data-t1="{_num(x.t1)}" data-tip="{esc(tip)}" '
                         f'tabindex="0" role="button" aria-label="{esc(tip)}"></rect>')
        sep = " sep" if lane == NOBODY else ""
        odd = " odd" if k % 2 else ""
        bars = _lane_svg(t0, dur, marks)
        if lane == MULTI and rep.one_person:  # nothing to draw: the run could not know
            bars = f'<div class="unknown" title="{esc(together_text(rep))}">{UNKNOWN_TEXT}: one person per frame</div>'
        out.append(f'<div class="lane{odd}{sep}" data-lane="{esc(lane)}"><div class="name" title="{esc(lane)}">'
                   f'{_swatch(colors[lane])}<span class="label">{esc(lane)}</span></div>'
                   f'{bars}</div>')
        if rep.truth_timeline is not None:
            tmarks = []
            for a, b in _truth_spans(rep, lane):
                x = Appearance(lane, 0, 0, a, b, None, [], 0, None)
                tmarks.append(f'<rect class="tmark" x="{_num(a)}" y="0.1" width="{_num(max(b - a, min_w))}" '
                              f'height="0.8" fill="{_hex(colors[lane])}" fill-opacity="0.35" stroke="#5d6673" '
                              f'stroke-dasharray="3 2" vector-effect="non-scaling-stroke" '
                              f'data-t0="{_num(a)}" data-tip="{esc(_tip(lane, x, truth=True))}"></rect>')
            ag = agree.get(lane)
            label = "truth" + ("" if ag is None else f" · {100 * ag:.0f}% agree")
            out.append(f'<div class="lane truth{odd}"><div class="name">{esc(label)}</div>'
                       f'{_lane_svg(t0, dur, tmarks)}</div>')
    out.append('<div id="track"><div id="playhead"></div></div></div>')
    ticks = "".join(f'<span style="left:{100 * (t - t0) / dur:.3f}%">{esc(s)}</span>' for t, s in _ticks(t0, dur))
    out.append(f'<div class="axis">{ticks}</div>')
    return "\n".join(out)


def _people_table(rep: Report, colors, agree) -> str:
    truth = rep.truth_timeline is not None
    head = ["person", "screen time", "share", "appearances", "longest", "mean p", "first seen"]
    if truth:
        head += ["truth", "agreement"]
    tl = rep.timeline
    ths = "".join(f"<th>{h}</th>" for h in head)
    out = [f'<div class="scroll"><table id="people"><thead><tr>{ths}</tr></thead>']

    def row(s) -> str:
        m = tl.present[s.name]
        first = (f'<button class="seek" data-t0="{_num(float(tl.start[int(np.argmax(m))]))}">'
                 f'{clock(float(tl.start[int(np.argmax(m))]))}</button>') if m.any() else "-"
        screen, pct, _by_label, n, longest, mean_p = row_cells(rep, s)  # the CLI table's cells
        if unknown_row(rep, s):
            first = "?"
            cells = [f'<td class="screen">{screen}</td>', f"<td>{pct}</td>"]
        else:
            cells = [f'<td class="screen" data-s="{s.screen_s:.4f}">{screen} s</td>', f"<td>{pct}%</td>"]
            longest += " s"
        cells = [f'<th scope="row">{_swatch(colors[s.name])}{esc(s.name)}</th>', *cells,
                 f'<td class="n">{n}</td>', f"<td>{longest}</td>", f"<td>{mean_p}</td>", f"<td>{first}</td>"]
        if truth:
            ag = agree.get(s.name)
            shown = "?" if unknown_row(rep, s) else "-" if ag is None else f"{100 * ag:.0f}%"
            cells += [f"<td>{_p(s.truth_s, 2)} s</td>", f"<td>{shown}</td>"]
        return f'<tr data-name="{esc(s.name)}">' + "".join(cells) + "</tr>"

    out.append("<tbody>" + "".join(row(s) for s in rep.classes) + "</tbody>")
    out.append('<tbody class="other">' + row(rep.nobody) + row(rep.multi) + "</tbody></table></div>")
    notes = []
    if rep.one_person:
        notes.append(f"2+ people: {together_text(rep)}.")
    brief = floor_text(rep)
    if brief:
        notes.append(f"appearances: {brief}; pale on the timeline.")
    if truth:
        notes.append("agreement: time both the run and the truth put the person on screen, over the time either does.")
    out += [f'<p class="hint">{esc(n)}</p>' for n in notes]
    return "\n".join(out)


def _thumbs(rep: Report, apps: dict[str, list[Appearance]], colors, have_video: bool) -> str:
    out = []
    for p in rep.people:
        shown = [x for x in apps[p] if x.listed]
        if not shown:
            continue
        cards = []
        for x in shown:
            cap = f"{clock(x.t0)}–{clock(x.t1)} · p {_p(x.mean_p, 2)}"
            img = (f'<img src="{x.thumb}" alt="{esc(p)} at {clock(x.t0)}">' if x.thumb else
                   f'<span class="noimg">{"no frame at this time" if have_video else "no video"}</span>')
            cards.append(f'<button class="thumb" data-t0="{_num(x.t0)}" data-tip="{esc(_tip(p, x))}">'
                         f'{img}<span class="cap">{esc(cap)}</span></button>')
        out.append(f'<div class="thumbrow"><h3>{_swatch(colors[p])}{esc(p)}</h3>'
                   f'<div class="thumbs">{"".join(cards)}</div></div>')
    return "\n".join(out) or '<p class="note">no appearances.</p>'


def _matrix(rep: Report, colors) -> str:
    if rep.one_person:  # no all-zero matrix: the run could not see two people at once
        return f'<p class="note" id="together">{esc(together_text(rep))}.</p>'
    people = [s.name for s in rep.classes if s.screen_s > 0] or rep.people
    together = {}
    for a, b, v in rep.pairs:
        together[(a, b)] = together[(b, a)] = v
    top = max(together.values(), default=0.0)
    stats = {s.name: s for s in rep.classes}
    out = ['<div class="scroll"><table class="matrix"><thead><tr><th></th>'
           + "".join(f'<th scope="col">{esc(p)}</th>' for p in people) + "</tr></thead><tbody>"]
    for a in people:
        cells = []
        for b in people:
            if a == b:
                cells.append(f'<td class="diag" title="screen time">{stats[a].screen_s:.2f}</td>')
                continue
            v = together.get((a, b), 0.0)
            alpha = 0.08 + 0.5 * v / top if v > 0 and top > 0 else 0.0
            style = f' style="background:rgba(37,99,235,{alpha:.2f})"' if alpha else ""
            cells.append(f'<td{style} title="{esc(a)} with {esc(b)}">{v:.2f}</td>')
        out.append(f'<tr><th scope="row">{_swatch(colors[a])}{esc(a)}</th>{"".join(cells)}</tr>')
    out.append("</tbody></table></div>")
    out.append('<p class="hint">seconds on screen together; the diagonal is each one\'s screen time.</p>')
    return "\n".join(out)


def _settings(rep: Report, classes: Sequence[str], colors, csv_path: Path, truth: Path | None,
              video_ref: str | None) -> str:
    fps = 1.0 / float(np.median(rep.timeline.dur)) if float(np.median(rep.timeline.dur)) > 0 else None
    cls = "".join(f'<span class="cls">{_swatch(class_color(i, c))}{esc(c)}</span>'
                  for i, c in enumerate(classes)) or "(the CSV has no p_ columns)"
    items = [("per-frame CSV", esc(csv_path.name)),
             ("frames", f"{rep.n_frames} from {rep.start_s:.2f} s, {rep.duration_s:.2f} s"
              + (f", {fps:.3g} frames/s" if fps else "")),
             ("classes (model)", cls),
             ("appearances", (f"gaps of up to {rep.max_gap} frame(s) bridged; at least {APPEARANCE_MIN_S:g} s, and "
                              f"under {APPEARANCE_SURE_S:g} s a mean probability of at least {APPEARANCE_MIN_P:g}")),
             ("video", esc(video_ref) if video_ref else "none"),
             ("truth", esc(truth.name) if truth else "none")]
    if rep.truth_timeline is not None:
        items.append(("label agreement", "no frame matched the truth's times" if rep.agreement is None else
                      f"{100 * rep.agreement:.1f}% of {rep.agreement_frames} frames"))
    items += _run_settings(rep.run_info, csv_path)
    return ('<dl class="settings">' + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>")


def _setting(v) -> str:
    """A run-info value as text: true/false as on/off, a dict as k=v pairs."""
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_setting(x)}" for k, x in v.items())
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _run_settings(info: dict | None, csv_path: Path) -> list[tuple[str, str]]:
    """The settings the run info (`<stem>.json`) records, every one as written; "not recorded" only
    without run info that vouches for this CSV."""
    name = csv_path.with_suffix(".json").name
    if info is None:
        return [("run settings", f"not recorded: no run info ({esc(name)}) beside the CSV describes it")]
    model = info.get("model") or {}
    run = info.get("run") or {}
    when = esc(run.get("finished", "?")) + ("" if run.get("complete", True) else " (interrupted)")
    out = [("run info", f"{esc(name)}, videocam {esc(info.get('videocam', '?'))}, {when}"),
           ("source video", esc(info.get("input", "?"))),
           ("model file", esc(model.get("path") or "?") + (" (bundled demo model)" if model.get("bundled") else ""))]
    out += [(k, esc(_setting(v))) for k, v in info["settings"].items() if k != "model"]
    return out


def _relref(target: Path, page_dir: Path) -> str:
    """A relative URL from the page's folder to `target` (each path part percent-encoded)."""
    rel = os.path.relpath(Path(target).resolve(), Path(page_dir).resolve())
    return "/".join(quote(part) for part in Path(rel).parts)


def render_page(rep: Report, table, page_path: Path, csv_path: Path, truth_path: Path | None = None,
                video: Path | None = None, thumbs: bool = True) -> str:
    """The whole page, as text. `table` is the CSV's table (for per-frame probabilities and boxes)."""
    classes = list(table.classes)
    colors = lane_colors(rep.people, classes)
    apps = {lane: lane_appearances(rep, table.rows, lane) for lane in [*rep.people, NOBODY, MULTI]}
    src = thumb_source(rep, video, csv_path)
    if src.video is not None and thumbs:
        from videocam.errors import VideoError
        every = [x for lane in apps.values() for x in lane]
        try:
            add_thumbnails(every, rep, src.video, colors, boxes=src.boxes)
        except VideoError as e:  # the source is there but unreadable: the played video, said so
            if video is None or src.video == video:
                raise
            add_thumbnails(every, rep, video, colors, boxes=False)
            src = ThumbSource(video, False, f"thumbnails from the annotated video {video.name} (the source video "
                                            f"could not be read: {e}): its heatmap, panel and boxes show")
    agree = presence_agreement(rep)
    video_ref = _relref(video, page_path.parent) if video is not None else None
    frame = float(np.median(rep.timeline.dur))
    script = _asset("report.js")
    seen = [s for s in rep.classes if s.screen_s > 0]
    sub = [f"{rep.duration_s:.2f} s, {rep.n_frames} frames", f"{len(seen)} of {len(rep.classes)} people seen"]
    if rep.agreement is not None:
        sub.append(f"label agreement with truth {100 * rep.agreement:.1f}%")
    if video is not None:
        player = f'<video id="video" controls preload="metadata" src="{esc(video_ref)}"></video>'
        hint = "Hover a bar for who, when and how sure; click it (or a thumbnail) to play that moment."
    else:
        player = ('<div class="novideo">no video: none next to the CSV '
                  "(<code>videocam report RUN.csv --html --video V.mp4</code>)</div>")
        hint = "Hover a bar for who, when and how sure."
    if rep.truth_timeline is not None:
        hint += " Coloured: the run; dashed under it: the truth."
    body = f"""<body>
<main id="report" data-t0="{_num(rep.start_s)}" data-dur="{_num(rep.duration_s)}" data-frame="{frame:.6f}">
<header><h1>{esc(rep.stem or csv_path.name)}</h1><p class="sub">{esc(" · ".join(sub))}</p></header>
<section class="top">
<div class="player">{player}</div>
<div><h2 style="margin-top:0">Who was on screen</h2>
{_people_table(rep, colors, agree)}
</div>
</section>
<section><h2>Timeline</h2><p class="hint">{hint}</p>
{_timeline(rep, apps, colors, agree)}
</section>
<section><h2>Appearances</h2><p class="hint">the frame nearest the middle of each appearance, with the person's box.</p>
{f'<p class="note" id="thumbnote">{esc(src.note)}</p>' if src.note and thumbs else ""}
{_thumbs(rep, apps, colors, src.video is not None)}
</section>
<section class="two">
<div><h2>Who appears with whom</h2>
{_matrix(rep, colors)}
</div>
<div><h2>Settings</h2>
{_settings(rep, classes, colors, csv_path, truth_path, video_ref)}
</div>
</section>
<footer>made by <code>videocam report --html</code>; one offline file: it loads nothing from any server.</footer>
</main>
<div id="tip" role="tooltip" hidden></div>
<script>{script}</script>
</body>
</html>
"""
    return _head(f"{rep.stem or csv_path.name} · videocam report", script) + body


def default_video(csv_path: Path) -> Path | None:
    """The annotated video `run` wrote beside the CSV (`<stem>.cam.csv` -> `<stem>.cam.mp4`)."""
    p = Path(csv_path).with_suffix(".mp4")
    return p if p.is_file() else None


def write_page(files: ReportFiles, csv_path, truth_path=None, video=None, thumbs: bool = True) -> Path:
    """Write `<stem>.report.html` beside the summary CSV of `files` (from `make_report`).
    `video`: the video to embed and take thumbnails from (default: `default_video`)."""
    csv_path = Path(csv_path)
    if video is not None:
        video = Path(video)
        if not video.is_file():
            raise UsageError(f"--video: no such file: {video}")
    else:
        video = default_video(csv_path)
    page = files.summary_csv.parent / f"{files.report.stem}.report.html"
    text = render_page(files.report, files.table, page, csv_path,
                       Path(truth_path) if truth_path else None, video, thumbs)
    page.write_text(text, encoding="utf-8")
    return page


# ----------------------------------------------------------------------- index


def render_index(entries: Sequence[tuple[Report, Sequence[str], Path]], index_path: Path) -> str:
    """One row per video (linking to its page), screen time per person, and the totals.
    `entries`: (report, the CSV's classes, page path)."""
    people: list[str] = []
    classes: list[str] = []
    for rep, cls, _ in entries:
        people += [p for p in rep.people if p not in people]
        classes += [c for c in cls if c not in classes]
    colors = lane_colors(people, classes)
    ths = "<th>video</th><th>frames</th><th>duration</th>"
    ths += "".join(f'<th scope="col">{_swatch(colors[p])}{esc(p)}</th>' for p in people)
    ths += "<th>nobody</th><th>time by label</th>"
    rows, tot, tot_dur, tot_frames, tot_nobody = [], dict.fromkeys(people, 0.0), 0.0, 0, 0.0
    for rep, _, page in entries:
        st = {s.name: s for s in rep.classes}
        secs = [st[p].screen_s if p in st else 0.0 for p in people]
        for p, v in zip(people, secs):
            tot[p] += v
        tot_dur += rep.duration_s
        tot_frames += rep.n_frames
        tot_nobody += rep.nobody.screen_s
        # The bar splits the time by label, which adds up to the duration (screen times overlap).
        by_label = [(p, st[p].label_s or 0.0) for p in people if p in st] + [(NOBODY, rep.nobody.label_s or 0.0)]
        bar = "".join(f'<i style="width:{100 * v / rep.duration_s:.2f}%;background:{_hex(colors[p])}" '
                      f'title="{esc(p)}: {v:.1f} s as the label"></i>' for p, v in by_label
                      if v > 0 and rep.duration_s > 0)
        link = f'<a href="{esc(_relref(page, index_path.parent))}">{esc(rep.stem)}</a>'
        rows.append(f'<tr data-video="{esc(rep.stem)}"><th scope="row">{link}</th><td>{rep.n_frames}</td>'
                    f"<td>{rep.duration_s:.2f} s</td>"
                    + "".join(f'<td data-s="{v:.4f}">{v:.2f}</td>' for v in secs)
                    + f"<td>{rep.nobody.screen_s:.2f}</td><td><div class=\"share\">{bar}</div></td></tr>")
    foot = (f'<tfoot><tr><th scope="row">all {len(entries)} videos</th><td>{tot_frames}</td>'
            f"<td>{tot_dur:.2f} s</td>" + "".join(f'<td data-s="{tot[p]:.4f}">{tot[p]:.2f}</td>' for p in people)
            + f"<td>{tot_nobody:.2f}</td><td></td></tr></tfoot>")
    body = f"""<body>
<main id="index">
<header><h1>Who was on screen: {len(entries)} videos</h1>
<p class="sub">screen time in seconds (a person is on screen when the frame's label or a box names them);
click a video for its page.</p></header>
<div class="scroll"><table id="videos"><thead><tr>{ths}</tr></thead><tbody>
{chr(10).join(rows)}
</tbody>{foot}</table></div>
<footer>made by <code>videocam report --html</code>; offline: it loads nothing from any server.</footer>
</main>
</body>
</html>
"""
    return _head("videocam report: index", "") + body


def write_index(entries: Sequence[tuple[Report, Sequence[str], Path]], out_dir: Path) -> Path:
    path = Path(out_dir) / INDEX_NAME
    path.write_text(render_index(entries, path), encoding="utf-8")
    return path
