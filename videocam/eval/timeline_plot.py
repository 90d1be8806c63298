"""The timeline PNG of a report: one lane per person (and nobody), coloured as in the MP4, with the
truth's lanes under them when there is one. Matplotlib is imported only here, when a PNG is drawn."""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from videocam.types import NOBODY


def _colours(model_classes: Sequence[str], names: Sequence[str]) -> dict[str, tuple]:
    """Each name's colour as in the MP4 and GIF: `io.render.class_color` by the model's class index
    (a name the model does not know, by its name); nobody grey."""
    from videocam.io.render import class_color
    classes = list(model_classes)
    out = {}
    for n in [*names, NOBODY]:
        rgb = class_color(classes.index(n) if n in classes else None, n)
        out[n] = (*(v / 255.0 for v in rgb), 1.0)
    return out


def _time_formatter(duration: float):
    from matplotlib.ticker import FuncFormatter
    if duration < 120:
        return FuncFormatter(lambda x, _: f"{x:g}")

    def mmss(x, _):
        sign = "-" if x < 0 else ""
        x = abs(x)
        h, rem = divmod(round(x), 3600)
        m, s = divmod(rem, 60)
        return f"{sign}{h}:{m:02d}:{s:02d}" if h else f"{sign}{m}:{s:02d}"
    return FuncFormatter(mmss)


def plot_timeline(rep, path) -> Path:
    """One lane per class (plus nobody): coloured spans where the class is on
    screen; with truth, a thin grey hatched bar under each lane. `rep`: a `videocam.eval.report.Report`
    (not imported here: the report module draws through this one)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    path = Path(path)
    tl, ttl = rep.timeline, rep.truth_timeline
    lanes = rep.people + [NOBODY]
    colours = _colours(rep.model_classes, rep.people)
    n = len(lanes)
    fig_h = 1.0 + 0.55 * n + (0.25 * n if ttl is not None else 0) + (0.35 if ttl is not None else 0)
    # Figure + Agg canvas directly (no pyplot): no global backend state, safe off the main thread.
    fig = Figure(figsize=(12, max(2.4, fig_h)), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    pitch = 1.0
    bar_h = 0.5 if ttl is not None else 0.7
    for k, name in enumerate(lanes):
        y = (n - 1 - k) * pitch
        if k % 2 == 0:
            ax.axhspan(y - pitch / 2, y + pitch / 2, color="0.96", zorder=0, lw=0)
        colour = colours[name]
        spans = tl.spans(name)
        if spans:
            ax.broken_barh(spans, (y - (0.1 if ttl is not None else bar_h / 2), bar_h), facecolors=colour,
                           edgecolor="none", zorder=2)
        if ttl is not None:
            tsp = ttl.spans(name)
            if tsp:
                ax.broken_barh(tsp, (y - 0.38, 0.2), facecolors="0.82", edgecolor="0.45",
                               hatch="////", linewidth=0.4, zorder=2)
    stats = {s.name: s for s in rep.rows()}
    ylabels = [f"{name}  {stats[name].screen_pct:.0f}%" for name in lanes]
    ax.set_yticks([(n - 1 - k) * pitch for k in range(n)])
    ax.set_yticklabels(ylabels, fontsize=10)
    for tick, name in zip(ax.get_yticklabels(), lanes):
        tick.set_color(tuple(0.75 * c for c in colours[name][:3]))
    ax.set_ylim(-pitch / 2, (n - 1) * pitch + pitch / 2)
    t0, t1 = rep.start_s, rep.start_s + rep.duration_s
    if ttl is not None:
        t0 = min(t0, float(ttl.start[0]))
        t1 = max(t1, float(ttl.start[-1] + ttl.dur[-1]))
    if t1 <= t0:
        t1 = t0 + 1.0
    ax.set_xlim(t0, t1)
    ax.xaxis.set_major_formatter(_time_formatter(t1 - t0))
    if t1 - t0 >= 120:  # ticks on whole minutes-friendly steps, not matplotlib's 200 s
        from matplotlib.ticker import MultipleLocator
        step = next((s for s in (15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
                     if (t1 - t0) / s <= 12), 3600 * math.ceil((t1 - t0) / 3600 / 12))
        ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.set_xlabel("time (s)" if t1 - t0 < 120 else "time (m:ss)")
    ax.grid(axis="x", color="0.85", lw=0.6, zorder=1)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    title = f"{rep.stem or 'video'}: who is on screen  ({rep.duration_s:.1f} s, {rep.n_frames} frames)"
    if ttl is not None and rep.agreement is not None:
        title += f"  |  label agreement with truth {100 * rep.agreement:.1f}%"
    if rep.one_person:
        title += "  |  one person per frame (run without --multi)"
    ax.set_title(title, fontsize=11, loc="left")
    if ttl is not None:
        handles = [Patch(facecolor="0.35", label="predicted (coloured)"),
                   Patch(facecolor="0.82", edgecolor="0.45", hatch="////", label="truth")]
        ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2,
                  fontsize=9, frameon=False)
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight", pad_inches=0.15)
    return path
