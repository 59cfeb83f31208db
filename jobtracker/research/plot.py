"""PNG charts of a trend.

A bare :class:`matplotlib.figure.Figure` rendered by the Agg canvas: no display, no pyplot, no
global backend switch (safe inside notebooks and servers).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobtracker.research.trends import WHILE_OPEN, pivot

if TYPE_CHECKING:
    import pandas as pd

FREQ_LABEL = {"day": "Day", "week": "Week starting (Monday)", "month": "Month"}
METRIC_LABEL = {
    "mentioned_while_open": "open postings whose current text mentions it",
    "ever_mentioned": "open postings that ever mentioned it",
}


def plot_trend(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    metric: str = WHILE_OPEN,
    top: int = 8,
    title: str | None = None,
) -> Path:
    """Write a line chart of a :func:`~jobtracker.research.trends.trend` frame to ``path``.

    One line per group (the ``top`` groups by total, the rest as ``other``), or one line for an
    ungrouped trend; dates on the x axis, distinct postings on the y axis.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    attrs = frame.attrs
    by = attrs.get("by")
    wide = pivot(frame, metric, top=top)
    path = Path(path)
    fig = Figure(figsize=(10, 5.5), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    x = wide.index.to_pydatetime() if len(wide.index) else []
    marker = "o" if len(wide.index) <= 60 else None
    empty = wide.empty or not len(wide.columns)
    for column in [] if empty else wide.columns:
        label = str(column) if by else METRIC_LABEL.get(metric, metric)
        ax.plot(x, wide[column].to_numpy(), marker=marker, markersize=4, linewidth=1.8, label=label)
    if empty:
        ax.text(
            0.5,
            0.5,
            "No posting mentions it in this range",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color="#555555",
        )
    phrase = attrs.get("phrase", "")
    freq = str(attrs.get("freq"))
    fig.suptitle(
        title
        or f"Open postings mentioning \u201c{phrase}\u201d"
        + (f" by {str(by).replace('_', ' ')}" if by else "")
        + {"day": " (daily)", "week": " (weekly)", "month": " (monthly)"}.get(freq, ""),
        fontsize=13,
    )
    note = "whole words, case-insensitive"
    if attrs.get("since"):
        note = f"{attrs['since']} .. {attrs.get('until')}; {note}"
    if attrs.get("fields"):
        note += f"; in {attrs['fields']}"
    if attrs.get("filters"):
        note += f"; {attrs['filters']}"
    ax.set_title(note, fontsize=8, color="#555555")
    ax.set_xlabel(FREQ_LABEL.get(freq, "Period"))
    ax.set_ylabel("Distinct postings" + ("" if metric == WHILE_OPEN else " (ever mentioned)"))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    _date_axis(ax, list(x), freq)
    ax.grid(True, alpha=0.3)
    if by and not empty:
        ax.legend(title=str(by).replace("_", " "), loc="upper left", bbox_to_anchor=(1.01, 1))
    elif not empty:
        ax.legend(loc="upper left")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path


def _date_axis(ax: Any, x: list[datetime], freq: str) -> None:
    """Ticks at every period when there are few, else a date locator; half a period of room
    either side so a single period still gets a sensible axis."""
    import matplotlib.dates as mdates

    if not x:
        return
    pad = {"day": timedelta(hours=12), "week": timedelta(days=3.5), "month": timedelta(days=15)}
    room = pad.get(freq, timedelta(days=1))
    ax.set_xlim(x[0] - room, x[-1] + room)
    fmt = "%Y-%m" if freq == "month" else "%Y-%m-%d"
    if len(x) <= 12:
        ax.set_xticks(x)
        ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))
        if len(x) > 6:
            for label in ax.get_xticklabels():
                label.set_rotation(30)
                label.set_horizontalalignment("right")
        return
    step = max(1, len(x) // 10)
    if freq == "month":
        locator: Any = mdates.MonthLocator(interval=step)
    elif freq == "week":
        locator = mdates.WeekdayLocator(byweekday=mdates.MO, interval=step)
    else:
        locator = mdates.DayLocator(interval=step)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


ARCHIVE_LABELS = {
    "observed": "archive: observed (sighted mentioning it)",
    "bracketed": "archive: bracketed (inferred)",
}


def plot_archive_trend(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """A line chart of an archive (or both) trend frame, every archive line labelled
    "archive", the live line labelled "live", and a vertical line where live crawling starts."""
    import pandas as pd
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    attrs = frame.attrs
    both = attrs.get("evidence") == "both"
    prefix = "archive_" if both else ""
    keys = ["period"]
    summed = frame.groupby(keys, sort=True).sum(numeric_only=True) if len(frame) else frame
    path = Path(path)
    fig = Figure(figsize=(10, 5.5), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    x = list(pd.to_datetime(summed.index).to_pydatetime()) if len(summed) else []
    marker = "o" if len(x) <= 60 else None
    for tier, label in ARCHIVE_LABELS.items():
        if len(summed):
            ax.plot(x, summed[prefix + tier].to_numpy(), marker=marker, markersize=3, label=label)
    if both and len(summed):
        live = frame.groupby(keys, sort=True)["live_mentioned_while_open"].sum(min_count=1)
        ax.plot(x, live.astype("float64").to_numpy(), linewidth=2.2, label="live: open, mentioning")
    start = attrs.get("live_start")
    if start is not None:
        ax.axvline(
            datetime.combine(start, datetime.min.time()),
            color="#444444",
            linestyle="--",
            label=f"live crawling starts ({start})",
        )
    fig.suptitle(
        f"Postings mentioning \u201c{attrs.get('phrase', '')}\u201d: archive evidence"
        + (" and live crawls" if both else ""),
        fontsize=13,
    )
    ax.set_title(
        f"{attrs.get('since')} .. {attrs.get('until')}; whole words, case-insensitive; "
        "archive figures are sightings in web archives (docs/research.md)",
        fontsize=8,
        color="#555555",
    )
    freq = str(attrs.get("freq"))
    ax.set_xlabel(FREQ_LABEL.get(freq, "Period"))
    ax.set_ylabel("Distinct postings")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    _date_axis(ax, x, freq)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path
