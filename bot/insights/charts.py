"""Charts as PNG bytes (matplotlib's object API and the Agg canvas: no display, no pyplot). Sized for a
phone screen: 1080 px wide, large type. matplotlib is imported lazily so starting the bot stays fast;
callers run these off the event loop (asyncio.to_thread), so nothing here touches pyplot's global state
(its figure manager is not safe from worker threads): each chart is its own Figure on its own canvas,
styled per artist rather than through the global rcParams."""

from __future__ import annotations

import io
import os
import tempfile
from typing import TYPE_CHECKING

from bot.insights.stats import Summary, entry_day
from rules.vocabulary import load_vocabulary

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

GROUP_ORDER = ("face", "arms", "trunk", "legs")
BLUE, GREY = "#3b6ea5", "#9aa5b1"
FONT_SIZE, TITLE_SIZE = 15, 18


def _figure(width: float, height: float) -> Figure:
    """A new figure on its own Agg canvas (never registered with pyplot)."""
    os.environ.setdefault("MPLCONFIGDIR", os.path.join(tempfile.gettempdir(), "flicker-matplotlib"))
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _style(ax: Axes) -> None:
    """The house style: large tick labels, no top or right frame."""
    ax.tick_params(labelsize=FONT_SIZE)
    ax.spines[["top", "right"]].set_visible(False)


def _title(ax: Axes, text: str) -> None:
    ax.set_title(text, fontsize=TITLE_SIZE, fontweight="bold")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150)
    return buf.getvalue()


def summary_chart(s: Summary) -> bytes:
    """Twitches per day, where, and time of day, in one tall image."""
    vocab = load_vocabulary()
    fig = _figure(7.2, 10.8)
    ax_days, ax_regions, ax_hours = fig.subplots(3, 1)
    for ax in (ax_days, ax_regions, ax_hours):
        _style(ax)
    days = list(s.per_day)
    ax_days.bar(range(len(days)), [s.per_day[d] for d in days], color=BLUE)
    step = max(1, -(-len(days) // 6))
    ax_days.set_xticks(range(0, len(days), step), [f"{d.day} {d:%b}" for d in days[::step]])
    _title(ax_days, f"Twitches per day, {s.period.label()}")
    if s.began_in_period and s.journal is not None:  # days before the journal: not zero, unknown
        before = days.index(s.journal.began) if s.journal.began in days else 0
        ax_days.axvspan(-0.5, before - 0.5, color="#eeeeee", zorder=0)
        ax_days.text(
            (before - 1) / 2,
            0.5,
            "before the journal",
            ha="center",
            va="center",
            color=GREY,
            transform=ax_days.get_xaxis_transform(),
            fontsize=12,
        )
    ax_days.yaxis.get_major_locator().set_params(integer=True)

    regions = s.regions.most_common(8)
    if regions:
        labels = [vocab.region_label(r) if r != "unknown" else "Not given" for r, _ in regions][::-1]
        ax_regions.barh(labels, [n for _, n in regions][::-1], color=BLUE)
        ax_regions.xaxis.get_major_locator().set_params(integer=True)
    else:
        ax_regions.text(
            0.5,
            0.5,
            "No twitches logged",
            ha="center",
            va="center",
            fontsize=FONT_SIZE,
            transform=ax_regions.transAxes,
        )
        ax_regions.set_yticks([])
    _title(ax_regions, "Where")

    ax_hours.bar(range(24), [s.hours.get(h, 0) for h in range(24)], color=GREY)
    ax_hours.set_xticks([0, 6, 12, 18, 23], ["0:00", "6:00", "12:00", "18:00", "23:00"])
    _title(ax_hours, "Time of day (your local time)")
    ax_hours.yaxis.get_major_locator().set_params(integer=True)
    return _png(fig)


def timeline_chart(s: Summary) -> bytes:
    """Which body areas twitched on which day: shows whether it stays in one place or moves."""
    vocab = load_vocabulary()
    fig = _figure(7.2, 3.6)
    ax = fig.subplots()
    _style(ax)
    first = s.period.first
    counts: dict[tuple[int, int], int] = {}
    for e in s.twitches:  # one dot per day and area, sized by how many twitches it had
        group = vocab.group_of(e.region) if e.region else None
        if group in GROUP_ORDER:
            key = ((entry_day(e) - first).days, GROUP_ORDER.index(group))
            counts[key] = counts.get(key, 0) + 1
    if counts:
        xs, ys = zip(*counts, strict=True)
        sizes = [40 + 25 * min(n, 8) for n in counts.values()]
        ax.scatter(xs, ys, s=sizes, color=BLUE, alpha=0.6)
    ax.set_yticks(range(len(GROUP_ORDER)), [g.capitalize() for g in GROUP_ORDER])
    ax.set_ylim(-0.6, len(GROUP_ORDER) - 0.4)
    days = s.period.dates()
    step = max(1, -(-len(days) // 6))
    ax.set_xticks(range(0, len(days), step), [f"{d.day} {d:%b}" for d in days[::step]])
    ax.set_xlim(-1, len(days))
    _title(ax, "Body areas over time")
    return _png(fig)
